// SPDX-License-Identifier: Apache-2.0

// Package sessionstatus builds a Session's status from its folded event history: the phase, the
// TurnComplete condition's reason, and the bounded lists and texts. It is pure, so it is fuzzed and
// benchmarked on its own.
package sessionstatus

import (
	"fmt"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
)

// TurnComplete reasons, so `kubectl wait` users can tell how the turn ended.
const (
	TurnEndTurn          = "EndTurn"
	TurnActionRequired   = "ActionRequired"
	TurnRefusal          = "Refusal"
	TurnBudgetReached    = "BudgetReached"
	TurnRetriesExhausted = "RetriesExhausted"
	// TurnInterrupted: an interrupt ended the turn; the agent did not finish its work.
	TurnInterrupted = "Interrupted"
	// TurnLaunchFailed: the API refused to create the remote session.
	TurnLaunchFailed = "LaunchFailed"
	// TurnRemoteGone: the remote session no longer exists.
	TurnRemoteGone = "RemoteGone"
	// TurnWaiting: the Session is not launched yet.
	TurnWaiting = "WaitingToLaunch"
)

// Inputs is everything the phase depends on besides the spec and status.
type Inputs struct {
	// State is the folded event history; nil while the stream has not folded it yet.
	State *sessionevents.State
	// LaunchRejected is the API's message when it refused to create the remote session.
	LaunchRejected string
	// Gone says the remote session no longer exists.
	Gone bool
	// TimedOut says spec.timeout passed.
	TimedOut bool
	// OutcomeWaitOver says the session has sat idle longer than the operator waits for the grader's
	// verdict on spec.outcome (see OutcomeAwaited): the turn's end decides the phase, and OutcomeMet
	// says the outcome was not evaluated.
	OutcomeWaitOver bool
	// MessageWaits says why the user message due now (the prompt before the launch, or the next
	// follow-up) cannot be sent: it names the ConfigMap its attachment waits for. Empty when none waits.
	MessageWaits string
}

// Decide is the one place a Session's phase is decided: from the spec, the status (launched yet?),
// and what the remote session and its stream showed in this reconcile. The order is the order of
// precedence: a refused launch, a vanished remote, a timeout, then the history.
func Decide(sess *v1alpha1.Session, in Inputs) Result {
	switch {
	case in.LaunchRejected != "":
		return Result{Phase: v1alpha1.SessionFailed, TurnComplete: true, Reason: TurnLaunchFailed, Message: "launch rejected: " + in.LaunchRejected}
	case in.Gone:
		return Result{Phase: v1alpha1.SessionTerminated, TurnComplete: true, Reason: TurnRemoteGone,
			Message: fmt.Sprintf("remote session %s no longer exists: it was deleted outside the operator", sess.Status.ID)}
	case in.TimedOut:
		return Result{Phase: v1alpha1.SessionTimedOut, TurnComplete: true, Reason: string(v1alpha1.SessionTimedOut),
			Message: "spec.timeout of " + sess.Spec.Timeout.Duration.String() + " passed"}
	case sess.Status.ID == "" && in.MessageWaits != "":
		return working(v1alpha1.SessionPending, in.MessageWaits)
	case sess.Status.ID == "":
		return working(v1alpha1.SessionPending, "waiting to launch")
	case in.State == nil:
		if sess.Spec.ExternalID != "" {
			return working(v1alpha1.SessionRunning, "following the remote session; reading its history")
		}
		if sess.Spec.Prompt == "" && len(sess.Spec.Messages) == 0 {
			return Result{Phase: v1alpha1.SessionIdle, Reason: string(v1alpha1.SessionIdle), Message: "launched; waiting for a message"}
		}
		return working(v1alpha1.SessionRunning, "launched; the agent is starting")
	}
	r := phase(sess, in.State, in.OutcomeWaitOver)
	if in.MessageWaits != "" && r.Phase == v1alpha1.SessionIdle && !r.TurnComplete {
		r.Message = in.MessageWaits // not "sending the next message": it waits for its attachment
	}
	return r
}

// Result is a phase with the TurnComplete condition that goes with it.
type Result struct {
	Phase v1alpha1.SessionPhase
	// TurnComplete, Reason and Message make the TurnComplete condition.
	TurnComplete bool
	Reason       string
	Message      string
}

func working(phase v1alpha1.SessionPhase, message string) Result {
	return Result{Phase: phase, Reason: string(phase), Message: message}
}

// Phase derives the phase from the folded event history and what is left to send.
func Phase(sess *v1alpha1.Session, st *sessionevents.State) Result {
	return phase(sess, st, false)
}

