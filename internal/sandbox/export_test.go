// SPDX-License-Identifier: Apache-2.0

package sandbox

import "context"

// SetBeforePodCreate installs a hook that runs after each claim, right before its Pod is created;
// when it returns true, the claim ends there as if the manager had crashed. It returns a function
// that removes the hook.
func SetBeforePodCreate(hook func(ctx context.Context) bool) (restore func()) {
	beforePodCreate.Store(&hook)
	return func() { beforePodCreate.Store(nil) }
}
