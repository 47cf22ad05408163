// SPDX-License-Identifier: Apache-2.0

package controller_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/controller"
	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
)

// The side paths of a message that waits for its attachment's ConfigMap: a ConfigMap deleted after
// an earlier message used it, an interrupt while the message waits, a manager restart while it
// waits, and what status tells a user (and kstatus) meanwhile.

// waitingForConfigMap reports whether a Session shows that its next message waits for a ConfigMap.
func waitingForConfigMap(s *v1alpha1.Session) bool {
	return conditionIs(s.Status.Conditions, v1alpha1.ConditionAttachmentsResolved, metav1.ConditionFalse, controller.ReasonConfigMapNotFound)
}

// assertWaitShown checks what a user sees of a message waiting for ConfigMap name: the phase's
// message (Ready, TurnComplete) names it instead of claiming the message is being sent, and
// kstatus reads Reconciling=True (InProgress), not Current.
func assertWaitShown(t *testing.T, sess *v1alpha1.Session, name string) {
	t.Helper()
	want := fmt.Sprintf("waiting for ConfigMap %s/%s", sess.Namespace, name)
	for _, typ := range []string{v1alpha1.ConditionReady, v1alpha1.ConditionTurnComplete} {
		if c := conditionOf(sess, typ); !strings.HasPrefix(c.Message, want) {
			t.Errorf("%s says %q, want it to start with %q", typ, c.Message, want)
		}
	}
	if c := conditionOf(sess, v1alpha1.ConditionReconciling); c.Status != metav1.ConditionTrue || c.Reason != string(controller.ReasonConfigMapNotFound) || !strings.Contains(c.Message, name) {
		t.Errorf("Reconciling = %s/%s %q, want True/ConfigMapNotFound naming %s (kstatus InProgress)", c.Status, c.Reason, c.Message, name)
	}
}

// createWithFollowUpImage creates a Session with the prompt "first" and one follow-up message that
// attaches the image in key x.png of a ConfigMap.
func createWithFollowUpImage(t *testing.T, f *sessionFixture, name, message, configMap string) client.ObjectKey {
	t.Helper()
	sess := f.newSession(name, "first")
	sess.Spec.Messages = []string{message}
	sess.Spec.Attachments = []v1alpha1.MessageAttachment{imageFrom(1, configMap, "x.png")}
	create(t, sess)
	return client.ObjectKeyFromObject(sess)
}

// userMessageTexts returns the text of each user.message in a remote session's history.
func userMessageTexts(t *testing.T, sessionID string) []string {
	t.Helper()
	var texts []string
	for _, blocks := range remoteUserMessages(t, sessionID) {
		text := ""
		for _, b := range blocks {
			text += b.Text
		}
		texts = append(texts, text)
	}
	return texts
}

// TestSessionMessageWaitsForADeletedConfigMap: message 1 goes out with ConfigMap A's image; A is
// deleted; message 2, which needs A too, waits (AttachmentsResolved False, one Warning, the phase
// says so) and goes out once A is created again. Message 1 is never sent again.
func TestSessionMessageWaitsForADeletedConfigMap(t *testing.T) {
	f := newSessionFixture(t)
	binaryConfigMap(t, f.ns, "a", "x.png", pngFile("first"))
	key := createWithFollowUpImage(t, f, "deleted-configmap", "one", "a")
	waitSession(t, key, "message 1 answered", func(s *v1alpha1.Session) bool {
		return s.Status.Phase == v1alpha1.SessionSucceeded && s.Status.MessagesSent == 1
	})
	if err := k8s.Delete(context.Background(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "a"}}); err != nil {
		t.Fatal(err)
	}
	editSession(t, key, func(s *v1alpha1.Session) {
		s.Spec.Messages = append(s.Spec.Messages, "two")
		s.Spec.Attachments = append(s.Spec.Attachments, imageFrom(2, "a", "x.png"))
	})
	waitSession(t, key, "message 2 waits for A", waitingForConfigMap)
	bumpAnnotation(t, key, "1") // another reconcile while it waits: no send, no second Warning
	time.Sleep(2 * time.Second)
	sess := waitSession(t, key, "still waiting", waitingForConfigMap)
	if !strings.HasPrefix(conditionOf(sess, v1alpha1.ConditionAttachmentsResolved).Message, "spec.messages[1] waits") {
		t.Errorf("AttachmentsResolved %q does not name spec.messages[1]", conditionOf(sess, v1alpha1.ConditionAttachmentsResolved).Message)
	}
	if got := userMessageTexts(t, sess.Status.ID); sess.Status.MessagesSent != 1 || len(got) != 2 {
		t.Fatalf("while A is missing: sent=%d, remote user messages %q; want 1 and [first one]", sess.Status.MessagesSent, got)
	}
	if n := warningsWithReason(t, sess, controller.ReasonConfigMapNotFound); n != 1 {
		t.Errorf("%d ConfigMapNotFound Warnings, want exactly 1", n)
	}
	assertWaitShown(t, sess, "a")

	binaryConfigMap(t, f.ns, "a", "x.png", pngFile("second"))
	sess = waitSession(t, key, "message 2 answered", func(s *v1alpha1.Session) bool {
		return s.Status.Phase == v1alpha1.SessionSucceeded && s.Status.MessagesSent == 2
	})
	time.Sleep(time.Second)
	if got := userMessageTexts(t, sess.Status.ID); strings.Join(got, "|") != "first|one|two" {
		t.Errorf("remote user messages %q, want first, one, two: each once", got)
	}
	if c := conditionOf(sess, v1alpha1.ConditionReconciling); c.Status != metav1.ConditionFalse {
		t.Errorf("Reconciling = %s/%s after the message went out, want False", c.Status, c.Reason)
	}
	assertMessageSummaries(t, sess, "[1 image] two")
}

