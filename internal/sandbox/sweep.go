// SPDX-License-Identifier: Apache-2.0

package sandbox

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/metrics"
)

// listPods returns the Environment's sandbox Pods from the cache.
func listPods(ctx context.Context, c client.Reader, namespace, envName string) ([]corev1.Pod, error) {
	var list corev1.PodList
	err := c.List(ctx, &list, client.InNamespace(namespace), client.MatchingLabels{
		LabelEnvironment: labelValue(envName), LabelComponent: ComponentSandbox,
	})
	return list.Items, err
}

// sweep looks at every sandbox Pod: it records starts, decides which sandboxes are over or cannot
// start, and counts them all. The calls that end sandboxes (stopping their work items when the
// runner could not, deleting their Pods and Secrets) run after the lock is released, in parallel
// with each other and with claims (startCleanups).
func (d *dispatcher) sweep(ctx context.Context, env *v1alpha1.Environment) (podView, error) {
	pods, err := listPods(ctx, d.client, d.key.Namespace, d.key.Name)
	if err != nil {
		return podView{}, err
	}
	d.mu.Lock()
	view, jobs := d.survey(ctx, env, pods)
	d.mu.Unlock()
	d.startCleanups(ctx, jobs)
	metrics.SandboxPods.WithLabelValues(d.key.Namespace, d.key.Name, "Pending").Set(float64(view.pending + view.inflight))
	metrics.SandboxPods.WithLabelValues(d.key.Namespace, d.key.Name, "Running").Set(float64(view.running))
	metrics.SandboxPods.WithLabelValues(d.key.Namespace, d.key.Name, "Ending").Set(float64(view.ending))
	return view, nil
}

// survey is the sweep under the lock: it counts the Pods and returns the cleanups to start.
func (d *dispatcher) survey(ctx context.Context, env *v1alpha1.Environment, pods []corev1.Pod) (podView, []cleanup) {
	now := d.now()
	seen := make(map[string]bool, len(pods))
	workPods := map[string]int{}
	for i := range pods {
		workPods[pods[i].Labels[LabelWorkID]]++
	}
	view := podView{names: seen, podsOfWork: workPods}
	d.held = make(map[string]int, len(workPods))
	for k, n := range workPods {
		d.held[k] = n // releaseOrphans adds the Secrets
	}
	var jobs []cleanup
	for i := range pods {
		pod := &pods[i]
		seen[pod.Name] = true
		delete(d.inflight, pod.Name)
		d.tracked[pod.Name] = trackedPod{workID: pod.Labels[LabelWorkID], sessionID: pod.Labels[LabelSessionID], uid: pod.UID}
		if d.cleaning[pod.Name] || !pod.DeletionTimestamp.IsZero() || d.deleted[pod.Name] {
			view.ending++ // it holds its slot until it is gone
			d.noticeDeletion(ctx, env, pod, now)
			continue
		}
		st := classify(pod, now, d.opts.StartTimeout)
		switch {
		case st.ended:
			view.ending++
			jobs = append(jobs, d.end(ctx, env, pod, st, workPods[pod.Labels[LabelWorkID]] > 1))
		case st.running:
			view.running++
			d.recordStart(pod, st)
		default:
			view.pending++
			if st.unschedulable {
				view.unschedulable++
				view.unschedulableMessage = st.message
			}
		}
	}
	for name, at := range d.inflight {
		if now.Sub(at) > inflightFor {
			delete(d.inflight, name)
		}
	}
	view.inflight = len(d.inflight)
	return view, append(jobs, d.forgetVanished(ctx, env, seen)...)
}

// recordStart observes the claim-to-running latency once per Pod.
func (d *dispatcher) recordStart(pod *corev1.Pod, st podState) {
	if d.running[pod.Name] {
		return
	}
	d.running[pod.Name] = true
	if claimed, err := time.Parse(time.RFC3339Nano, pod.Annotations[AnnotationClaimedAt]); err == nil && !st.startedAt.IsZero() {
		// A restarted manager sees Pods that started long ago; only a start it could have seen
		// happen is a sample.
		if d.now().Sub(st.startedAt) < time.Minute {
			metrics.SandboxStartLatency.Observe(st.startedAt.Sub(claimed).Seconds())
		}
	}
	d.log.Info("Sandbox running", "pod", pod.Name, "node", pod.Spec.NodeName, "workID", pod.Labels[LabelWorkID])
}

// end decides how a sandbox that is over or cannot start finishes: its failure is told (once, however
// often its cleanup is tried), and its cleanup stops its work item when the runner could not have
// done it (and no other Pod of ours holds the item), then deletes the Pod and its Secret.
func (d *dispatcher) end(ctx context.Context, env *v1alpha1.Environment, pod *corev1.Pod, st podState, shared bool) cleanup {
	switch {
	case !st.failed:
		delete(d.backoff, pod.Labels[LabelSessionID]) // a sandbox that worked ends the session's back-off
	case !d.reported[pod.Name]:
		// Told before its item is stopped: the session's work comes back at once, and must wait.
		d.fail(ctx, env, pod, st)
	}
	d.cleaning[pod.Name] = true
	return cleanup{name: pod.Name, run: func(ctx context.Context) { d.endSandbox(ctx, pod, st, st.stopItem && !shared) }}
}

