// SPDX-License-Identifier: Apache-2.0

package sessionstream

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/scheme"
)

// historyAPI serves a fixed history; every other call fails.
type historyAPI struct {
	managedagents.Client
	history []string
}

func (h historyAPI) ListEvents(_ context.Context, _ string, fn func(managedagents.Event) bool) error {
	for _, raw := range h.history {
		var ev anthropic.BetaManagedAgentsSessionEventUnion
		if err := json.Unmarshal([]byte(raw), &ev); err != nil {
			return err
		}
		if !fn(ev) {
			return nil
		}
	}
	return nil
}

func (h historyAPI) GetSession(context.Context, string) (*managedagents.Session, error) {
	return nil, errors.New("not served")
}

// TestHistoryFoldNeverCountsPastAMissingEvent proves the count that status shows stops before the
// first event whose Kubernetes Event could not be written. Status.eventCount is where a restarted
// manager resumes writing Events; before, the history fold published the full count past a failed
// write, and a restart then never wrote the missing Events.
func TestHistoryFoldNeverCountsPastAMissingEvent(t *testing.T) {
	failing := true
	kube := fake.NewClientBuilder().WithScheme(scheme.New()).WithInterceptorFuncs(interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			if ev, ok := obj.(*corev1.Event); ok && failing && ev.Annotations[AnnotationEventID] == "sevt_2" {
				return errors.New("the API server is unavailable")
			}
			return c.Create(ctx, obj, opts...)
		},
	}).Build()
	api := historyAPI{history: []string{
		`{"id":"sevt_1","type":"user.message","content":[{"type":"text","text":"hi"}]}`,
		`{"id":"sevt_2","type":"agent.message","content":[{"type":"text","text":"hello"}]}`,
		`{"id":"sevt_3","type":"agent.message","content":[{"type":"text","text":"done"}]}`,
	}}
	s := &Stream{pump: NewPump(kube, 0), api: api, sessionID: "sesn_1", target: Target{Namespace: "ns", Name: "s", UID: "uid"}}
	if _, err := s.foldHistory(context.Background()); err == nil {
		t.Fatal("the fold reported no error although an Event write failed")
	}
	snap := s.Snapshot()
	if snap.State.Count != 3 || snap.EventCount != 1 {
		t.Fatalf("after a failed Event write: state counts %d, status may count %d; want 3 and 1 (only the event before the failure)",
			snap.State.Count, snap.EventCount)
	}
	failing = false
	if _, err := s.foldHistory(context.Background()); err != nil {
		t.Fatal(err)
	}
	if snap := s.Snapshot(); snap.EventCount != 3 {
		t.Fatalf("after the re-fold wrote the missing Event, status may count %d, want 3", snap.EventCount)
	}
	var events corev1.EventList
	if err := kube.List(context.Background(), &events); err != nil || len(events.Items) != 3 {
		t.Fatalf("%d Events exist (err %v), want one per event", len(events.Items), err)
	}
}
