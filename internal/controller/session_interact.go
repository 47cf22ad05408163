// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"

	"github.com/anthropics/anthropic-sdk-go/v2"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
	"github.com/anthropics/managed-agents-operator/internal/sessionstatus"
	"github.com/anthropics/managed-agents-operator/internal/sessionstream"
)

// interact sends, exactly once each, what the spec asks for: an interrupt, answers to pending tool
// calls, and the next follow-up message once the agent's turn has ended.
func (r *SessionReconciler) interact(ctx context.Context, s *sessionScope, api managedagents.Client, stream *sessionstream.Stream, snap *sessionstream.Snapshot) error {
	sess := s.sess
	if snap.State.Status == sessionevents.StatusTerminated {
		return nil
	}
	reconcileMessagesSent(sess, snap)
	if err := r.sendInterrupt(ctx, sess, api, stream, snap); err != nil {
		return r.sendFailed(sess, err)
	}
	if err := r.sendAnswers(ctx, sess, api, stream, snap); err != nil {
		return r.sendFailed(sess, err)
	}
	if err := r.sendOutcome(ctx, sess, api, snap); err != nil {
		return r.sendFailed(sess, err)
	}
	next, err := r.nextMessage(ctx, s, snap)
	if err != nil {
		return err // reading an attachment's ConfigMap failed: nothing was sent
	}
	if err := r.sendNextMessage(ctx, sess, api, stream, next); err != nil {
		return r.sendFailed(sess, err)
	}
	return nil
}

// reconcileMessagesSent trusts the remote history over status: if the history holds more user
// messages than status counts, a send landed but its status write was lost (a crash), so it must not
// be sent again.
func reconcileMessagesSent(sess *v1alpha1.Session, snap *sessionstream.Snapshot) {
	inHistory := snap.State.UserMessages - sessionstatus.PromptCount(sess)
	sent := max(int(sess.Status.MessagesSent), snap.SentMessages, inHistory)
	sess.Status.MessagesSent = int32(min(sent, len(sess.Spec.Messages)))
}

// pendingMessage is the next follow-up message, ready to send: its index in spec.messages and event.
type pendingMessage struct {
	index int
	event anthropic.BetaManagedAgentsEventParamsUnion
}

