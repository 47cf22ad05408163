// SPDX-License-Identifier: Apache-2.0

package sessionstream

import (
	"context"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/anthropics/managed-agents-operator/internal/scheme"
	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
)

// TestStreamCountsAnEventOnlyOnceItsKubernetesEventExists proves the invariant a restart relies on:
// status.eventCount, built from the stream's state, is where a restarted manager resumes writing
// Kubernetes Events, so the state must not count an event while its Event write is in flight. (The
// chaos suite lost Events when agent messages were counted first and the manager died in between.)
func TestStreamCountsAnEventOnlyOnceItsKubernetesEventExists(t *testing.T) {
	writing, release := make(chan struct{}), make(chan struct{})
	kube := fake.NewClientBuilder().WithScheme(scheme.New()).WithInterceptorFuncs(interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			close(writing)
			<-release
			return c.Create(ctx, obj, opts...)
		},
	}).Build()
	s := &Stream{pump: NewPump(kube, time.Second), target: Target{Namespace: "ns", Name: "s", UID: "uid"}}
	ev, err := sessionevents.Decode([]byte(`{"type":"agent.message","id":"sevt_1","content":[{"type":"text","text":"done"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	applied := make(chan error, 1)
	go func() { applied <- s.apply(context.Background(), &ev) }()
	select {
	case <-writing:
	case <-time.After(10 * time.Second):
		t.Fatal("the Kubernetes Event was never written")
	}
	if n := s.Snapshot().State.Count; n != 0 {
		t.Fatalf("the state counts %d events while the first one's Kubernetes Event is still being written", n)
	}
	close(release)
	if err := <-applied; err != nil {
		t.Fatal(err)
	}
	if n := s.Snapshot().State.Count; n != 1 {
		t.Fatalf("the state counts %d events after the Event was written, want 1", n)
	}
}
