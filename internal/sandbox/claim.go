// SPDX-License-Identifier: Apache-2.0

package sandbox

import (
	"context"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/metrics"
)

// pollAndClaim waits up to a second for a work item and claims it. It reports whether it claimed
// one (the caller then looks for the next at once).
func (d *dispatcher) pollAndClaim(ctx context.Context, env *v1alpha1.Environment) bool {
	item, err := d.work.Poll(ctx, managedagents.PollOptions{Block: managedagents.MaxPollBlock, WorkerID: "k8s-dispatcher/" + d.key.String()})
	if err != nil {
		if ctx.Err() == nil {
			d.log.Error(err, "Could not poll the work queue")
			d.wait(ctx, idleWait)
		}
		return false
	}
	if item == nil || item.Data.ID == "" {
		return false
	}
	if d.holds(item.ID) {
		d.log.V(1).Info("Left a work item queued: a sandbox Pod of its lapsed lease still exists", "workID", item.ID)
		return false
	}
	if d.inBackoff(item.Data.ID) {
		// Left unacknowledged, the item stays queued and comes back after the reclaim delay.
		return false
	}
	c, ok := d.claim(ctx, item)
	if !ok {
		return false
	}
	metrics.SandboxClaims.WithLabelValues(d.key.Namespace, d.key.Name).Inc()
	d.startPod(ctx, env, c, item.Secret)
	return true
}

// claim acknowledges the item and takes its lease for as long as a Pod may take to start.
func (d *dispatcher) claim(ctx context.Context, item *managedagents.WorkItem) (claim, bool) {
	log := d.log.WithValues("workID", item.ID, "sessionID", item.Data.ID)
	if _, err := d.work.Ack(ctx, item.ID); err != nil {
		// Another worker took it, or it was stopped meanwhile: the queue decides.
		log.Info("Could not acknowledge the work item", "error", err.Error())
		return claim{}, false
	}
	claimedAt := d.now()
	lease, err := d.work.Heartbeat(ctx, item.ID, managedagents.NoHeartbeat, d.opts.leaseTTL())
	if err != nil {
		// Without a lease the item goes back to the queue when the acknowledgement lapses.
		log.Error(err, "Could not take the work item's lease")
		return claim{}, false
	}
	log.Info("Claimed work item", "leaseTTL", time.Duration(lease.TTLSeconds)*time.Second)
	return claim{environmentID: d.work.EnvironmentID(), workID: item.ID, sessionID: item.Data.ID,
		lease: lease.LastHeartbeat, claimedAt: claimedAt}, true
}

// beforePodCreate, when tests set it, runs after a claim and right before its Pod is created; true
// ends the claim there, as if the manager had crashed.
var beforePodCreate atomic.Pointer[func(context.Context) bool]

// crashBeforePodCreate runs the test hook, if one is set.
func crashBeforePodCreate(ctx context.Context) bool {
	h := beforePodCreate.Load()
	return h != nil && (*h)(ctx)
}

// startPod creates the sandbox Pod and then its Secret (owned by the Pod, so it needs the Pod's
// UID). When either fails, the item is stopped and whatever was created is deleted: the session
// gets a new item, and nothing is left behind.
func (d *dispatcher) startPod(ctx context.Context, env *v1alpha1.Environment, c claim, workSecret string) {
	log := d.log.WithValues("workID", c.workID, "sessionID", c.sessionID)
	pod := buildPod(env, c, d.opts.Pod)
	if crashBeforePodCreate(ctx) {
		return
	}
	if err := d.client.Create(ctx, pod); err != nil {
		log.Error(err, "Could not create sandbox Pod")
		d.abandon(ctx, c, nil)
		return
	}
	d.mu.Lock()
	d.inflight[pod.Name] = d.now()
	d.mu.Unlock()
	if err := d.client.Create(ctx, buildSecret(pod, workSecret, c.lease)); err != nil {
		log.Error(err, "Could not create the sandbox Pod's Secret", "pod", pod.Name)
		d.abandon(ctx, c, pod)
		return
	}
	log.Info("Created sandbox Pod", "pod", pod.Name, "image", env.Spec.SelfHosted.SandboxTemplate.Image)
}

// abandon gives a claim up: the item is stopped and the Pod, if any, deleted.
func (d *dispatcher) abandon(ctx context.Context, c claim, pod *corev1.Pod) {
	if err := d.work.Stop(ctx, c.workID, true); err != nil {
		d.log.Error(err, "Could not stop an abandoned work item; its lease will lapse", "workID", c.workID)
	}
	if pod == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.deletePod(ctx, pod); err != nil {
		d.log.Error(err, "Could not delete an abandoned sandbox Pod", "pod", pod.Name)
	}
}
