// SPDX-License-Identifier: Apache-2.0

package controller_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/controller"
	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

// A PNG signature and header: enough for the API's (and the simulator's) check that the data is a
// PNG; the tail makes each test's data its own, so a leak into logs is found.
const pngHeader = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"

func pngFile(tail string) []byte { return []byte(pngHeader + tail) }

// binaryConfigMap creates a ConfigMap with one binaryData key.
func binaryConfigMap(t *testing.T, ns, name, key string, data []byte) {
	t.Helper()
	create(t, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, BinaryData: map[string][]byte{key: data}})
}

func imageFrom(message int32, configMap, key string) v1alpha1.MessageAttachment {
	return v1alpha1.MessageAttachment{Message: message, Type: v1alpha1.AttachmentImage, MediaType: "image/png",
		ConfigMapKeyRef: &v1alpha1.ConfigMapKeyReference{Name: configMap, Key: key}}
}

// contentBlock is a content block of a remote user.message, as the simulator stored it.
type contentBlock struct {
	Type   string `json:"type"`
	Text   string `json:"text"`
	Title  string `json:"title"`
	Source struct {
		Type      string `json:"type"`
		MediaType string `json:"media_type"`
		Data      string `json:"data"`
		FileID    string `json:"file_id"`
	} `json:"source"`
}

// remoteUserMessages returns the content of each user.message in a remote session's history.
func remoteUserMessages(t *testing.T, sessionID string) [][]contentBlock {
	t.Helper()
	raw, err := sim.Events(sessionID)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]contentBlock
	for _, r := range raw {
		var ev struct {
			Type    string         `json:"type"`
			Content []contentBlock `json:"content"`
		}
		if err := json.Unmarshal(r, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Type == "user.message" {
			out = append(out, ev.Content)
		}
	}
	return out
}

// warningsWithReason counts the Warning Events about obj with this reason, a repeat in a series
// counting as another.
func warningsWithReason[R ~string](t *testing.T, obj client.Object, reason R) int {
	t.Helper()
	n := 0
	for _, e := range objectEvents(t, obj) {
		if e.Type != corev1.EventTypeWarning || e.Reason != string(reason) {
			continue
		}
		n += max(1, int(e.Count))
		if e.Series != nil {
			n += max(0, int(e.Series.Count)-1)
		}
	}
	return n
}

// TestSessionSendsAttachments: a prompt's image from a ConfigMap arrives in the create request's
// user.message as base64 with its media type, before the prompt's text; a follow-up message's
// document by fileID arrives with its title; the data shows in no log, status or Event.
func TestSessionSendsAttachments(t *testing.T) {
	f := newSessionFixture(t)
	img := pngFile("chart-" + f.ns)
	encoded := base64.StdEncoding.EncodeToString(img)
	scanLogsFor(t, encoded)
	binaryConfigMap(t, f.ns, "charts", "q3.png", img)
	sess := f.newSession("attachments", "What does the chart show?")
	sess.Spec.Messages = []string{"Now read the report"}
	sess.Spec.Attachments = []v1alpha1.MessageAttachment{
		imageFrom(0, "charts", "q3.png"),
		{Message: 1, Type: v1alpha1.AttachmentDocument, FileID: "file_011", Title: "Q3 report"},
	}
	create(t, sess)
	sess = waitSession(t, client.ObjectKeyFromObject(sess), "both turns", func(s *v1alpha1.Session) bool {
		return s.Status.Phase == v1alpha1.SessionSucceeded && s.Status.MessagesSent == 1
	})
	msgs := remoteUserMessages(t, sess.Status.ID)
	if len(msgs) != 2 || len(msgs[0]) != 2 || len(msgs[1]) != 2 {
		t.Fatalf("remote user messages %+v, want two of two blocks each", msgs)
	}
	prompt, doc := msgs[0], msgs[1]
	if b := prompt[0]; b.Type != "image" || b.Source.Type != "base64" || b.Source.MediaType != "image/png" || b.Source.Data != encoded {
		t.Errorf("the prompt's first block is %s/%s/%s with %d bytes of data, want the ConfigMap's PNG base64-encoded", b.Type, b.Source.Type, b.Source.MediaType, len(b.Source.Data))
	}
	if b := prompt[1]; b.Type != "text" || b.Text != sess.Spec.Prompt {
		t.Errorf("the prompt's text block is %+v, want the prompt after the image", b)
	}
	if b := doc[0]; b.Type != "document" || b.Source.Type != "file" || b.Source.FileID != "file_011" || b.Title != "Q3 report" {
		t.Errorf("the follow-up's first block is %+v, want the document file_011 titled Q3 report", b)
	}
	if b := doc[1]; b.Type != "text" || b.Text != "Now read the report" {
		t.Errorf("the follow-up's text block is %+v", b)
	}
	if got := readyConditionOf(sess, v1alpha1.ConditionAttachmentsResolved); got != "True/"+string(controller.ReasonResolved) {
		t.Errorf("AttachmentsResolved = %s, want True/Resolved", got)
	}
	assertNoSecretsAnywhere(t, sess, sess.Status, encoded)
}

