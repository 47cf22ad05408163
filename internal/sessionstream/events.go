// SPDX-License-Identifier: Apache-2.0

package sessionstream

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/metrics"
	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
)

// Annotations on the Kubernetes Events written for session events. `kubectl claude logs` sorts by
// the sequence to rebuild the conversation in order.
const (
	AnnotationEventID       = "claude.anthropic.com/event-id"
	AnnotationEventType     = "claude.anthropic.com/event-type"
	AnnotationEventSequence = "claude.anthropic.com/sequence"
	// sessionEventComponent is the reporting component of session events, the same as the
	// controller's own Events so `kubectl describe` shows one source.
	sessionEventComponent = "session-controller"
)

// Target is the Session an Event is about.
type Target struct {
	Name, Namespace string
	UID             types.UID
}

// EventWriter writes one Kubernetes Event per notable session event. Unlike client-go's recorder it
// never aggregates or drops (a 500-event turn keeps 500 Events), and the Event's name is derived
// from the session event's id, so writing the same event again (after a restart or a reconnect)
// is a no-op instead of a duplicate.
type EventWriter struct {
	Client client.Client
}

// eventName is unique per Session and session event.
func eventName(target Target, eventID string, seq int64) string {
	key := eventID
	if key == "" {
		key = "seq-" + strconv.FormatInt(seq, 10)
	}
	sum := sha256.Sum256([]byte(string(target.UID) + "/" + key))
	name := target.Name
	if len(name) > 200 {
		name = name[:200]
	}
	return name + "." + hex.EncodeToString(sum[:8])
}

// Write creates the Event for one session event; an existing one is left alone.
func (w *EventWriter) Write(ctx context.Context, target Target, seq int64, ev *sessionevents.Event, sum sessionevents.Summary) error {
	when := ev.Time()
	if when.IsZero() {
		when = time.Now()
	}
	eventType := corev1.EventTypeNormal
	if sum.Warning {
		eventType = corev1.EventTypeWarning
	}
	obj := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: target.Namespace,
			Name:      eventName(target, ev.ID, seq),
			Annotations: map[string]string{
				AnnotationEventID:       ev.ID,
				AnnotationEventType:     ev.Type,
				AnnotationEventSequence: strconv.FormatInt(seq, 10),
			},
		},
		InvolvedObject: corev1.ObjectReference{
			APIVersion: v1alpha1.GroupVersion.String(), Kind: "Session",
			Namespace: target.Namespace, Name: target.Name, UID: target.UID,
		},
		Reason:              sum.Reason,
		Message:             sum.Message,
		Type:                eventType,
		Source:              corev1.EventSource{Component: sessionEventComponent},
		FirstTimestamp:      metav1.NewTime(when),
		LastTimestamp:       metav1.NewTime(when),
		EventTime:           metav1.NewMicroTime(when),
		Count:               1,
		Action:              ev.Type,
		ReportingController: "claude.anthropic.com/session-controller",
		ReportingInstance:   sessionEventComponent,
	}
	err := w.Client.Create(ctx, obj)
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	if err == nil {
		metrics.KubeEvents.WithLabelValues("session").Inc()
	}
	return err
}

// pendingEvent is a session event waiting for its Kubernetes Event, with its place in the history.
type pendingEvent struct {
	seq int64
	ev  sessionevents.Event
	sum sessionevents.Summary
}

// emit writes Kubernetes Events for events not yet written by this or an earlier process, in order.
// It stops at the first failure, so the high-water mark never passes an event without its Event.
// A namespace being deleted refuses every new Event for good: such an event is given up, not
// retried, so that a terminating namespace never holds a stream in a retry loop.
func (s *Stream) emit(ctx context.Context, events []pendingEvent) error {
	for _, p := range events {
		s.mu.Lock()
		already, policy := p.seq <= s.emitted, s.policy
		s.mu.Unlock()
		if already {
			continue
		}
		write := writesEvent(policy, &p.ev, p.sum)
		if !write && p.sum.Reason != "" {
			metrics.SessionEventsSkipped.WithLabelValues(string(policy)).Inc()
		}
		if write {
			err := s.writeEvent(ctx, p)
			if namespaceTerminating(err) {
				logf.FromContext(ctx).V(1).Info("Namespace is being deleted; not writing the session event", "session", s.key, "eventID", p.ev.ID)
			} else if err != nil {
				logf.FromContext(ctx).Error(err, "Writing session event; retrying after a re-fold", "session", s.key, "eventID", p.ev.ID)
				return err
			}
		}
		s.mu.Lock()
		s.emitted = max(s.emitted, p.seq)
		s.mu.Unlock()
	}
	return nil
}

// namespaceTerminating reports whether the API server refused a create because the namespace is
// being deleted: an answer that never changes.
func namespaceTerminating(err error) bool {
	return apierrors.IsForbidden(err) && apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause)
}

// eventWriteTimeout bounds one Event write. The write outlives a stopped stream, so that stopping a
// finished session's stream never cuts an Event in half.
const eventWriteTimeout = 10 * time.Second

func (s *Stream) writeEvent(ctx context.Context, p pendingEvent) error {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), eventWriteTimeout)
	defer cancel()
	return s.pump.events.Write(wctx, s.target, p.seq, &p.ev, p.sum)
}
