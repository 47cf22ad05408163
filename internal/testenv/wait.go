// SPDX-License-Identifier: Apache-2.0

package testenv

import (
	"testing"
	"time"
)

// WaitFor polls cond every 500 ms until it holds, and fails the test after timeout with what cond
// last said. cond runs at least once.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for {
		var ok bool
		if ok, last = cond(); ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; last seen: %s", timeout, what, last)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
