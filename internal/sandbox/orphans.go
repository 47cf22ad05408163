// SPDX-License-Identifier: Apache-2.0

package sandbox

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// releaseOrphans finds the Secrets of claims whose Pod does not exist and that no claim in flight
// is about to create: a dispatcher stopped (or crashed) between the claim and the Pod, or someone
// deleted the Pod. Each one's item is given back at once, unless a Pod of it exists (a later claim
// of the same item runs), and the Secret is deleted. The Secrets also hold their items: an item is
// not claimed again while a Secret of an earlier claim of it exists, so that giving that claim back
// can never stop a later one. Like the sweep's, these cleanups run outside the lock and the loop.
func (d *dispatcher) releaseOrphans(ctx context.Context, view podView) {
	var list metav1.PartialObjectMetadataList
	list.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("SecretList"))
	err := d.client.List(ctx, &list, client.InNamespace(d.key.Namespace), client.MatchingLabels{
		LabelEnvironment: labelValue(d.key.Name), LabelComponent: ComponentSandbox,
	})
	if err != nil {
		d.log.Error(err, "Could not list sandbox Secrets")
		return
	}
	var jobs []cleanup
	d.mu.Lock()
	for i := range list.Items {
		s := &list.Items[i]
		d.held[s.Labels[LabelWorkID]]++
		if !view.names[s.Name] && !d.marked[s.Name] && d.inflight[s.Name].IsZero() && !d.cleaning[s.Name] && s.DeletionTimestamp.IsZero() {
			d.cleaning[s.Name] = true
			runsElsewhere := view.podsOfWork[s.Labels[LabelWorkID]] > 0
			jobs = append(jobs, cleanup{name: s.Name, run: func(ctx context.Context) { d.releaseOrphan(ctx, s, runsElsewhere) }})
		}
	}
	d.mu.Unlock()
	d.startCleanups(ctx, jobs)
}

// releaseOrphan gives back the item of a Secret without a Pod, once the API server confirms that
// the Pod does not exist (the cache may not show one just created), and deletes the Secret.
func (d *dispatcher) releaseOrphan(ctx context.Context, s *metav1.PartialObjectMetadata, runsElsewhere bool) {
	err := d.reader.Get(ctx, types.NamespacedName{Namespace: s.Namespace, Name: s.Name}, &corev1.Pod{})
	if !apierrors.IsNotFound(err) {
		return
	}
	if workID := s.Labels[LabelWorkID]; !runsElsewhere && !d.giveBack(ctx, workID) {
		return // the Secret stays, and the next pass tries again
	}
	d.dropSecret(ctx, s.Name)
}