// fail tells about a failed sandbox: a metric, a Warning Event on the Pod and on its Session, and a
// back-off before the session gets another Pod (a broken image would otherwise loop).
func (d *dispatcher) fail(ctx context.Context, env *v1alpha1.Environment, pod *corev1.Pod, st podState) {
	metrics.SandboxFailures.WithLabelValues(st.reason).Inc()
	sessionID := pod.Labels[LabelSessionID]
	d.recorder.Eventf(pod, env, corev1.EventTypeWarning, st.reason, "RunSandbox", "Sandbox failed: %s", st.message)
	if sess := findSession(ctx, d.client, d.key.Namespace, sessionID); sess != nil {
		d.recorder.Eventf(sess, pod, corev1.EventTypeWarning, "Sandbox"+st.reason, "RunSandbox",
			"Sandbox Pod %s failed: %s", pod.Name, st.message)
	}
	d.reported[pod.Name] = true
	if st.reason == ReasonLeaseLost || st.reason == ReasonPodGone {
		return // someone else holds the item, or deleted the Pod: nothing about this session is broken
	}
	b := d.backoff[sessionID]
	b.failures++
	wait := d.opts.FailureBackoff << min(b.failures-1, 10)
	b.until = d.now().Add(min(wait, maxFailBackoff))
	d.backoff[sessionID] = b
}

// forgetVanished handles Pods that left the cache. One that this dispatcher did not delete was
// deleted by someone else (a user, a node drain, the node lifecycle controller) possibly without
// its runner stopping the item: it returns the cleanups that stop those items, so that their
// sessions get a new sandbox at once instead of after the lease lapses.
func (d *dispatcher) forgetVanished(ctx context.Context, env *v1alpha1.Environment, seen map[string]bool) []cleanup {
	held := map[string]bool{} // work items that a Pod still in the cache runs
	for name, tp := range d.tracked {
		if seen[name] {
			held[tp.workID] = true
		}
	}
	var jobs []cleanup
	for name, tp := range d.tracked {
		if seen[name] {
			continue
		}
		delete(d.tracked, name)
		delete(d.running, name)
		reported := d.reported[name]
		delete(d.reported, name)
		if d.deleted[name] || d.cleaning[name] {
			// Ours: deleted, or its cleanup is under way and stops the item if it must.
			delete(d.deleted, name)
			continue
		}
		if held[tp.workID] {
			continue // a newer claim of the same item runs in another Pod
		}
		if !reported {
			// Deleted at once (grace period 0), so no sweep saw it terminating.
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: d.key.Namespace, UID: tp.uid,
				Labels: map[string]string{LabelWorkID: tp.workID, LabelSessionID: tp.sessionID}}}
			d.fail(ctx, env, pod, podState{failed: true, reason: ReasonPodGone, message: podDeletedMessage})
		}
		d.cleaning[name] = true
		log := d.log.WithValues("pod", name, "workID", tp.workID)
		jobs = append(jobs, cleanup{name: name, run: func(ctx context.Context) { d.stopVanished(ctx, log, tp.workID) }})
	}
	return jobs
}

// podDeletedMessage explains a sandbox Pod deleted by someone else while its sandbox ran.
const podDeletedMessage = "the sandbox Pod was deleted before its sandbox ended (by a user, a node drain or the garbage collector)"

// noticeDeletion tells, once, about a sandbox Pod that someone else is deleting before its sandbox
// ended. Its runner is signalled and stops the work item itself; forgetVanished stops it if the
// Pod goes without that.
func (d *dispatcher) noticeDeletion(ctx context.Context, env *v1alpha1.Environment, pod *corev1.Pod, now time.Time) {
	if d.deleted[pod.Name] || d.cleaning[pod.Name] || d.reported[pod.Name] || classify(pod, now, 0).ended {
		// Ours, told already, or ended first: a Pod that ended is deleted by the dispatcher,
		// maybe by the one before a restart.
		return
	}
	d.fail(ctx, env, pod, podState{failed: true, reason: ReasonPodGone, message: podDeletedMessage})
}

// holds reports whether a sandbox Pod or Secret of the work item still exists. Such an item came
// back to the queue because its lease lapsed while the Pod's runner may still run it (until its
// next heartbeat answers 412): it is claimed again only once that Pod and its Secret are gone, so
// that an item never runs in two sandboxes at once.
func (d *dispatcher) holds(workID string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.held[labelValue(workID)] > 0
}

// inBackoff reports whether a session must wait before it gets another sandbox.
func (d *dispatcher) inBackoff(sessionID string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	b, ok := d.backoff[sessionID]
	return ok && d.now().Before(b.until)
}
