// SPDX-License-Identifier: Apache-2.0

package plugin_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/plugin"
)

// TestRunAttachesAnImageToThePrompt proves `run --attach FILE --follow` end to end: the Session is
// created with the attachment at message 0 naming a ConfigMap, the ConfigMap holds the file and is
// owned by the Session, and the operator delivers the prompt with the image (the simulator checks
// the block and echoes the message, which the plugin shows counted by kind). A run that attaches
// by URL only creates no ConfigMap and prints nothing but the session's name on stdout.
func TestRunAttachesAnImageToThePrompt(t *testing.T) {
	path, data := writePNG(t, "mockup.png")
	r := mustRun(t, "run", "--agent", agentName, "--env", envName, "--prompt", "Build this page", "--attach", path, "--follow")
	name := strings.Fields(strings.TrimPrefix(r.stderr, "session "))[0]
	assertInOrder(t, r.stdout, "user      [1 image] Build this page", "session "+name+" Succeeded")

	s := session(t, name)
	cmName := assertOneImage(t, s, 0, "mockup.png", data).ConfigMapKeyRef.Name
	if !strings.Contains(r.stderr, "session "+name+" created with 1 attachment (files in ConfigMap "+cmName+"); following it") {
		t.Errorf("run says what went with the prompt:\n%s", r.stderr)
	}
	if len(s.Spec.Messages) != 0 || s.Spec.Prompt != "Build this page" {
		t.Errorf("the image went with the prompt: %+v", s.Spec)
	}

	r = mustRun(t, "run", "--agent", agentName, "--env", envName, "--prompt", "Read this", "--attach-url", "https://example.com/spec.pdf", "--attach-type", "document")
	byURL := strings.TrimSpace(r.stdout)
	if !strings.HasPrefix(byURL, agentName+"-") || strings.Contains(byURL, "\n") || !strings.Contains(r.stderr, "created with 1 attachment\n") {
		t.Fatalf("run prints the session's name alone on stdout and the attachment on stderr:\n%s", r)
	}
	s = waitFor(t, byURL, "the prompt sent", func(s *v1alpha1.Session) bool { return s.Status.Phase == v1alpha1.SessionSucceeded })
	doc := v1alpha1.MessageAttachment{Message: 0, Type: v1alpha1.AttachmentDocument, URL: "https://example.com/spec.pdf"}
	if !reflect.DeepEqual(s.Spec.Attachments, []v1alpha1.MessageAttachment{doc}) {
		t.Errorf("the URL attaches to the prompt: %+v", s.Spec.Attachments)
	}
	if cms := attachmentConfigMaps(t, byURL); len(cms) != 0 {
		t.Errorf("a run without files creates no ConfigMap: %d of them", len(cms))
	}
}

// TestRunRefusesBadAttachmentsBeforeWriting proves that a run whose attachment would be refused
// fails with a message naming it, and creates neither a Session nor a ConfigMap.
func TestRunRefusesBadAttachmentsBeforeWriting(t *testing.T) {
	good, _ := writePNG(t, "ok.png")
	fake := filepath.Join(t.TempDir(), "fake.pdf")
	if err := os.WriteFile(fake, []byte("not a pdf at all"), 0o600); err != nil {
		t.Fatal(err)
	}
	sessions, configMaps := countInTeam(t)
	for want, args := range map[string][]string{
		"missing.png: no such file to attach":     {"--attach", good, "--attach", filepath.Join(t.TempDir(), "missing.png")},
		"fake.pdf: named like a PDF but its data": {"--attach", good, "--attach", fake},
		"pass --attach-type Image or Document":    {"--attach", good, "--attach-file-id", "file_abc"},
		"--attach-type applies to --attach-url":   {"--attach", good, "--attach-type", "Image"},
	} {
		r := kubectlClaude(t, "", append([]string{"run", "--agent", agentName, "--env", envName, "--prompt", "look", "--follow"}, args...)...)
		if r.code == 0 || !strings.Contains(r.stderr, want) || r.stdout != "" {
			t.Errorf("want a failure saying %q:\n%s", want, r)
		}
	}
	if s, c := countInTeam(t); s != sessions || c != configMaps {
		t.Errorf("nothing was written: %d sessions and %d ConfigMaps before, %d and %d after", sessions, configMaps, s, c)
	}
}

// countInTeam counts the Sessions and ConfigMaps of the team namespace.
func countInTeam(t *testing.T) (sessions, configMaps int) {
	t.Helper()
	ss, cms := &v1alpha1.SessionList{}, &corev1.ConfigMapList{}
	for _, l := range []client.ObjectList{ss, cms} {
		if err := k8s.List(context.Background(), l, client.InNamespace(teamNS)); err != nil {
			t.Fatal(err)
		}
	}
	return len(ss.Items), len(cms.Items)
}

// failingConfigMaps refuses every ConfigMap create, as a quota or an admission webhook would, and
// remembers the Sessions it created.
type failingConfigMaps struct {
	client.Client
	created []string
}

func (f *failingConfigMaps) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	if _, ok := obj.(*corev1.ConfigMap); ok {
		return apierrors.NewForbidden(schema.GroupResource{Resource: "configmaps"}, obj.GetName(), fmt.Errorf("exceeded quota"))
	}
	err := f.Client.Create(ctx, obj, opts...)
	if err == nil {
		f.created = append(f.created, obj.GetName())
	}
	return err
}

// TestRunDeletesItsSessionWhenTheConfigMapFails proves that a run whose ConfigMap cannot be created
// leaves no Session behind to launch without its files, and says so.
func TestRunDeletesItsSessionWhenTheConfigMapFails(t *testing.T) {
	path, _ := writePNG(t, "lost.png")
	att, err := plugin.PrepareAttachments(plugin.AttachOptions{Files: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	failing := &failingConfigMaps{Client: k8s}
	_, _, err = plugin.CreateSession(context.Background(), failing, plugin.RunOptions{
		Namespace: teamNS, Agent: agentName, Environment: envName, Prompt: "hi", Attachments: att,
	})
	if len(failing.created) != 1 {
		t.Fatalf("the Session is created first: %q", failing.created)
	}
	name := failing.created[0]
	if err == nil || !strings.Contains(err.Error(), "exceeded quota") || !strings.Contains(err.Error(), "session "+name+", created first, was deleted") {
		t.Fatalf("the run fails and says its Session was deleted: %v", err)
	}
	deadline := time.Now().Add(waitLimit)
	for {
		err := k8s.Get(context.Background(), types.NamespacedName{Namespace: teamNS, Name: name}, &v1alpha1.Session{})
		if apierrors.IsNotFound(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("session %s is still there: %v", name, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
