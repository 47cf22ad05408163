// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"errors"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/anthropics/managed-agents-operator/internal/managedagents"
)

// failure is what a reconcile does with an error: the Ready reason and message it shows, and when to
// try again. A terminal failure waits for a spec or Secret change (both trigger a reconcile), so a
// rejected spec never turns into a hot loop.
type failure struct {
	reason  Reason
	message string
	result  ctrl.Result
	// err is returned to controller-runtime for its exponential backoff (transient failures only).
	err error
	// spec is true when the failure is about the desired state itself (a spec the API rejects, a
	// missing reference): the remote object cannot match the spec, whatever the last sync did.
	spec bool
}

// referencePollInterval is how often an object re-checks a reference that is not ready.
const referencePollInterval = 10 * time.Second

// minRateLimitWait is the wait after a 429 that carried no retry-after.
const minRateLimitWait = 5 * time.Second

// classifyFailure maps an error from a reconcile step to a failure.
func classifyFailure(err error) failure {
	var credErr *CredentialError
	if errors.As(err, &credErr) {
		return failure{reason: ReasonCredentialsNotFound, message: credErr.Message}
	}
	var specErr *managedagents.InvalidSpecError
	if errors.As(err, &specErr) {
		return failure{reason: ReasonInvalidSpec, message: specErr.Error(), spec: true}
	}
	var refErr *referenceError
	if errors.As(err, &refErr) {
		f := failure{reason: refErr.reason, message: refErr.message, spec: true}
		if refErr.reason == ReasonReferenceNotReady && !refErr.watched {
			// Referenced objects of the same kind are not watched; poll until they are ready.
			f.result = ctrl.Result{RequeueAfter: referencePollInterval}
		}
		return f
	}
	var apiErr *managedagents.Error
	if !errors.As(err, &apiErr) {
		return failure{reason: ReasonAPIUnavailable, message: err.Error(), err: err}
	}
	switch apiErr.Kind {
	case managedagents.KindRateLimited:
		wait := max(apiErr.RetryAfter, minRateLimitWait)
		return failure{reason: ReasonRateLimited, message: apiErr.Error(), result: ctrl.Result{RequeueAfter: wait}}
	case managedagents.KindTerminal:
		if apiErr.StatusCode == 401 || apiErr.StatusCode == 403 {
			return failure{reason: ReasonUnauthorized, message: apiErr.Error()}
		}
		return failure{reason: ReasonInvalidSpec, message: apiErr.Error(), spec: true}
	case managedagents.KindNotFound:
		return failure{reason: ReasonRemoteNotFound, message: apiErr.Error(), spec: true}
	default:
		return failure{reason: ReasonAPIUnavailable, message: apiErr.Error(), err: err}
	}
}

// referenceError says that something the object points at (a ConfigMap, another Agent) is missing
// or not ready. A watch re-queues the object when it appears.
type referenceError struct {
	reason  Reason
	message string
	// watched says a watch re-queues the object when the reference becomes ready, so nothing polls.
	watched bool
}

func (e *referenceError) Error() string { return e.message }
