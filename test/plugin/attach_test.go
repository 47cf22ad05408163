// SPDX-License-Identifier: Apache-2.0

package plugin_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/plugin"
)

// writePNG writes a small real PNG into a test's temporary folder and returns its path and data.
func writePNG(t *testing.T, name string) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, b.Bytes()
}

// attachmentConfigMaps lists the ConfigMaps the plugin created for a Session's attached files.
func attachmentConfigMaps(t *testing.T, name string) []corev1.ConfigMap {
	t.Helper()
	list := &corev1.ConfigMapList{}
	if err := k8s.List(context.Background(), list, client.InNamespace(teamNS), client.MatchingLabels{plugin.LabelSession: name}); err != nil {
		t.Fatal(err)
	}
	return list.Items
}

// TestSendAttachesAnImage proves `send --attach FILE` end to end: the Session's spec carries the
// message and an attachment that names it, the file is in one ConfigMap owned by the Session, and
// the operator delivers the image with the message (the simulator validates the block and echoes
// the message, which the plugin shows counted by kind). A second send attaches by URL to message 2
// and leaves the first message's attachment as it was.
func TestSendAttachesAnImage(t *testing.T) {
	name := startSession(t, "first question")
	waitPhase(t, name, v1alpha1.SessionSucceeded)
	path, data := writePNG(t, "screen.png")

	r := mustRun(t, "send", name, "What is on this screen?", "--attach", path, "--follow")
	assertInOrder(t, r.stdout, "user      [1 image] What is on this screen?", "session "+name+" Succeeded")

	s := session(t, name)
	if !reflect.DeepEqual(s.Spec.Messages, []string{"What is on this screen?"}) {
		t.Fatalf("the message was appended once: %q", s.Spec.Messages)
	}
	want := assertOneImage(t, s, 1, "screen.png", data)
	if s.Status.MessagesSent != 1 {
		t.Errorf("the message was sent once: %d", s.Status.MessagesSent)
	}

	r = mustRun(t, "send", name, "And this diagram?", "--attach-url", "https://example.com/diagram.png", "--attach-type", "image")
	if got := strings.TrimSpace(r.stdout); got != "sent message 2 to session "+name+" with 1 attachment" {
		t.Errorf("send says what it sent: %q", got)
	}
	s = waitFor(t, name, "the second message sent", func(s *v1alpha1.Session) bool {
		return s.Status.MessagesSent == 2 && s.Status.Phase == v1alpha1.SessionSucceeded
	})
	second := v1alpha1.MessageAttachment{Message: 2, Type: v1alpha1.AttachmentImage, URL: "https://example.com/diagram.png"}
	if len(s.Spec.Attachments) != 2 || !reflect.DeepEqual(s.Spec.Attachments[0], want) || !reflect.DeepEqual(s.Spec.Attachments[1], second) {
		t.Errorf("the URL attaches to message 2, the first attachment is unchanged: %+v", s.Spec.Attachments)
	}
	if cms := attachmentConfigMaps(t, name); len(cms) != 1 {
		t.Errorf("a send without files creates no ConfigMap: %d of them", len(cms))
	}
}

// assertOneImage checks a Session's one attachment: a PNG of message, under key in a ConfigMap that
// holds data and is owned by the Session. It returns the attachment.
func assertOneImage(t *testing.T, s *v1alpha1.Session, message int32, key string, data []byte) v1alpha1.MessageAttachment {
	t.Helper()
	if len(s.Spec.Attachments) != 1 || s.Spec.Attachments[0].ConfigMapKeyRef == nil {
		t.Fatalf("one ConfigMap attachment: %+v", s.Spec.Attachments)
	}
	cmName := s.Spec.Attachments[0].ConfigMapKeyRef.Name
	want := v1alpha1.MessageAttachment{Message: message, Type: v1alpha1.AttachmentImage, MediaType: "image/png",
		ConfigMapKeyRef: &v1alpha1.ConfigMapKeyReference{Name: cmName, Key: key}}
	if !reflect.DeepEqual(s.Spec.Attachments[0], want) {
		t.Errorf("attachment: got %+v, want %+v", s.Spec.Attachments[0], want)
	}
	assertOwnedConfigMap(t, s, cmName, key, data)
	return want
}

// assertOwnedConfigMap checks the ConfigMap of a send's files: owned by the Session (so it goes
// with it), labeled with its name, immutable, holding the file under key.
func assertOwnedConfigMap(t *testing.T, s *v1alpha1.Session, name, key string, data []byte) {
	t.Helper()
	cm := &corev1.ConfigMap{}
	if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: teamNS, Name: name}, cm); err != nil {
		t.Fatal(err)
	}
	refs := cm.OwnerReferences
	if len(refs) != 1 || refs[0].UID != s.UID || refs[0].Kind != "Session" || refs[0].Name != s.Name || refs[0].APIVersion != v1alpha1.GroupVersion.String() {
		t.Errorf("the ConfigMap is owned by session %s (%s): %+v", s.Name, s.UID, refs)
	}
	if cm.Labels[plugin.LabelSession] != s.Name || !strings.HasPrefix(cm.Name, s.Name+"-attach-") {
		t.Errorf("the ConfigMap is named after and labeled with the session: %s %v", cm.Name, cm.Labels)
	}
	if !bytes.Equal(cm.BinaryData[key], data) || cm.Immutable == nil || !*cm.Immutable {
		t.Errorf("the immutable ConfigMap holds the file under %s: %d keys, immutable %v", key, len(cm.BinaryData), cm.Immutable)
	}
}

