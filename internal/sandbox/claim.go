// SPDX-License-Identifier: Apache-2.0

package sandbox

import (
	"context"
	"sync/atomic"
	"time"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/metrics"
)

// pollAndClaim waits up to a second for a work item and starts claiming it in the background, so
// that the next item is polled while this one's Ack, lease and Pod are under way. It reports
// whether it started a claim (the caller then looks for the next at once).
func (d *dispatcher) pollAndClaim(ctx context.Context, env *v1alpha1.Environment) bool {
	item, pollCtx, err := d.poll(ctx)
	if err != nil {
		if pollCtx.Err() == nil {
			d.log.Error(err, "Could not poll the work queue")
			d.wait(ctx, idleWait)
		}
		return false
	}
	if item == nil || item.Data.ID == "" || d.claimPause() > 0 {
		return false
	}
	if d.holds(item.ID) {
		d.log.V(1).Info("Left a work item queued: a sandbox Pod or Secret of its lapsed lease still exists", "workID", item.ID)
		return false
	}
	if d.inBackoff(item.Data.ID) {
		// Left unacknowledged, the item stays queued and comes back after the reclaim delay.
		return false
	}
	d.mu.Lock()
	d.claiming++ // the slot is taken from now on, before the Pod exists
	d.mu.Unlock()
	d.claims.Add(1)
	go d.claimAndStart(ctx, env, item)
	return true
}

// poll waits up to a second for a work item. A refused Pod ends the poll (pauseClaims), so that
// the back-off it starts takes no item; the context it returns tells that end from a failure.
func (d *dispatcher) poll(ctx context.Context) (*managedagents.WorkItem, context.Context, error) {
	pollCtx, cancel := context.WithCancel(ctx)
	d.mu.Lock()
	d.endPoll = cancel
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.endPoll = nil
		d.mu.Unlock()
		cancel()
	}()
	item, err := d.work.Poll(pollCtx, managedagents.PollOptions{Block: managedagents.MaxPollBlock, WorkerID: "k8s-dispatcher/" + d.key.String()})
	return item, pollCtx, err
}

// claimAndStart claims the item and creates its Pod. It always gives its slot back (settle), and
// nudges the loop, which may then start another claim.
func (d *dispatcher) claimAndStart(ctx context.Context, env *v1alpha1.Environment, item *managedagents.WorkItem) {
	defer d.claims.Done()
	defer d.Nudge()
	c, ok := d.claim(ctx, item)
	if !ok {
		d.settle("", false)
		return
	}
	metrics.SandboxClaims.WithLabelValues(d.key.Namespace, d.key.Name).Inc()
	d.startPod(ctx, env, c, item.Secret)
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

// startPod creates the item's Secret and then its Pod. The Secret comes first: it is the durable
// mark of a claim, so that a dispatcher that stops (or crashes) before the Pod exists leaves a
// Secret without a Pod, from which the next one gives the item back at once (releaseOrphans)
// instead of leaving it to its lease. When a creation fails, the item is given back and whatever
// was created deleted; a refusal by the API server also pauses the Environment's claims.
func (d *dispatcher) startPod(ctx context.Context, env *v1alpha1.Environment, c claim, workSecret string) {
	log := d.log.WithValues("workID", c.workID, "sessionID", c.sessionID)
	pod := buildPod(env, c, d.opts.Pod)
	created := false
	d.mu.Lock()
	d.marked[pod.Name] = true
	d.mu.Unlock()
	defer func() { d.settle(pod.Name, created) }()
	if err := d.client.Create(ctx, buildSecret(env, pod, workSecret, c.lease)); err != nil {
		log.Error(err, "Could not create the sandbox Pod's Secret", "pod", pod.Name)
		d.notCreated(ctx, env, c, pod, false, err)
		return
	}
	if crashBeforePodCreate(ctx) {
		return
	}
	if err := d.client.Create(ctx, pod); err != nil {
		log.Error(err, "Could not create sandbox Pod", "pod", pod.Name)
		d.notCreated(ctx, env, c, pod, true, err)
		return
	}
	created = true
	log.Info("Created sandbox Pod", "pod", pod.Name, "image", env.Spec.SelfHosted.SandboxTemplate.Image)
}

// settle ends a claim's hold on its slot. A Pod it created counts as in flight from the same
// moment, so that the slot is never free in between; an admitted Pod ends the Environment's
// back-off.
func (d *dispatcher) settle(podName string, created bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.claiming--
	delete(d.marked, podName)
	if created {
		d.inflight[podName] = d.now()
		d.refusals = refusalBackoff{}
	}
}