// TestSessionMessageWaitsForItsConfigMap: a follow-up whose image's ConfigMap does not exist is not
// sent, and nothing else is held up: the prompt's turn runs, AttachmentsResolved says which
// ConfigMap is missing, one Warning Event says so however often the Session is reconciled, and the
// Session does not finish. Creating the ConfigMap sends the message, once, with the image.
func TestSessionMessageWaitsForItsConfigMap(t *testing.T) {
	f := newSessionFixture(t)
	sess := f.newSession("waits-for-configmap", "first")
	sess.Spec.Messages = []string{"look at this"}
	sess.Spec.Attachments = []v1alpha1.MessageAttachment{imageFrom(1, "later", "diagram.png")}
	create(t, sess)
	key := client.ObjectKeyFromObject(sess)
	sess = waitSession(t, key, "the message held back", func(s *v1alpha1.Session) bool {
		return conditionIs(s.Status.Conditions, v1alpha1.ConditionAttachmentsResolved, metav1.ConditionFalse, controller.ReasonConfigMapNotFound) &&
			s.Status.StopReason == "end_turn"
	})
	want := fmt.Sprintf("spec.messages[0] waits, nothing of it is sent: spec.attachments[0]: ConfigMap %s/later does not exist", f.ns)
	if c := conditionOf(sess, v1alpha1.ConditionAttachmentsResolved); c.Message != want {
		t.Errorf("AttachmentsResolved message %q, want %q", c.Message, want)
	}
	// Status writes and resyncs reconcile the Session meanwhile; none may send or warn again.
	bumpAnnotation(t, key, "1")
	time.Sleep(3 * time.Second)
	sess = waitSession(t, key, "still waiting", func(*v1alpha1.Session) bool { return true })
	if sess.Status.MessagesSent != 0 || sess.Status.Phase != v1alpha1.SessionIdle || len(remoteUserMessages(t, sess.Status.ID)) != 1 {
		t.Fatalf("the held message went out or the Session finished: %s, %d remote user messages", describeSession(sess), len(remoteUserMessages(t, sess.Status.ID)))
	}
	if n := warningsWithReason(t, sess, controller.ReasonConfigMapNotFound); n != 1 {
		t.Errorf("%d ConfigMapNotFound Warnings, want exactly 1", n)
	}

	binaryConfigMap(t, f.ns, "later", "diagram.png", pngFile("diagram"))
	sess = waitSession(t, key, "the message sent once the ConfigMap exists", func(s *v1alpha1.Session) bool {
		return s.Status.Phase == v1alpha1.SessionSucceeded && s.Status.MessagesSent == 1
	})
	msgs := remoteUserMessages(t, sess.Status.ID)
	if len(msgs) != 2 || msgs[1][0].Type != "image" || msgs[1][0].Source.Data != base64.StdEncoding.EncodeToString(pngFile("diagram")) {
		t.Fatalf("remote user messages %+v, want the prompt, then the message with the ConfigMap's image", msgs)
	}
	if got := readyConditionOf(sess, v1alpha1.ConditionAttachmentsResolved); got != "True/"+string(controller.ReasonResolved) {
		t.Errorf("AttachmentsResolved = %s after the ConfigMap appeared, want True/Resolved", got)
	}
}

// TestSessionLaunchWaitsForThePromptsConfigMap: a prompt whose image's key is missing holds the
// launch (no remote session, phase Pending) with one Warning; adding the key launches it with the image.
func TestSessionLaunchWaitsForThePromptsConfigMap(t *testing.T) {
	f := newSessionFixture(t)
	configMap(t, f.ns, "pics", map[string]string{"other": "x"})
	sess := f.newSession("launch-waits", "describe it")
	sess.Spec.Attachments = []v1alpha1.MessageAttachment{imageFrom(0, "pics", "photo.png")}
	create(t, sess)
	key := client.ObjectKeyFromObject(sess)
	sess = waitSession(t, key, "the launch held back", func(s *v1alpha1.Session) bool {
		return conditionIs(s.Status.Conditions, v1alpha1.ConditionAttachmentsResolved, metav1.ConditionFalse, controller.ReasonConfigMapNotFound)
	})
	if sess.Status.ID != "" || sess.Status.Phase != v1alpha1.SessionPending || remoteWithUID(string(sess.UID)) != "" {
		t.Fatalf("launched without the prompt's image: %s", describeSession(sess))
	}
	if c := conditionOf(sess, v1alpha1.ConditionAttachmentsResolved); c.Message != fmt.Sprintf(
		"spec.prompt waits, nothing of it is sent: spec.attachments[0]: ConfigMap %s/pics has no key photo.png in data or binaryData", f.ns) {
		t.Errorf("AttachmentsResolved message %q does not name the ConfigMap and key", c.Message)
	}
	var cm corev1.ConfigMap
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: f.ns, Name: "pics"}, &cm); err != nil {
		t.Fatal(err)
	}
	cm.BinaryData = map[string][]byte{"photo.png": pngFile("photo")}
	if err := k8s.Update(context.Background(), &cm); err != nil {
		t.Fatal(err)
	}
	sess = waitSession(t, key, "launched", phaseIs(v1alpha1.SessionSucceeded))
	if msgs := remoteUserMessages(t, sess.Status.ID); len(msgs) != 1 || msgs[0][0].Source.MediaType != "image/png" {
		t.Errorf("remote user messages %+v, want the prompt with its image", msgs)
	}
	if n := warningsWithReason(t, sess, controller.ReasonConfigMapNotFound); n != 1 {
		t.Errorf("%d ConfigMapNotFound Warnings, want exactly 1", n)
	}
}

