// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/scheme"
	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
	"github.com/anthropics/managed-agents-operator/internal/sessionstream"
)

// endedTurn is a stream snapshot of a session whose prompt's turn is over: the next message is due.
func endedTurn(t *testing.T) *sessionstream.Snapshot {
	t.Helper()
	snap := &sessionstream.Snapshot{Synced: true}
	for _, raw := range []string{
		`{"type":"user.message","id":"sevt_1","content":[{"type":"text","text":"first"}]}`,
		`{"type":"session.status_running","id":"sevt_2"}`,
		`{"type":"session.status_idle","id":"sevt_3","stop_reason":{"type":"end_turn"}}`,
	} {
		ev, err := sessionevents.Decode([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		snap.State.Apply(&ev)
	}
	return snap
}

// drainWarnings returns the Events recorded so far.
func drainWarnings(rec *events.FakeRecorder) []string {
	var out []string
	for {
		select {
		case e := <-rec.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

// TestBlockedMessageWarnsOnce covers, without timing, the reconciles that may see a message held
// back by its attachment: one whose cache has not caught up with the status write of the first
// (the condition is not there yet), and one of a restarted manager, whose memory is empty but whose
// cache shows the condition that status keeps. Each case is one Warning in all; a new reason (the
// ConfigMap appears with data that is not the mediaType's) is a new Warning.
func TestBlockedMessageWarnsOnce(t *testing.T) {
	ctx := context.Background()
	stale := &v1alpha1.Session{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "s", UID: "uid-1", Generation: 1},
		Spec: v1alpha1.SessionSpec{Prompt: "first", Messages: []string{"look"}, Attachments: []v1alpha1.MessageAttachment{{
			Message: 1, Type: v1alpha1.AttachmentImage, MediaType: "image/png",
			ConfigMapKeyRef: &v1alpha1.ConfigMapKeyReference{Name: "late", Key: "x.png"}}}},
		Status: v1alpha1.SessionStatus{ID: "sesn_1", Phase: v1alpha1.SessionIdle},
	}
	reader := fake.NewClientBuilder().WithScheme(scheme.New()).Build()
	rec := events.NewFakeRecorder(10)
	r := &SessionReconciler{Recorder: rec, reader: reader}
	reconcile := func(r *SessionReconciler, sess *v1alpha1.Session) *v1alpha1.Session {
		t.Helper()
		s := &sessionScope{sess: sess.DeepCopy()}
		if msg, err := r.nextMessage(ctx, s, endedTurn(t)); msg != nil || err != nil {
			t.Fatalf("nextMessage = %v, %v; want the message held back", msg, err)
		}
		if want := "waiting for ConfigMap ns/late to send spec.messages[0]: "; !strings.HasPrefix(s.inputs.MessageWaits, want) {
			t.Errorf("the phase would say %q, want it to start with %q", s.inputs.MessageWaits, want)
		}
		return s.sess
	}

	written := reconcile(r, stale)
	reconcile(r, stale) // the cache still shows the Session without the condition
	if got := drainWarnings(rec); len(got) != 1 || !strings.Contains(got[0], string(ReasonConfigMapNotFound)) {
		t.Fatalf("two reconciles of the same stale Session recorded %q, want one ConfigMapNotFound Warning", got)
	}
	restarted := &SessionReconciler{Recorder: rec, reader: reader}
	reconcile(restarted, written)
	if got := drainWarnings(rec); len(got) != 0 {
		t.Errorf("a restarted manager warned again about the same wait: %q", got)
	}

	if err := reader.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "late"},
		BinaryData: map[string][]byte{"x.png": []byte("GIF89a not a png")}}); err != nil {
		t.Fatal(err)
	}
	reconcile(restarted, written)
	reconcile(restarted, written)
	if got := drainWarnings(rec); len(got) != 1 || !strings.Contains(got[0], string(ReasonInvalidAttachment)) {
		t.Errorf("a new reason recorded %q, want one InvalidAttachment Warning", got)
	}
}
