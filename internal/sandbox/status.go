// SPDX-License-Identifier: Apache-2.0

package sandbox

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/metrics"
)

// reportStatus reads the queue's statistics and writes status.selfHosted, only when it changed.
// The dispatcher is the only writer of status.selfHosted; the merge patch touches nothing else.
func (d *dispatcher) reportStatus(ctx context.Context, env *v1alpha1.Environment, view podView) {
	next := &v1alpha1.SelfHostedEnvironmentStatus{}
	if env.Status.SelfHosted != nil {
		next = env.Status.SelfHosted.DeepCopy()
	}
	if stats, err := d.work.Stats(ctx); err != nil {
		d.log.Error(err, "Could not read the work queue's statistics")
	} else {
		now := metav1.NewTime(d.now())
		next.QueueDepth, next.LastQueueCheckTime = stats.Depth, &now
		next.OldestQueuedTime = nil
		if at, err := time.Parse(time.RFC3339Nano, stats.OldestQueuedAt); err == nil {
			t := metav1.NewTime(at)
			next.OldestQueuedTime = &t
		}
		metrics.SandboxQueueDepth.WithLabelValues(d.key.Namespace, d.key.Name).Set(float64(stats.Depth))
	}
	next.ActiveSandboxes = int32(view.running)
	next.PendingSandboxes = int32(view.pending + view.inflight)
	cond := metav1.Condition{Type: v1alpha1.ConditionSandboxesSchedulable, Status: metav1.ConditionTrue,
		Reason: "Schedulable", Message: "sandbox Pods find a node", ObservedGeneration: env.Generation}
	if view.unschedulable > 0 {
		cond.Status, cond.Reason = metav1.ConditionFalse, ReasonUnschedulable
		cond.Message = truncate(view.unschedulableMessage, 512)
	}
	changed := meta.SetStatusCondition(&next.Conditions, cond)
	if !changed && env.Status.SelfHosted != nil && sameCounts(env.Status.SelfHosted, next) {
		return
	}
	patched := env.DeepCopy()
	patched.Status.SelfHosted = next
	if err := d.client.Status().Patch(ctx, patched, client.MergeFrom(env)); err != nil {
		d.log.Error(err, "Could not write the Environment's sandbox status")
	}
}

// sameCounts reports whether a and b show the same queue and sandboxes (times aside, so that an
// unchanged queue costs no write).
func sameCounts(a, b *v1alpha1.SelfHostedEnvironmentStatus) bool {
	oldest := func(s *v1alpha1.SelfHostedEnvironmentStatus) int64 {
		if s.OldestQueuedTime == nil {
			return 0
		}
		return s.OldestQueuedTime.Unix()
	}
	return a.QueueDepth == b.QueueDepth && a.ActiveSandboxes == b.ActiveSandboxes &&
		a.PendingSandboxes == b.PendingSandboxes && oldest(a) == oldest(b)
}

// ForSession returns what sess's status shows of its sandbox: its newest sandbox Pod, read from
// the cache by label, or, once that Pod is gone, the last one shown marked Deleted; a Pod the API
// server refused (which the dispatcher shows) stands until a newer Pod exists. It returns nil for a
// session that never had a sandbox, and lists no Pods for a Session whose Environment is not
// SelfHosted. The Session controller calls it when it computes status.
func ForSession(ctx context.Context, c client.Reader, sess *v1alpha1.Session) *v1alpha1.SessionSandbox {
	last := sess.Status.Sandbox
	if sess.Status.ID == "" {
		return last
	}
	if !inSelfHostedEnvironment(ctx, c, sess) {
		return gone(last)
	}
	var list corev1.PodList
	err := c.List(ctx, &list, client.InNamespace(sess.Namespace), client.MatchingLabels{
		LabelSessionID: labelValue(sess.Status.ID), LabelComponent: ComponentSandbox,
	})
	if err != nil || len(list.Items) == 0 {
		return gone(last)
	}
	newest := &list.Items[0]
	for i := range list.Items {
		if newest.CreationTimestamp.Before(&list.Items[i].CreationTimestamp) {
			newest = &list.Items[i]
		}
	}
	if notCreated(last) && newest.CreationTimestamp.Before(last.FinishTime) {
		return last // an older Pod still ending; the refusal is the news
	}
	return fromPod(newest, last)
}