// assertMessageSummaries checks that the user.message Event and status.recentEvents entry of a
// message with attachments say what was attached.
func assertMessageSummaries(t *testing.T, sess *v1alpha1.Session, want string) {
	t.Helper()
	eventually(t, "the UserMessage Event and recent event "+want, func() (bool, string) {
		var events, recent []string
		for _, e := range objectEvents(t, sess) {
			if e.Reason == sessionevents.ReasonUserMessage {
				events = append(events, e.Message)
			}
		}
		var now v1alpha1.Session
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(sess), &now); err != nil {
			return false, err.Error()
		}
		for _, e := range now.Status.RecentEvents {
			if e.Type == "user.message" {
				recent = append(recent, e.Summary)
			}
		}
		return slices.Contains(events, want) && slices.Contains(recent, want), fmt.Sprintf("UserMessage Events %q, recent user messages %q", events, recent)
	})
}

// TestSessionInterruptWhileAMessageWaitsForItsConfigMap: a user steers a running turn by appending
// a message with an image whose ConfigMap is not there yet and asking for an interrupt in the same
// edit. The interrupt goes out at once; the message waits, is neither lost nor sent twice, and goes
// out once the ConfigMap exists.
func TestSessionInterruptWhileAMessageWaitsForItsConfigMap(t *testing.T) {
	f := newSessionFixture(t)
	sess := f.newSession("interrupt-while-waiting", "[[slow:60s]] a long job")
	create(t, sess)
	key := client.ObjectKeyFromObject(sess)
	waitSession(t, key, "running", phaseIs(v1alpha1.SessionRunning))
	editSession(t, key, func(s *v1alpha1.Session) {
		s.Spec.Messages = []string{"stop, look at this instead"}
		s.Spec.Attachments = []v1alpha1.MessageAttachment{imageFrom(1, "steer", "screen.png")}
		s.Spec.InterruptRequest = "steer-1"
	})
	sess = waitSession(t, key, "interrupted, the message waiting", func(s *v1alpha1.Session) bool {
		return s.Status.InterruptRequest == "steer-1" && waitingForConfigMap(s) && s.Status.Phase == v1alpha1.SessionIdle
	})
	history := remoteHistory(t, sess.Status.ID)
	if n, m := countType(history, "user.interrupt"), countType(history, "user.message"); n != 1 || m != 1 || sess.Status.MessagesSent != 0 {
		t.Fatalf("%d interrupts, %d user messages, sent=%d; want the interrupt once and the message held", n, m, sess.Status.MessagesSent)
	}
	assertWaitShown(t, sess, "steer")

	binaryConfigMap(t, f.ns, "steer", "screen.png", pngFile("steer"))
	sess = waitSession(t, key, "the message answered", func(s *v1alpha1.Session) bool {
		return s.Status.MessagesSent == 1 && s.Status.Phase == v1alpha1.SessionSucceeded
	})
	time.Sleep(time.Second)
	history = remoteHistory(t, sess.Status.ID)
	if n, m := countType(history, "user.interrupt"), countType(history, "user.message"); n != 1 || m != 2 {
		t.Errorf("%d interrupts and %d user messages in the remote history, want 1 and 2", n, m)
	}
	if n := warningsWithReason(t, sess, controller.ReasonConfigMapNotFound); n != 1 {
		t.Errorf("%d ConfigMapNotFound Warnings, want exactly 1", n)
	}
}