// nextMessage returns the follow-up message to send now, with its attachments read, or nil when
// there is none: all are sent, one is in flight, the agent's turn is not over, or an attachment
// keeps it waiting (AttachmentsResolved says why). The error is a failed read of a ConfigMap.
func (r *SessionReconciler) nextMessage(ctx context.Context, s *sessionScope, snap *sessionstream.Snapshot) (*pendingMessage, error) {
	sess := s.sess
	next := int(sess.Status.MessagesSent)
	if next >= len(sess.Spec.Messages) || sessionstatus.MessageInFlight(sess, &snap.State) || !readyForMessage(sess, snap) {
		return nil, nil
	}
	ev, err := r.messageEvent(ctx, sess, next+1, sess.Spec.Messages[next])
	if r.attachmentsBlocked(ctx, s, next+1, err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	r.attachmentsResolved(sess, next+1)
	return &pendingMessage{index: next, event: ev}, nil
}

func (r *SessionReconciler) sendNextMessage(ctx context.Context, sess *v1alpha1.Session, api managedagents.Client, stream *sessionstream.Stream, msg *pendingMessage) error {
	if msg == nil {
		return nil
	}
	if err := api.SendEvents(ctx, sess.Status.ID, msg.event); err != nil {
		return err
	}
	sess.Status.MessagesSent = int32(msg.index + 1)
	stream.NoteSent(msg.index + 1)
	logf.FromContext(ctx).Info("Sent follow-up message", "sessionID", sess.Status.ID, "index", msg.index)
	return nil
}

// readyForMessage reports whether the agent's turn is over and a follow-up may start the next one.
func readyForMessage(sess *v1alpha1.Session, snap *sessionstream.Snapshot) bool {
	st := &snap.State
	if st.Status == "" {
		return st.UserMessages == 0 && sessionstatus.PromptCount(sess) == 0 // a session launched without a prompt
	}
	if !st.TurnEnded() {
		return false
	}
	// After budget_reached the API refuses messages until the cap is raised; the send then fails with
	// the API's message in Synced and is tried again at the next spec change (the raise).
	return st.StopReason != sessionevents.StopRequiresAction
}

// sendAnswers answers pending tool calls for which the spec holds an answer.
func (r *SessionReconciler) sendAnswers(ctx context.Context, sess *v1alpha1.Session, api managedagents.Client, stream *sessionstream.Stream, snap *sessionstream.Snapshot) error {
	var events []anthropic.BetaManagedAgentsEventParamsUnion
	var ids []string
	for _, call := range snap.State.AllPending() { // a sub-agent's calls too: the API routes each answer by its id
		if snap.State.Answered[call.EventID] || snap.SentAnswers[call.EventID] {
			continue
		}
		if ev, ok := answerFor(&sess.Spec, call.EventID, call.Custom); ok {
			events = append(events, ev)
			ids = append(ids, call.EventID)
		}
	}
	if len(events) == 0 {
		return nil
	}
	if err := api.SendEvents(ctx, sess.Status.ID, events...); err != nil {
		return err
	}
	stream.NoteSent(0, ids...)
	st := &sess.Status
	st.RespondedActions = append(st.RespondedActions, ids...)
	if over := len(st.RespondedActions) - v1alpha1.MaxRespondedActions; over > 0 {
		st.RespondedActions = st.RespondedActions[over:]
	}
	logf.FromContext(ctx).Info("Answered pending tool calls", "sessionID", st.ID, "toolUseIDs", ids)
	return nil
}

// answerFor finds the spec's answer to a tool call.
func answerFor(spec *v1alpha1.SessionSpec, id string, custom bool) (anthropic.BetaManagedAgentsEventParamsUnion, bool) {
	if custom {
		for _, res := range spec.CustomToolResults {
			if res.ToolUseID == id {
				return managedagents.CustomToolResultEvent(res), true
			}
		}
		return anthropic.BetaManagedAgentsEventParamsUnion{}, false
	}
	for _, c := range spec.ToolConfirmations {
		if c.ToolUseID == id {
			return managedagents.ToolConfirmationEvent(c), true
		}
	}
	return anthropic.BetaManagedAgentsEventParamsUnion{}, false
}

// sendInterrupt sends user.interrupt when spec.interruptRequest changed, exactly once.
func (r *SessionReconciler) sendInterrupt(ctx context.Context, sess *v1alpha1.Session, api managedagents.Client, stream *sessionstream.Stream, snap *sessionstream.Snapshot) error {
	req := sess.Spec.InterruptRequest
	if req == "" || req == sess.Status.InterruptRequest {
		return nil
	}
	// This process sent it already, and the informer cache does not show the status write yet.
	if req == snap.SentInterrupt {
		sess.Status.InterruptRequest = req
		return nil
	}
	thread := sess.Spec.InterruptThreadID
	if err := r.interruptOnce(ctx, sess, api, snap, thread); err != nil {
		return err
	}
	stream.NoteInterrupt(req)
	sess.Status.InterruptRequest = req
	if thread != "" {
		r.Recorder.Eventf(sess, nil, corev1.EventTypeNormal, string(ReasonInterrupt), "Interrupt", "Sent an interrupt to thread %s (request %q)", thread, req)
		return nil
	}
	r.Recorder.Eventf(sess, nil, corev1.EventTypeNormal, string(ReasonInterrupt), "Interrupt", "Sent an interrupt (request %q)", req)
	return nil
}

// interruptOnce sends one interrupt unless the remote history holds one that status has not
// accounted for yet: an earlier send whose response was lost, or whose status write a crash lost.
// status.interruptsSeen counts the history's interrupts the operator accounted for. A thread id
// interrupts that sub-agent thread only.
func (r *SessionReconciler) interruptOnce(ctx context.Context, sess *v1alpha1.Session, api managedagents.Client, snap *sessionstream.Snapshot, thread string) error {
	inHistory := int32(snap.State.Interrupts)
	if inHistory > sess.Status.InterruptsSeen {
		sess.Status.InterruptsSeen = inHistory
		return nil
	}
	if err := api.SendEvents(ctx, sess.Status.ID, managedagents.ThreadInterruptEvent(thread)); err != nil {
		return err
	}
	sess.Status.InterruptsSeen = inHistory + 1
	return nil
}

// sendFailed handles a failed send. When the outcome is unknown (a 5xx or a lost response) the send
// may have landed, so the stream is restarted: its fresh history listing decides, before any retry,
// whether the event exists.
func (r *SessionReconciler) sendFailed(sess *v1alpha1.Session, err error) error {
	if kind := managedagents.KindOf(err); kind == managedagents.KindTransient || kind == "" {
		r.Pump.Stop(client.ObjectKeyFromObject(sess))
	}
	return err
}