// TestMessageWithAttachmentAfterALostResponseIsSentOnce: a message with an image that the API
// committed but whose response was lost is found in the remote history and not sent again.
func TestMessageWithAttachmentAfterALostResponseIsSentOnce(t *testing.T) {
	ctx := testContext(t, time.Minute)
	f := newSessionFixture(t)
	binaryConfigMap(t, f.ns, "shots", "screen.png", pngFile("screen"))
	sess := f.newSession("attachment-lost", "first")
	create(t, sess)
	key := client.ObjectKeyFromObject(sess)
	sess = waitSession(t, key, "Succeeded", phaseIs(v1alpha1.SessionSucceeded))
	lost, err := sim.AddFault(simulator.Fault{Kind: simulator.FaultLoseResponse, Endpoint: sendEventsEndpoint, Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.RemoveFault(lost) })
	sess.Spec.Messages = []string{"what is on this screen?"}
	sess.Spec.Attachments = []v1alpha1.MessageAttachment{imageFrom(1, "shots", "screen.png")}
	if err := k8s.Update(ctx, sess); err != nil {
		t.Fatal(err)
	}
	sess = waitSession(t, key, "the message answered", func(s *v1alpha1.Session) bool {
		return s.Status.Phase == v1alpha1.SessionSucceeded && s.Status.MessagesSent == 1
	})
	if left := remainingFaultCount(lost); left != 0 {
		t.Fatalf("the lost response was never injected (%d left): the test proves nothing", left)
	}
	time.Sleep(2 * time.Second)
	if msgs := remoteUserMessages(t, sess.Status.ID); len(msgs) != 2 {
		t.Errorf("%d user messages in the remote history, want 2: the prompt and the message with its image, once", len(msgs))
	}
}

// TestAttachmentSampleRuns: the attachments sample (a ConfigMap and a Session) runs against the
// simulator: the prompt goes out with the sample's PNG, the follow-up with its inline document.
func TestAttachmentSampleRuns(t *testing.T) {
	f := newSessionFixture(t)
	sess := &v1alpha1.Session{}
	for _, doc := range sampleDocs(t, "attachments/claude_v1alpha1_session_attachments.yaml") {
		var into client.Object = sess
		if strings.Contains(doc, "kind: ConfigMap") {
			into = &corev1.ConfigMap{}
		}
		if err := yaml.UnmarshalStrict([]byte(doc), into); err != nil {
			t.Fatal(err)
		}
		into.SetNamespace(f.ns)
		if into == client.Object(sess) {
			sess.Spec.EnvironmentRef.Name = "env" // the fixture's Environment stands in for python-dev
		}
		create(t, into)
	}
	sess = waitSession(t, client.ObjectKeyFromObject(sess), "both turns", func(s *v1alpha1.Session) bool {
		return s.Status.Phase == v1alpha1.SessionSucceeded && s.Status.MessagesSent == 1
	})
	msgs := remoteUserMessages(t, sess.Status.ID)
	if len(msgs) != 2 || msgs[0][0].Source.MediaType != "image/png" || msgs[1][0].Type != "document" || msgs[1][0].Source.Type != "text" {
		t.Errorf("remote user messages %+v, want the prompt with the PNG, then the message with the notes", msgs)
	}
}

// conditionOf returns a condition of a Session (the zero condition when it is missing).
func conditionOf(s *v1alpha1.Session, condType string) metav1.Condition {
	for _, c := range s.Status.Conditions {
		if c.Type == condType {
			return c
		}
	}
	return metav1.Condition{}
}

// bumpAnnotation changes an annotation, which reconciles the Session without a spec change.
func bumpAnnotation(t *testing.T, key client.ObjectKey, value string) {
	t.Helper()
	var s v1alpha1.Session
	if err := k8s.Get(context.Background(), key, &s); err != nil {
		t.Fatal(err)
	}
	if s.Annotations == nil {
		s.Annotations = map[string]string{}
	}
	s.Annotations["test.example.com/poke"] = value
	if err := k8s.Update(context.Background(), &s); err != nil {
		t.Fatal(err)
	}
}
