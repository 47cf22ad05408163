// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// LabelSession names, on a ConfigMap the plugin created for a message's files, the Session it
// belongs to (when the name fits a label value; the ownerReference always names it).
const LabelSession = "claude.anthropic.com/session"

// maxUpdateAttempts bounds how often a send with attachments re-reads the Session and tries again
// when it changed under it. Every status write changes the resourceVersion too, so a streaming
// session needs a few quick tries.
const maxUpdateAttempts = 10

// cleanupTimeout bounds deleting the ConfigMap of a send that failed, even after Ctrl-C.
const cleanupTimeout = 10 * time.Second

// Sent says what a send, or a run, with attachments wrote.
type Sent struct {
	Session *v1alpha1.Session
	// Message is the position of the new message (1 for spec.messages[0]; 0 for a run's prompt).
	Message int
	// ConfigMap holds the local files; empty when there were none.
	ConfigMap string
}

// SendWithAttachments appends text to spec.messages and its attachments to spec.attachments in one
// update of the Session, so they can never name another message. Local files go first into one
// new ConfigMap owned by the Session (deleted with it). The update carries the resourceVersion it
// was computed from; when a concurrent writer got there first, the Session is read again and the
// message index computed again (bounded). If the update fails for good, the ConfigMap is deleted.
// Without attachments it is Send.
func SendWithAttachments(ctx context.Context, c client.Client, key types.NamespacedName, text string, att *Attachments) (*Sent, error) {
	if att == nil || att.Count() == 0 {
		sess, err := Send(ctx, c, key, text)
		if err != nil {
			return nil, err
		}
		return &Sent{Session: sess, Message: len(sess.Spec.Messages)}, nil
	}
	if err := checkText(text); err != nil {
		return nil, err
	}
	sess, err := GetSession(ctx, c, key)
	if err != nil {
		return nil, err
	}
	if err := checkSendable(sess, att.Count()); err != nil {
		return nil, err
	}
	sent := &Sent{}
	if len(att.Files) > 0 {
		cm, err := createAttachmentConfigMap(ctx, c, sess, att.Files, "")
		if err != nil {
			return nil, err
		}
		sent.ConfigMap = cm.Name
	}
	if err := appendMessage(ctx, c, key, text, att, sent); err != nil {
		return nil, withCleanup(err, c, key.Namespace, sent.ConfigMap)
	}
	return sent, nil
}

// appendMessage writes the message and its attachments, retrying (bounded) on conflicts.
func appendMessage(ctx context.Context, c client.Client, key types.NamespacedName, text string, att *Attachments, sent *Sent) error {
	var lastErr error
	for attempt := range maxUpdateAttempts {
		if attempt > 0 {
			if err := sleep(ctx, time.Duration(attempt)*20*time.Millisecond); err != nil {
				return err
			}
		}
		obj, sess, err := readSession(ctx, c, key)
		if err != nil {
			return err
		}
		if err := checkSendable(sess, att.Count()); err != nil {
			return err
		}
		n := len(sess.Spec.Messages) + 1
		patch, err := messagePatch(obj.GetResourceVersion(), specList(obj, "messages"), specList(obj, "attachments"), text, attachmentEntries(att, n, sent.ConfigMap))
		if err != nil {
			return err
		}
		err = c.Patch(ctx, sess, client.RawPatch(types.MergePatchType, patch))
		if err == nil {
			sent.Session, sent.Message = sess, n
			return nil
		}
		if !apierrors.IsConflict(err) {
			return err
		}
		lastErr = err
	}
	return fmt.Errorf("session %s kept changing while sending (%d attempts): %w", key.Name, maxUpdateAttempts, lastErr)
}

// messagePatch is a JSON merge patch that sets spec.messages and spec.attachments to the lists as
// read (kept as stored, so fields this plugin does not know survive) plus the new entries, and
// carries resourceVersion: the API server refuses it with a conflict if the Session changed since.
func messagePatch(resourceVersion string, messages, attachments []any, text string, entries []v1alpha1.MessageAttachment) ([]byte, error) {
	messages = append(messages, text)
	for _, e := range entries {
		u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&e)
		if err != nil {
			return nil, err
		}
		attachments = append(attachments, u)
	}
	spec := map[string]any{"messages": messages}
	if len(entries) > 0 {
		spec["attachments"] = attachments
	}
	return json.Marshal(map[string]any{
		"metadata": map[string]any{"resourceVersion": resourceVersion},
		"spec":     spec,
	})
}