// TestSendWithAttachmentsNeverAttachesToAnotherMessage proves, against the real API server, that
// when another writer appends a message between the plugin's read and its update, the update is
// refused (its resourceVersion is stale), and the plugin re-reads and attaches to its own message.
func TestSendWithAttachmentsNeverAttachesToAnotherMessage(t *testing.T) {
	name := startSession(t, "hello")
	waitPhase(t, name, v1alpha1.SessionSucceeded)
	path, _ := writePNG(t, "race.png")
	att, err := plugin.PrepareAttachments(plugin.AttachOptions{Files: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	racing := &racingClient{Client: k8s, theirs: "theirs"}
	sent, err := plugin.SendWithAttachments(context.Background(), racing, types.NamespacedName{Namespace: teamNS, Name: name}, "mine", att)
	if err != nil {
		t.Fatal(err)
	}
	if racing.patches < 2 || sent.Message != 2 {
		t.Errorf("the first update is refused, the second lands as message 2: %d updates, message %d", racing.patches, sent.Message)
	}
	s := session(t, name)
	if !reflect.DeepEqual(s.Spec.Messages, []string{"theirs", "mine"}) {
		t.Fatalf("both messages landed, in order: %q", s.Spec.Messages)
	}
	if len(s.Spec.Attachments) != 1 || s.Spec.Attachments[0].Message != 2 {
		t.Errorf("the image attaches to the plugin's message (2), never to theirs: %+v", s.Spec.Attachments)
	}
}

// failingPatches refuses every Session update, as an API server or webhook that refuses it would.
type failingPatches struct{ client.Client }

func (f failingPatches) Patch(context.Context, client.Object, client.Patch, ...client.PatchOption) error {
	return apierrors.NewForbidden(schema.GroupResource{Group: v1alpha1.GroupVersion.Group, Resource: "sessions"}, "x", nil)
}

// TestSendDeletesItsConfigMapWhenTheUpdateFails proves that a send whose Session update fails
// leaves nothing behind: the ConfigMap it created is deleted, and the error says so.
func TestSendDeletesItsConfigMapWhenTheUpdateFails(t *testing.T) {
	name := startSession(t, "hello")
	path, _ := writePNG(t, "lost.png")
	att, err := plugin.PrepareAttachments(plugin.AttachOptions{Files: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = plugin.SendWithAttachments(context.Background(), failingPatches{k8s}, types.NamespacedName{Namespace: teamNS, Name: name}, "hi", att)
	if err == nil || !strings.Contains(err.Error(), "forbidden") || !strings.Contains(err.Error(), "attached files was deleted") {
		t.Fatalf("the send fails and says its ConfigMap was deleted: %v", err)
	}
	if cms := attachmentConfigMaps(t, name); len(cms) != 0 {
		t.Errorf("the ConfigMap is gone: %d left", len(cms))
	}
	if s := session(t, name); len(s.Spec.Messages) != 0 || len(s.Spec.Attachments) != 0 {
		t.Errorf("nothing was appended: %+v", s.Spec)
	}
}

// TestSendRefusesBadAttachmentsBeforeWriting proves that a file the API would refuse fails the
// command with a message naming it, and that nothing was written.
func TestSendRefusesBadAttachmentsBeforeWriting(t *testing.T) {
	name := startSession(t, "hello")
	good, _ := writePNG(t, "ok.png")
	archive := filepath.Join(t.TempDir(), "bundle.zip")
	if err := os.WriteFile(archive, []byte("PK\x03\x04\x14\x00\x00\x00\x08\x00rest"), 0o600); err != nil {
		t.Fatal(err)
	}
	for want, args := range map[string][]string{
		"missing.png: no such file to attach":                     {"--attach", good, "--attach", filepath.Join(t.TempDir(), "missing.png")},
		"bundle.zip is application/zip, which cannot be attached": {"--attach", good, "--attach", archive},
		"pass --attach-type Image or Document":                    {"--attach", good, "--attach-url", "https://example.com/a.png"},
	} {
		r := kubectlClaude(t, "", append([]string{"send", name, "look"}, args...)...)
		if r.code == 0 || !strings.Contains(r.stderr, want) {
			t.Errorf("want a failure saying %q:\n%s", want, r)
		}
	}
	if cms := attachmentConfigMaps(t, name); len(cms) != 0 {
		t.Errorf("no ConfigMap was created: %d", len(cms))
	}
	if s := session(t, name); len(s.Spec.Messages) != 0 {
		t.Errorf("no message was appended: %q", s.Spec.Messages)
	}
}
