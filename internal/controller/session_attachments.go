// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"errors"
	"fmt"

	"github.com/anthropics/anthropic-sdk-go/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
)

// The attachments of a user message (spec.attachments) are read when the message is sent: the
// prompt's before the create, a follow-up's before its send. ConfigMaps are read straight from the
// API server, like a Skill's files (the operator caches only ConfigMap metadata, and a message is
// read once). When one cannot be sent (its ConfigMap or key is missing, its data is too large or
// not of its mediaType), nothing of the message is sent: AttachmentsResolved says why, with one
// Warning Event per transition, and the message waits. A watch of the ConfigMaps that Sessions
// name re-queues the Session when one changes, so the message goes out once it is fixed; nothing
// polls meanwhile. The data never reaches a log, an Event or status.

// indexAttachmentConfigMaps maps a ConfigMap name to the Sessions whose attachments read it.
const indexAttachmentConfigMaps = "spec.attachments.configMapKeyRef.name"

func attachmentConfigMaps(s *v1alpha1.Session) []string {
	var names []string
	for _, a := range s.Spec.Attachments {
		if a.ConfigMapKeyRef != nil {
			names = append(names, a.ConfigMapKeyRef.Name)
		}
	}
	return compactNames(names)
}

// mayStillSend keeps Sessions that may still send a message: every Session not finished for good.
func mayStillSend(o client.Object) bool { return !o.(*v1alpha1.Session).Status.Phase.Final() }

// attachmentData reads the ConfigMap data of the attachments of user message n (0: the prompt), by
// index in spec.attachments. A missing ConfigMap or key is a *missingAttachment that names both.
func (r *SessionReconciler) attachmentData(ctx context.Context, sess *v1alpha1.Session, n int) (map[int][]byte, error) {
	var data map[int][]byte
	read := map[string]managedagents.DataSource{}
	for i, a := range sess.Spec.Attachments {
		ref := a.ConfigMapKeyRef
		if int(a.Message) != n || ref == nil {
			continue
		}
		src, ok := read[ref.Name]
		if !ok {
			var err error
			if src, err = readConfigMap(ctx, r.reader, sess.Namespace, ref.Name); err != nil {
				return nil, err
			}
			read[ref.Name] = src
		}
		values, found := src(ref.Name)
		if !found {
			return nil, attachmentMissing(i, fmt.Sprintf("ConfigMap %s/%s does not exist", sess.Namespace, ref.Name))
		}
		value, found := values[ref.Key]
		if !found {
			return nil, attachmentMissing(i, fmt.Sprintf("ConfigMap %s/%s has no key %s in data or binaryData", sess.Namespace, ref.Name, ref.Key))
		}
		if data == nil {
			data = map[int][]byte{}
		}
		data[i] = value
	}
	return data, nil
}

func attachmentMissing(i int, message string) *missingAttachment {
	return &missingAttachment{index: i, message: message}
}

// missingAttachment says that the ConfigMap or key of spec.attachments[index] does not exist. The
// ConfigMap watch re-queues the Session when it appears.
type missingAttachment struct {
	index   int
	message string
}

func (e *missingAttachment) Error() string {
	return fmt.Sprintf("spec.attachments[%d]: %s", e.index, e.message)
}

// messageEvent reads the attachments of user message n and builds its user.message event.
func (r *SessionReconciler) messageEvent(ctx context.Context, sess *v1alpha1.Session, n int, text string) (anthropic.BetaManagedAgentsEventParamsUnion, error) {
	data, err := r.attachmentData(ctx, sess, n)
	if err != nil {
		return anthropic.BetaManagedAgentsEventParamsUnion{}, err
	}
	return managedagents.MessageEvent(&sess.Spec, n, text, data)
}

// attachmentsBlocked reports whether err says that an attachment of message n keeps it from being
// sent, and if so records that in AttachmentsResolved, with a Warning Event when the condition turns
// False or its reason changes (never once per retry), and in the phase's message (s.inputs).
func (r *SessionReconciler) attachmentsBlocked(ctx context.Context, s *sessionScope, n int, err error) bool {
	sess := s.sess
	var reason Reason
	var index int
	var missing *missingAttachment
	var attErr *managedagents.AttachmentError
	switch {
	case errors.As(err, &missing):
		reason, index = ReasonConfigMapNotFound, missing.index
	case errors.As(err, &attErr) && attErr.TooLarge:
		reason, index = ReasonAttachmentTooLarge, attErr.Index
	case errors.As(err, &attErr):
		reason, index = ReasonInvalidAttachment, attErr.Index
	default:
		return false
	}
	s.inputs.MessageWaits = waitMessage(sess, n, index, err)
	msg := sessionevents.Truncate(fmt.Sprintf("%s waits, nothing of it is sent: %v", messageName(n), err), v1alpha1.MaxErrorMessageBytes)
	transition := setCondition(&sess.Status.Conditions, sess.Generation, v1alpha1.ConditionAttachmentsResolved, metav1.ConditionFalse, reason, msg)
	// A reconcile that reads a cache older than this process's status write sees no condition yet:
	// memory keeps that from warning twice about the same thing. A restarted manager reads the
	// condition from status (its cache starts from the API server), so it does not warn again either.
	key, warning := client.ObjectKeyFromObject(sess), string(reason)+"\x00"+msg
	if transition && r.memory.get(key, sess.UID).attachmentWarning != warning {
		r.memory.update(key, sess.UID, func(m *sessionMemory) { m.attachmentWarning = warning })
		r.Recorder.Eventf(sess, nil, corev1.EventTypeWarning, string(reason), "SendMessage", "%s", msg)
		logf.FromContext(ctx).Info("A message waits for its attachments", "message", n, "reason", reason, "detail", err.Error())
	}
	return true
}

// waitMessage is what the phase says while message n waits for spec.attachments[index]: the
// ConfigMap it waits for, by name, like a Session waiting for its Agent names the Agent.
func waitMessage(sess *v1alpha1.Session, n, index int, err error) string {
	msg := fmt.Sprintf("%s cannot be sent: %v", messageName(n), err)
	if index >= 0 && index < len(sess.Spec.Attachments) {
		if ref := sess.Spec.Attachments[index].ConfigMapKeyRef; ref != nil {
			msg = fmt.Sprintf("waiting for ConfigMap %s/%s to send %s: %v", sess.Namespace, ref.Name, messageName(n), err)
		}
	}
	return sessionevents.Truncate(msg, v1alpha1.MaxErrorMessageBytes)
}

// attachmentsResolved records that the attachments of message n were read, on Sessions that have any.
func (r *SessionReconciler) attachmentsResolved(sess *v1alpha1.Session, n int) {
	if len(sess.Spec.Attachments) == 0 {
		return
	}
	r.memory.update(client.ObjectKeyFromObject(sess), sess.UID, func(m *sessionMemory) { m.attachmentWarning = "" })
	setCondition(&sess.Status.Conditions, sess.Generation, v1alpha1.ConditionAttachmentsResolved, metav1.ConditionTrue, ReasonResolved,
		"the attachments of "+messageName(n)+" were read")
}

// messageName names user message n as the spec does.
func messageName(n int) string {
	if n == 0 {
		return "spec.prompt"
	}
	return fmt.Sprintf("spec.messages[%d]", n-1)
}