// inSelfHostedEnvironment reports whether sess runs in a SelfHosted Environment of its namespace: the one its
// environmentRef names, or the one whose remote environment its environmentID is. Only those have
// sandbox Pods (a missing Environment's went with it).
func inSelfHostedEnvironment(ctx context.Context, c client.Reader, sess *v1alpha1.Session) bool {
	if ref := sess.Spec.EnvironmentRef; ref != nil {
		env := &v1alpha1.Environment{}
		err := c.Get(ctx, client.ObjectKey{Namespace: sess.Namespace, Name: ref.Name}, env)
		return err == nil && env.Spec.IsSelfHosted()
	}
	id := sess.Status.EnvironmentID
	if id == "" {
		id = sess.Spec.EnvironmentID
	}
	var envs v1alpha1.EnvironmentList
	if id == "" || c.List(ctx, &envs, client.InNamespace(sess.Namespace)) != nil {
		return false
	}
	for i := range envs.Items {
		if envs.Items[i].Status.ID == id && envs.Items[i].Spec.IsSelfHosted() {
			return true
		}
	}
	return false
}

// notCreated reports whether sb shows a sandbox Pod that was never created.
func notCreated(sb *v1alpha1.SessionSandbox) bool {
	return sb != nil && sb.FinishTime != nil && (sb.Reason == ReasonPodRefused || sb.Reason == ReasonPodNotCreated)
}

// gone marks a sandbox whose Pod no longer exists.
func gone(last *v1alpha1.SessionSandbox) *v1alpha1.SessionSandbox {
	if last == nil || last.Phase == v1alpha1.SandboxPhaseDeleted {
		return last
	}
	out := last.DeepCopy()
	if out.Phase != string(corev1.PodFailed) {
		out.Phase = v1alpha1.SandboxPhaseDeleted
	}
	if out.FinishTime == nil {
		now := metav1.Now()
		out.FinishTime = &now
	}
	return out
}

// fromPod is the sandbox as its Pod shows it. A failure reason the Pod showed before it was
// deleted is kept when the same Pod is seen again without one.
func fromPod(pod *corev1.Pod, last *v1alpha1.SessionSandbox) *v1alpha1.SessionSandbox {
	out := &v1alpha1.SessionSandbox{PodName: pod.Name, WorkID: pod.Labels[LabelWorkID], NodeName: pod.Spec.NodeName,
		Phase: string(pod.Status.Phase)}
	st := classify(pod, metav1.Now().Time, 0)
	if !st.startedAt.IsZero() {
		t := metav1.NewTime(st.startedAt)
		out.StartTime = &t
	}
	if cs := containerStatus(pod.Status.ContainerStatuses, ContainerSandbox); cs != nil && cs.State.Terminated != nil {
		out.FinishTime = cs.State.Terminated.FinishedAt.DeepCopy()
	}
	if !pod.DeletionTimestamp.IsZero() && !st.ended {
		// The dispatcher deletes only sandboxes that ended: someone else deleted this one.
		st.failed, st.reason, st.message = true, ReasonPodGone, podDeletedMessage
	}
	if st.failed || st.unschedulable {
		out.Reason, out.Message = st.reason, truncate(st.message, 512)
	}
	if st.failed {
		out.Phase = string(corev1.PodFailed)
	}
	if last != nil && last.PodName == pod.Name && last.Reason != "" &&
		(out.Reason == "" || (!pod.DeletionTimestamp.IsZero() && last.Phase == string(corev1.PodFailed))) {
		// Keep the cause: a Pod deleted because it failed shows its containers killed next.
		out.Reason, out.Message, out.Phase = last.Reason, last.Message, last.Phase
	}
	return out
}

// SessionsOfPod maps a sandbox Pod to the Session whose status shows it, for the Session
// controller's watch. Pods that are not sandboxes map to nothing.
func SessionsOfPod(c client.Reader) handler.MapFunc {
	return func(ctx context.Context, o client.Object) []reconcile.Request {
		id := o.GetLabels()[LabelSessionID]
		if id == "" || o.GetLabels()[LabelComponent] != ComponentSandbox {
			return nil
		}
		if sess := findSession(ctx, c, o.GetNamespace(), id); sess != nil {
			return []reconcile.Request{{NamespacedName: client.ObjectKeyFromObject(sess)}}
		}
		return nil
	}
}
