// SPDX-License-Identifier: Apache-2.0

package sandbox

import (
	"context"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// cleanup is the calls that end one sandbox (a remote Stop, the deletes of its Pod and Secret), as
// the sweep decided them under the dispatcher's lock. They run outside it, so that neither claims
// nor the next poll wait for them.
type cleanup struct {
	name string // the sandbox's Pod and Secret; in d.cleaning while the cleanup is under way
	run  func(context.Context)
}

// startCleanups runs the cleanups in the background, at most maxParallelCleanups at once across
// sweeps. The caller marked each name in d.cleaning, under the lock that saw the sandbox, so that no
// later sweep starts it again meanwhile; a sandbox whose cleanup is under way still counts against
// maxConcurrentSandboxes until its Pod is gone from the cache. A cleanup that fails leaves its Pod
// or Secret, which the next sweep finds and cleans up again; it does not hold up the others.
func (d *dispatcher) startCleanups(ctx context.Context, jobs []cleanup) {
	for _, job := range jobs {
		d.cleanups.Add(1)
		go func() {
			defer d.cleanups.Done()
			defer d.doneCleaning(job.name)
			select {
			case d.cleanupSlots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-d.cleanupSlots }()
			job.run(ctx)
		}()
	}
}

// doneCleaning ends a cleanup's hold on its name. A Pod that left the cache meanwhile is no longer
// tracked, so its mark as deleted by this dispatcher is dropped too.
func (d *dispatcher) doneCleaning(name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.cleaning, name)
	if _, ok := d.tracked[name]; !ok {
		delete(d.deleted, name)
	}
}

// endSandbox stops the work item of a sandbox that is over when stopItem says the runner could not
// have, and then deletes its Secret and Pod. A Stop that fails leaves the item to its lease; a
// delete that fails leaves the Pod to the next sweep.
func (d *dispatcher) endSandbox(ctx context.Context, pod *corev1.Pod, st podState, stopItem bool) {
	workID := pod.Labels[LabelWorkID]
	log := d.log.WithValues("pod", pod.Name, "workID", workID, "sessionID", pod.Labels[LabelSessionID])
	if stopItem {
		if err := d.work.Stop(ctx, workID, true); err != nil {
			log.Error(err, "Could not stop the work item of a failed sandbox; its lease will lapse")
		} else {
			log.Info("Stopped work item", "reason", st.reason)
		}
	}
	if err := d.deletePod(ctx, pod); err != nil {
		log.Error(err, "Could not delete sandbox Pod")
		return
	}
	log.Info("Deleted sandbox Pod", "failed", st.failed, "reason", st.reason)
}

// deletePod deletes a sandbox Pod's Secret and then the Pod (its UID guards against a newer Pod of
// the same name). The Secret goes first: a Secret without a Pod is the mark of a claim whose Pod was
// never created, whose item releaseOrphans gives back. The Pod is marked as deleted by this
// dispatcher before the delete, so that no sweep takes it for deleted by someone else.
func (d *dispatcher) deletePod(ctx context.Context, pod *corev1.Pod) error {
	if err := d.deleteSecret(ctx, pod.Name); err != nil {
		return err
	}
	d.markDeleted(pod.Name, true)
	err := d.client.Delete(ctx, pod, client.Preconditions{UID: &pod.UID}, client.PropagationPolicy(metav1.DeletePropagationBackground))
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		d.markDeleted(pod.Name, false)
		return err
	}
	return nil
}

func (d *dispatcher) markDeleted(name string, deleted bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if deleted {
		d.deleted[name] = true
	} else {
		delete(d.deleted, name)
	}
}

// deleteSecret deletes the Secret of a claim; a Secret already gone is fine.
func (d *dispatcher) deleteSecret(ctx context.Context, name string) error {
	secret := &corev1.Secret{}
	secret.Namespace, secret.Name = d.key.Namespace, name
	return client.IgnoreNotFound(d.client.Delete(ctx, secret))
}

// dropSecret deletes the Secret of a claim whose item was given back; a failure is only logged (an
// orphaned Secret is released again by the next sweep).
func (d *dispatcher) dropSecret(ctx context.Context, name string) {
	if err := d.deleteSecret(ctx, name); err != nil {
		d.log.Error(err, "Could not delete a sandbox Secret", "secret", name)
	}
}

// stopVanished stops the work item of a sandbox Pod that someone else deleted, unless its runner
// did already.
func (d *dispatcher) stopVanished(ctx context.Context, log logr.Logger, workID string) {
	if err := d.work.Stop(ctx, workID, true); err != nil {
		log.Info("Could not stop the work item of a deleted sandbox Pod; its runner may have", "error", err.Error())
		return
	}
	log.Info("Sandbox Pod was deleted; stopped its work item")
}