// phase is Phase; outcomeWaitOver ends the wait for the grader's verdict (Inputs.OutcomeWaitOver).
func phase(sess *v1alpha1.Session, st *sessionevents.State, outcomeWaitOver bool) Result {
	if st.Status == sessionevents.StatusTerminated {
		return terminatedPhase(st)
	}
	if r, waits := threadsWait(st); waits {
		return r
	}
	switch st.Status {
	case sessionevents.StatusRunning:
		return working(v1alpha1.SessionRunning, "the agent is working")
	case sessionevents.StatusRescheduling:
		return working(v1alpha1.SessionRescheduling, "the platform is retrying after a transient error")
	}
	if MessageInFlight(sess, st) || OutcomeInFlight(sess, st) || (st.Status == "" && st.UserMessages > 0) || (st.Status == sessionevents.StatusIdle && !st.TurnEnded()) {
		return working(v1alpha1.SessionRunning, "the agent is working")
	}
	if st.Status == sessionevents.StatusIdle && st.StopReason == sessionevents.StopRequiresAction {
		if len(st.Pending) == 0 {
			return working(v1alpha1.SessionRunning, "answers sent; the agent resumes")
		}
		return Result{Phase: v1alpha1.SessionRequiresAction, TurnComplete: true, Reason: TurnActionRequired,
			Message: fmt.Sprintf("%d tool call(s) wait for an answer: see status.pendingActions", len(st.Pending))}
	}
	if !outcomeWaitOver && OutcomeAwaited(sess, st) {
		return working(v1alpha1.SessionRunning, "the turn ended; the outcome's work and the grader's verdict are still to come")
	}
	return idlePhase(sess, st)
}

// idlePhase is the phase of an idle session whose turn is over. Follow-up messages still to send
// keep it working, unless the session is paused: then the turn is complete and the messages wait.
func idlePhase(sess *v1alpha1.Session, st *sessionevents.State) Result {
	if pending := len(sess.Spec.Messages) - int(sess.Status.MessagesSent); pending > 0 && st.StopReason != sessionevents.StopBudgetReached {
		if !v1alpha1.IsPaused(sess.Annotations) {
			return working(v1alpha1.SessionIdle, "sending the next message")
		}
		held := turnOver(sess, st)
		held.Phase = v1alpha1.SessionIdle
		held.Message = fmt.Sprintf("the turn is over; %d follow-up message(s) wait until the session is no longer paused", pending)
		return held
	}
	return turnOver(sess, st)
}

// turnOver is the phase of an idle session with nothing left to send, from how its turn ended.
func turnOver(sess *v1alpha1.Session, st *sessionevents.State) Result {
	finish := sess.Spec.CompletionPolicy != v1alpha1.CompletionNever
	result := func(finishedPhase v1alpha1.SessionPhase, reason, message string) Result {
		phase := v1alpha1.SessionIdle
		if finish {
			phase = finishedPhase
		}
		return Result{Phase: phase, TurnComplete: true, Reason: reason, Message: message}
	}
	switch st.StopReason {
	case sessionevents.StopRefusal:
		msg := "the model refused"
		if d := st.StopDetails; d != nil && d.Category != "" {
			msg += " (" + d.Category + ")"
		}
		return result(v1alpha1.SessionFailed, TurnRefusal, msg)
	case sessionevents.StopBudgetReached:
		// Not an end: the session waits, like for an answer, until the user raises the cap.
		return Result{Phase: v1alpha1.SessionIdle, TurnComplete: true, Reason: TurnBudgetReached,
			Message: "the budget is used up; raise spec.budget.maxListCostUSD (and append a message) to continue"}
	case sessionevents.StopRetriesExhausted:
		return result(v1alpha1.SessionFailed, TurnRetriesExhausted, "the turn failed after repeated errors")
	}
	if st.TurnInterrupted() {
		// Not a success, and not an end: the user interrupted to steer, and the next message resumes.
		return Result{Phase: v1alpha1.SessionIdle, TurnComplete: true, Reason: TurnInterrupted,
			Message: "the turn was interrupted; append a message to spec.messages to continue"}
	}
	return result(v1alpha1.SessionSucceeded, TurnEndTurn, "the agent finished its turn and every message was answered")
}

func terminatedPhase(st *sessionevents.State) Result {
	if e := st.LastError; e != nil && e.RetryStatus == sessionevents.RetryTerminal {
		return Result{Phase: v1alpha1.SessionFailed, TurnComplete: true, Reason: string(v1alpha1.SessionFailed),
			Message: fmt.Sprintf("terminated by %s: %s", e.Type, e.Message)}
	}
	return Result{Phase: v1alpha1.SessionTerminated, TurnComplete: true, Reason: string(v1alpha1.SessionTerminated), Message: "the remote session ended"}
}

// PromptCount is how many user messages the create request carried.
func PromptCount(sess *v1alpha1.Session) int {
	if sess.Spec.Prompt != "" {
		return 1
	}
	return 0
}

// MessageInFlight reports whether a message the operator sent is not in the history yet.
func MessageInFlight(sess *v1alpha1.Session, st *sessionevents.State) bool {
	return st.UserMessages < PromptCount(sess)+int(sess.Status.MessagesSent)
}