// attachmentEntries are the spec.attachments entries of message n: the local files (in ConfigMap
// cm), then the URLs and file ids.
func attachmentEntries(att *Attachments, n int, cm string) []v1alpha1.MessageAttachment {
	entries := make([]v1alpha1.MessageAttachment, 0, att.Count())
	for _, f := range att.Files {
		e := v1alpha1.MessageAttachment{
			Message: int32(n), Type: f.Type, MediaType: f.MediaType,
			ConfigMapKeyRef: &v1alpha1.ConfigMapKeyReference{Name: cm, Key: f.Key},
		}
		if f.Type == v1alpha1.AttachmentDocument {
			e.Title = f.Key // the file's name tells the model what it reads
		}
		entries = append(entries, e)
	}
	for _, r := range att.Remote {
		r.Message = int32(n)
		entries = append(entries, r)
	}
	return entries
}

// checkSendable refuses a message (with extra attachments) the Session cannot take.
func checkSendable(sess *v1alpha1.Session, extra int) error {
	if IsTerminal(sess) {
		return fmt.Errorf("session %s is %s and takes no more messages: start a new one with `kubectl claude run`", sess.Name, sess.Status.Phase)
	}
	if len(sess.Spec.Messages) >= maxMessages {
		return fmt.Errorf("session %s already has %d follow-up messages, the most a Session holds: start a new one with `kubectl claude run`", sess.Name, maxMessages)
	}
	if extra == 0 {
		return nil
	}
	if sess.Spec.ExternalID != "" {
		return fmt.Errorf("session %s follows a remote session (spec.externalID), which takes text messages only: send without attachments", sess.Name)
	}
	if have := len(sess.Spec.Attachments); have+extra > v1alpha1.MaxAttachments {
		return fmt.Errorf("session %s has %d attachments; %d more would exceed the %d a Session holds", sess.Name, have, extra, v1alpha1.MaxAttachments)
	}
	return nil
}

// createAttachmentConfigMap creates the one ConfigMap of a message's files, named after the
// Session (name, or generated when name is empty), owned by it (garbage-collected with it) and
// immutable (the message reads it once).
func createAttachmentConfigMap(ctx context.Context, c client.Client, sess *v1alpha1.Session, files []LocalFile, name string) (*corev1.ConfigMap, error) {
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: sess.Namespace,
			Name:      name,
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: v1alpha1.GroupVersion.String(), Kind: "Session", Name: sess.Name, UID: sess.UID,
			}},
		},
		BinaryData: make(map[string][]byte, len(files)),
		Immutable:  ptr.To(true),
	}
	if name == "" {
		cm.GenerateName = attachmentConfigMapPrefix(sess.Name)
	}
	if len(validation.IsValidLabelValue(sess.Name)) == 0 {
		cm.Labels = map[string]string{LabelSession: sess.Name}
	}
	for _, f := range files {
		cm.BinaryData[f.Key] = f.Data
	}
	if err := c.Create(ctx, cm); err != nil {
		return nil, fmt.Errorf("creating a ConfigMap for the attached files (nothing was sent): %w", err)
	}
	return cm, nil
}

// attachmentConfigMapPrefix starts the name of the ConfigMaps of a Session's files.
func attachmentConfigMapPrefix(session string) string { return session + "-attach-" }

// withCleanup deletes the ConfigMap of a send whose Session update failed (best effort, even when
// ctx was canceled) and says so in the error.
func withCleanup(err error, c client.Client, namespace, name string) error {
	if name == "" {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
	if delErr := c.Delete(ctx, cm); delErr != nil && !apierrors.IsNotFound(delErr) {
		return fmt.Errorf("%w; the ConfigMap %s created for the attached files could not be deleted (%v): "+
			"it goes with the session, or delete it with `kubectl delete configmap %s -n %s`", err, name, delErr, name, namespace)
	}
	return fmt.Errorf("%w (nothing was sent; the ConfigMap %s created for the attached files was deleted)", err, name)
}

// maxMessageChars is the CRD's bound on one entry of spec.messages, in characters (as the API
// server counts them).
const maxMessageChars = 8192

// checkText refuses a message the Session's schema would: empty, or too long.
func checkText(text string) error {
	if strings.TrimSpace(text) == "" {
		return fmt.Errorf("the message is empty: pass the text to send")
	}
	if n := utf8.RuneCountInString(text); n > maxMessageChars {
		return fmt.Errorf("the message is %d characters, over the %d a Session takes: attach long text as a file (--attach FILE)", n, maxMessageChars)
	}
	return nil
}
