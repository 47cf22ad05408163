// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"fmt"
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
	"github.com/anthropics/managed-agents-operator/internal/sessionstatus"
)

// busySession is a streaming Session whose status lists are full, and the same Session one event
// later: what the coalescer compares on each reconcile of a stream-only change.
func busySession(b *testing.B) (before, after *v1alpha1.Session) {
	b.Helper()
	var st sessionevents.State
	apply := func(raw string) {
		ev, err := sessionevents.Decode([]byte(raw))
		if err != nil {
			b.Fatal(err)
		}
		st.Apply(&ev)
	}
	apply(`{"type":"user.message","id":"sevt_u","content":[{"type":"text","text":"fix the build"}]}`)
	apply(`{"type":"session.status_running","id":"sevt_r"}`)
	for i := range sessionevents.MaxRecent {
		apply(fmt.Sprintf(`{"type":"agent.message","id":"sevt_m%d","processed_at":"2026-04-01T12:00:%02d.5Z","content":[{"type":"text","text":"step %d done"}]}`, i, i, i))
	}
	before = &v1alpha1.Session{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "s", ResourceVersion: "42", Generation: 1},
		Spec: v1alpha1.SessionSpec{Prompt: "fix the build"}}
	before.Status.ID, before.Status.Phase = "sesn_1", v1alpha1.SessionRunning
	sessionstatus.Apply(&before.Status, &st)
	for _, c := range []string{v1alpha1.ConditionReady, v1alpha1.ConditionLaunched, v1alpha1.ConditionTurnComplete, v1alpha1.ConditionFinished} {
		setCondition(&before.Status.Conditions, 1, c, metav1.ConditionTrue, "Running", "the agent is working")
	}
	after = before.DeepCopy()
	apply(`{"type":"agent.message","id":"sevt_next","processed_at":"2026-04-01T12:01:00.5Z","content":[{"type":"text","text":"next step"}]}`)
	sessionstatus.Apply(&after.Status, &st)
	return before, after
}

// BenchmarkCoalescer measures the per-reconcile costs of coalescing stream-driven status writes:
// the reconciler's decision whether a change is stream-only and may wait, and the patch it sends.
// (The pump's per-event wake decision is benchmarked in internal/sessionstream.)
func BenchmarkCoalescer(b *testing.B) {
	before, after := busySession(b)
	b.Run("write-decision", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if equality.Semantic.DeepEqual(before.Status, after.Status) || !streamOnlyChange(&before.Status, &after.Status) {
				b.Fatal("one more agent message is a stream-only change")
			}
		}
	})
	// The status patch of one more event: client.MergeFrom's, which the manager used to send, and
	// the field-by-field one it sends now.
	b.Run("patch-data/merge-from", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := statusPatch(before, after).Data(after); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("patch-data/field-by-field", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := statusMergePatch(before, after); err != nil {
				b.Fatal(err)
			}
		}
	})
}
