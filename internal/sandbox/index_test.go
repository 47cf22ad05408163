// SPDX-License-Identifier: Apache-2.0

package sandbox

import (
	"context"
	"testing"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/scheme"
)

// listRecorder records the options of every List, to tell an indexed lookup from a full list.
type listRecorder struct {
	client.Reader
	lists []*client.ListOptions
}

func (r *listRecorder) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	o := &client.ListOptions{}
	o.ApplyOptions(opts)
	r.lists = append(r.lists, o)
	return r.Reader.List(ctx, list, opts...)
}

func TestFindSessionUsesTheIndex(t *testing.T) {
	sessions := []client.Object{}
	for _, id := range []string{"sesn_a", "sesn_b", ""} {
		s := &v1alpha1.Session{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "s" + id}}
		s.Status.ID = id
		sessions = append(sessions, s)
	}
	other := &v1alpha1.Session{ObjectMeta: metav1.ObjectMeta{Namespace: "other", Name: "same-id"}}
	other.Status.ID = "sesn_b"
	build := func(indexed bool) client.Reader {
		b := fake.NewClientBuilder().WithScheme(scheme.New()).WithObjects(append(sessions, other)...).
			WithStatusSubresource(&v1alpha1.Session{})
		if indexed {
			b = b.WithIndex(&v1alpha1.Session{}, IndexSessionID, sessionIDOf)
		}
		return b.Build()
	}
	cases := []struct {
		why       string
		indexed   bool
		id        string
		want      string
		wantLists int // 1: the index answered; 2: it was missing and the namespace was listed
	}{
		{why: "the index finds the Session of a remote id in one lookup", indexed: true, id: "sesn_b", want: "ssesn_b", wantLists: 1},
		{why: "an id that no Session has yet (not launched, or another namespace's) finds none", indexed: true, id: "sesn_c", wantLists: 1},
		{why: "a cache without the index still answers, by listing the namespace", indexed: false, id: "sesn_a", want: "ssesn_a", wantLists: 2},
	}
	for _, tc := range cases {
		t.Run(tc.why, func(t *testing.T) {
			r := &listRecorder{Reader: build(tc.indexed)}
			// The suite's log capture is for the manager's lines: this lookup's fallback logs nowhere.
			got := findSession(logf.IntoContext(context.Background(), logr.Discard()), r, "ns", tc.id)
			name := ""
			if got != nil {
				name = got.Name
			}
			if name != tc.want || len(r.lists) != tc.wantLists {
				t.Fatalf("found %q with %d lists, want %q with %d", name, len(r.lists), tc.want, tc.wantLists)
			}
			if r.lists[0].FieldSelector == nil || r.lists[0].FieldSelector.String() != IndexSessionID+"="+tc.id {
				t.Errorf("the first list did not select by %s: %+v", IndexSessionID, r.lists[0])
			}
		})
	}
}
