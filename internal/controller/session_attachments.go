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
// index in spec.attachments. A missing ConfigMap or key is a *referenceError that names both.
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

func attachmentMissing(i int, message string) *referenceError {
	return &referenceError{reason: ReasonConfigMapNotFound, message: fmt.Sprintf("spec.attachments[%d]: %s", i, message), watched: true}
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
// False or its reason changes (never once per retry).
func (r *SessionReconciler) attachmentsBlocked(ctx context.Context, sess *v1alpha1.Session, n int, err error) bool {
	reason := ReasonInvalidAttachment
	var refErr *referenceError
	var attErr *managedagents.AttachmentError
	switch {
	case errors.As(err, &refErr) && refErr.reason == ReasonConfigMapNotFound:
		reason = ReasonConfigMapNotFound
	case errors.As(err, &attErr) && attErr.TooLarge:
		reason = ReasonAttachmentTooLarge
	case errors.As(err, &attErr):
	default:
		return false
	}
	msg := sessionevents.Truncate(fmt.Sprintf("%s waits, nothing of it is sent: %v", messageName(n), err), v1alpha1.MaxErrorMessageBytes)
	transition := setCondition(&sess.Status.Conditions, sess.Generation, v1alpha1.ConditionAttachmentsResolved, metav1.ConditionFalse, reason, msg)
	// A reconcile that reads a cache older than this process's status write sees no condition yet:
	// memory keeps that from warning twice about the same thing.
	key, warning := client.ObjectKeyFromObject(sess), string(reason)+"\x00"+msg
	if transition && r.memory.get(key, sess.UID).attachmentWarning != warning {
		r.memory.update(key, sess.UID, func(m *sessionMemory) { m.attachmentWarning = warning })
		r.Recorder.Eventf(sess, nil, corev1.EventTypeWarning, string(reason), "SendMessage", "%s", msg)
		logf.FromContext(ctx).Info("A message waits for its attachments", "message", n, "reason", reason, "detail", err.Error())
	}
	return true
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