// TestSessionWaitingMessageSurvivesARestartWithOneWarning: the Warning about a waiting message goes
// out on the transition of AttachmentsResolved, which status keeps: a restarted manager (fresh
// memory, fresh cache) reconciles the waiting Session without warning again, and still sends the
// message once the ConfigMap appears.
func TestSessionWaitingMessageSurvivesARestartWithOneWarning(t *testing.T) {
	f := newSessionFixture(t)
	key := createWithFollowUpImage(t, f, "restart-while-waiting", "look", "late")
	waitSession(t, key, "the message waits", waitingForConfigMap)
	restartManager(t)
	bumpAnnotation(t, key, "after-restart")
	time.Sleep(3 * time.Second)
	sess := waitSession(t, key, "still waiting", waitingForConfigMap)
	if n := warningsWithReason(t, sess, controller.ReasonConfigMapNotFound); n != 1 {
		t.Errorf("%d ConfigMapNotFound Warnings across a restart, want exactly 1", n)
	}
	binaryConfigMap(t, f.ns, "late", "x.png", pngFile("late"))
	sess = waitSession(t, key, "the message answered", func(s *v1alpha1.Session) bool {
		return s.Status.MessagesSent == 1 && s.Status.Phase == v1alpha1.SessionSucceeded
	})
	if got := userMessageTexts(t, sess.Status.ID); strings.Join(got, "|") != "first|look" {
		t.Errorf("remote user messages %q, want first, look", got)
	}
}

// TestSessionLaunchWaitShowsTheConfigMap: a prompt waiting for its image's ConfigMap says so in
// the phase's message and in Reconciling, not "waiting to launch".
func TestSessionLaunchWaitShowsTheConfigMap(t *testing.T) {
	f := newSessionFixture(t)
	sess := f.newSession("launch-wait-shown", "describe it")
	sess.Spec.Attachments = []v1alpha1.MessageAttachment{imageFrom(0, "photos", "p.png")}
	create(t, sess)
	sess = waitSession(t, client.ObjectKeyFromObject(sess), "the launch waits", waitingForConfigMap)
	want := fmt.Sprintf("waiting for ConfigMap %s/photos", f.ns)
	if c := conditionOf(sess, v1alpha1.ConditionReady); sess.Status.Phase != v1alpha1.SessionPending || !strings.HasPrefix(c.Message, want) {
		t.Errorf("phase %s, Ready %q; want Pending, starting with %q", sess.Status.Phase, c.Message, want)
	}
	if c := conditionOf(sess, v1alpha1.ConditionReconciling); c.Status != metav1.ConditionTrue || c.Reason != string(controller.ReasonConfigMapNotFound) {
		t.Errorf("Reconciling = %s/%s, want True/ConfigMapNotFound", c.Status, c.Reason)
	}
}

// TestSessionMessageWithInvalidAttachmentStalls: data that is not of its mediaType holds the message
// until a person fixes the ConfigMap, so kstatus reads Failed (Stalled=True, InvalidAttachment) and
// the phase names the ConfigMap; fixing the data sends the message and clears Stalled.
func TestSessionMessageWithInvalidAttachmentStalls(t *testing.T) {
	f := newSessionFixture(t)
	binaryConfigMap(t, f.ns, "bad", "x.png", []byte("GIF89a, not a PNG"))
	key := createWithFollowUpImage(t, f, "invalid-attachment", "look", "bad")
	sess := waitSession(t, key, "stalled on the data", func(s *v1alpha1.Session) bool {
		return conditionIs(s.Status.Conditions, v1alpha1.ConditionStalled, metav1.ConditionTrue, controller.ReasonInvalidAttachment)
	})
	if c := conditionOf(sess, v1alpha1.ConditionReady); !strings.HasPrefix(c.Message, fmt.Sprintf("waiting for ConfigMap %s/bad to send spec.messages[0]", f.ns)) {
		t.Errorf("Ready says %q, want it to name the ConfigMap", c.Message)
	}
	var cm corev1.ConfigMap
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: f.ns, Name: "bad"}, &cm); err != nil {
		t.Fatal(err)
	}
	cm.BinaryData["x.png"] = pngFile("fixed")
	if err := k8s.Update(context.Background(), &cm); err != nil {
		t.Fatal(err)
	}
	waitSession(t, key, "sent once fixed, no longer stalled", func(s *v1alpha1.Session) bool {
		return s.Status.MessagesSent == 1 && s.Status.Phase == v1alpha1.SessionSucceeded &&
			conditionIs(s.Status.Conditions, v1alpha1.ConditionStalled, metav1.ConditionFalse, controller.ReasonNotStalled)
	})
}
