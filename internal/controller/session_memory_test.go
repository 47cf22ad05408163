// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/scheme"
	"github.com/anthropics/managed-agents-operator/internal/sessionstream"
)

// TestSessionMemoryIsForgottenWhenTheSessionIsGoneByAnyPath proves that what the reconciler
// remembers per Session (launched id, counted usage, announced end, resync clock) goes when the
// Session is gone, whatever removed it: a namespace deletion or a finalizer removed by hand never
// passes through reconcileDelete. Before, only reconcileDelete pruned these maps.
func TestSessionMemoryIsForgottenWhenTheSessionIsGoneByAnyPath(t *testing.T) {
	kube := fake.NewClientBuilder().WithScheme(scheme.New()).Build()
	r := &SessionReconciler{Client: kube, Pump: sessionstream.NewPump(kube, time.Second), resync: newResyncTracker(time.Minute)}
	key := types.NamespacedName{Namespace: "ns", Name: "gone"}
	sess := &v1alpha1.Session{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name, UID: "uid-1"}}
	r.memory.update(key, sess.UID, func(m *sessionMemory) {
		m.launched, m.announced, m.countedUsage = "sesn_1", v1alpha1.SessionSucceeded, &v1alpha1.SessionUsage{InputTokens: 3}
	})
	r.resync.markVerified(sess)

	if _, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: key}); err != nil {
		t.Fatal(err)
	}
	if mem := r.memory.get(key, sess.UID); mem.launched != "" || mem.announced != "" || mem.countedUsage != nil {
		t.Errorf("the memory of a Session that no longer exists is still held: %+v", mem)
	}
	if !r.resync.due(sess) {
		t.Error("the resync clock of a Session that no longer exists is still held")
	}
}
