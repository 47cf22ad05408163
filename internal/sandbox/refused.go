// SPDX-License-Identifier: Apache-2.0

package sandbox

import (
	"context"
	"errors"
	"net/http"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/metrics"
)

// Reasons for a sandbox Pod that could not be created.
const (
	// ReasonPodRefused: the API server refused the Pod or its Secret (a ResourceQuota, an admission
	// webhook or policy, a RuntimeClass that does not exist, an invalid template).
	ReasonPodRefused = "PodRefused"
	// ReasonPodNotCreated: the creation failed otherwise (the API server did not answer).
	ReasonPodNotCreated = "PodNotCreated"
)

// notCreated handles a claim whose Secret or Pod could not be created. The item is given back at
// once (stopped: the session's work comes back as a new item, and no claim is left to lapse), what
// was created is deleted, and the Environment claims nothing more for a back-off step (FailureBackoff,
// doubling up to 5 minutes, reset once a Pod is admitted), so that a template the cluster never
// admits is not claimed again and again. Each step is told once on the Environment; each refused
// Pod on its Session, in a Warning Event and in status.sandbox, whence its SandboxHealthy
// condition. A dispatcher that is stopping does none of this: its Secret stays as the mark from
// which the next one gives the item back.
func (d *dispatcher) notCreated(ctx context.Context, env *v1alpha1.Environment, c claim, pod *corev1.Pod, secretCreated bool, err error) {
	if ctx.Err() != nil {
		return
	}
	// The pause comes first: the item given back returns as a new item at once, which must wait.
	wait, step := d.pauseClaims()
	if secretCreated {
		d.dropSecret(ctx, pod.Name)
	}
	d.giveBack(ctx, c.workID)
	reason := ReasonPodNotCreated
	if refusal(err) {
		reason = ReasonPodRefused
	}
	msg := truncate(err.Error(), 400)
	metrics.SandboxFailures.WithLabelValues(reason).Inc()
	if step {
		d.recorder.Eventf(env, nil, corev1.EventTypeWarning, "Sandbox"+reason, "CreateSandbox",
			"No sandbox Pod could be created; claiming again in %s: %s", wait, msg)
	}
	sess := findSession(ctx, d.client, d.key.Namespace, c.sessionID)
	if sess == nil {
		return
	}
	d.recorder.Eventf(sess, env, corev1.EventTypeWarning, "Sandbox"+reason, "CreateSandbox",
		"Sandbox Pod %s was not created: %s", pod.Name, msg)
	now := metav1.NewTime(d.now())
	d.showNotCreated(ctx, sess, &v1alpha1.SessionSandbox{PodName: pod.Name, WorkID: c.workID, Phase: string(corev1.PodFailed),
		Reason: reason, Message: truncate(msg, 512), FinishTime: &now})
}

// showNotCreated writes the Pod that was not created into the Session's status.sandbox, with the
// SandboxHealthy condition that follows from it: no Pod event will wake the Session controller,
// which then keeps both (ForSession). The patch is guarded by the resourceVersion, so that it
// never undoes a newer write of the Session controller; on a conflict it reads the Session again.
func (d *dispatcher) showNotCreated(ctx context.Context, sess *v1alpha1.Session, sb *v1alpha1.SessionSandbox) {
	for range 3 {
		patched := sess.DeepCopy()
		patched.Status.Sandbox = sb
		SetHealthCondition(&patched.Status.Conditions, patched.Generation, sb)
		err := d.client.Status().Patch(ctx, patched, client.MergeFromWithOptions(sess, client.MergeFromWithOptimisticLock{}))
		if !apierrors.IsConflict(err) {
			if err != nil {
				d.log.Info("Could not show the refused sandbox Pod in the Session's status", "session", sess.Name, "error", err.Error())
			}
			return
		}
		fresh := &v1alpha1.Session{}
		if err := d.reader.Get(ctx, client.ObjectKeyFromObject(sess), fresh); err != nil {
			return
		}
		sess = fresh
	}
}

// refusal reports whether the API server answered a creation with a refusal of the object (a 4xx
// other than throttling) rather than failing to answer.
func refusal(err error) bool {
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		return false
	}
	code := status.Status().Code
	return code >= 400 && code < 500 && code != http.StatusTooManyRequests
}

// pauseClaims starts a back-off step, unless one runs (claims in flight refused together make one
// step), and ends the poll under way, which would otherwise take a new item during the step. It
// returns the step's length and whether this call started it.
func (d *dispatcher) pauseClaims() (time.Duration, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	if now.Before(d.refusals.until) {
		return 0, false
	}
	d.refusals.steps++
	wait := min(d.opts.FailureBackoff<<min(d.refusals.steps-1, 10), maxFailBackoff)
	d.refusals.until = now.Add(wait)
	if d.endPoll != nil {
		d.endPoll()
	}
	return wait, true
}

// giveBack stops a claimed item whose sandbox never came, so that its claim does not wait for its
// lease to lapse: the session's work comes back to the queue as a new item.
func (d *dispatcher) giveBack(ctx context.Context, workID string) bool {
	err := d.work.Stop(ctx, workID, true)
	if err != nil && !managedagents.IsNotFound(err) {
		d.log.Error(err, "Could not give a claimed work item back; its lease will lapse", "workID", workID)
		return false
	}
	d.log.Info("Gave a claimed work item back: it has no sandbox Pod", "workID", workID)
	return true
}
