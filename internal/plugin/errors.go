// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// ExitError ends the plugin with a specific exit code. An empty Message prints nothing.
type ExitError struct {
	Code    int
	Message string
}

func (e *ExitError) Error() string { return e.Message }

// ErrNoPendingAction is wrapped by the errors of approve, deny and tool-result when there is
// nothing to answer.
var ErrNoPendingAction = errors.New("no pending action")

// notFound turns a NotFound error for a kind into advice; other errors pass through.
func notFound(err error, kind, name, namespace, advice string) error {
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("%s %s not found in namespace %s: %s", kind, name, namespace, advice)
	}
	return err
}
