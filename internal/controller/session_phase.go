package controller

import (
	"fmt"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/metrics"
	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
)

// TurnComplete reasons, so `kubectl wait` users can tell how the turn ended.
const (
	TurnEndTurn          = "EndTurn"
	TurnActionRequired   = "ActionRequired"
	TurnRefusal          = "Refusal"
	TurnBudgetReached    = "BudgetReached"
	TurnRetriesExhausted = "RetriesExhausted"
)

// phaseResult is a phase with the TurnComplete condition that goes with it.
type phaseResult struct {
	phase        v1alpha1.SessionPhase
	turnComplete bool
	reason       string
	message      string
}

func working(phase v1alpha1.SessionPhase, message string) phaseResult {
	return phaseResult{phase: phase, reason: string(phase), message: message}
}

// computePhase derives the phase from the folded event history and what is left to send.
func computePhase(sess *v1alpha1.Session, snap *snapshot) phaseResult {
	st := &snap.State
	switch st.Status {
	case sessionevents.StatusTerminated:
		return terminatedPhase(st)
	case sessionevents.StatusRunning:
		return working(v1alpha1.SessionRunning, "the agent is working")
	case sessionevents.StatusRescheduling:
		return working(v1alpha1.SessionRescheduling, "the platform is retrying after a transient error")
	}
	if messageInFlight(sess, snap) || (st.Status == "" && st.UserMessages > 0) || (st.Status == sessionevents.StatusIdle && !st.TurnEnded()) {
		return working(v1alpha1.SessionRunning, "the agent is working")
	}
	if st.Status == sessionevents.StatusIdle && st.StopReason == "requires_action" {
		if len(st.Pending) == 0 {
			return working(v1alpha1.SessionRunning, "answers sent; the agent resumes")
		}
		return phaseResult{phase: v1alpha1.SessionRequiresAction, turnComplete: true, reason: TurnActionRequired,
			message: fmt.Sprintf("%d tool call(s) wait for an answer: see status.pendingActions", len(st.Pending))}
	}
	return idlePhase(sess, st)
}

// idlePhase is the phase of an idle session whose turn is over.
func idlePhase(sess *v1alpha1.Session, st *sessionevents.State) phaseResult {
	if int(sess.Status.MessagesSent) < len(sess.Spec.Messages) && st.StopReason != "budget_reached" {
		return working(v1alpha1.SessionIdle, "sending the next message")
	}
	finish := sess.Spec.CompletionPolicy != v1alpha1.CompletionNever
	result := func(finishedPhase v1alpha1.SessionPhase, reason, message string) phaseResult {
		phase := v1alpha1.SessionIdle
		if finish {
			phase = finishedPhase
		}
		return phaseResult{phase: phase, turnComplete: true, reason: reason, message: message}
	}
	switch st.StopReason {
	case "refusal":
		msg := "the model refused"
		if d := st.StopDetails; d != nil && d.Category != "" {
			msg += " (" + d.Category + ")"
		}
		return result(v1alpha1.SessionFailed, TurnRefusal, msg)
	case "budget_reached":
		return result(v1alpha1.SessionFailed, TurnBudgetReached, "the budget is used up; raise spec.budget.maxListCostUSD to continue")
	case "retries_exhausted":
		return result(v1alpha1.SessionFailed, TurnRetriesExhausted, "the turn failed after repeated errors")
	}
	return result(v1alpha1.SessionSucceeded, TurnEndTurn, "the agent finished its turn and every message was answered")
}

func terminatedPhase(st *sessionevents.State) phaseResult {
	if e := st.LastError; e != nil && e.RetryStatus == "terminal" {
		return phaseResult{phase: v1alpha1.SessionFailed, turnComplete: true, reason: string(v1alpha1.SessionFailed),
			message: fmt.Sprintf("terminated by %s: %s", e.Type, e.Message)}
	}
	return phaseResult{phase: v1alpha1.SessionTerminated, turnComplete: true, reason: string(v1alpha1.SessionTerminated), message: "the remote session ended"}
}

// applySnapshot copies the stream-derived fields into status, every list bounded.
func applySnapshot(st *v1alpha1.SessionStatus, snap *snapshot) {
	s := &snap.State
	st.EventCount, st.LastEventID, st.StopReason = s.Count, s.LastEventID, s.StopReason
	st.LastAgentMessage = s.LastAgentMessage
	st.Usage = usageStatus(s.Usage)
	st.PendingActions = nil
	for _, p := range s.Pending {
		kind := v1alpha1.PendingToolConfirmation
		if p.Custom {
			kind = v1alpha1.PendingCustomToolResult
		}
		st.PendingActions = append(st.PendingActions, v1alpha1.PendingAction{EventID: p.EventID, Kind: kind, ToolName: sessionevents.Truncate(p.Name, 256), Input: p.Input})
	}
	st.RecentEvents = nil
	for _, e := range s.Recent {
		summary := v1alpha1.EventSummary{ID: e.ID, Type: sessionevents.Truncate(e.Type, 64), Summary: e.Summary}
		if !e.Time.IsZero() {
			t := metav1.NewTime(e.Time)
			summary.Time = &t
		}
		st.RecentEvents = append(st.RecentEvents, summary)
	}
	st.LastError = nil
	if e := s.LastError; e != nil {
		st.LastError = &v1alpha1.SessionError{Type: sessionevents.Truncate(e.Type, 128), Message: e.Message, RetryStatus: e.RetryStatus, EventID: e.EventID}
		if !e.Time.IsZero() {
			t := metav1.NewTime(e.Time)
			st.LastError.Time = &t
		}
	}
}

func usageStatus(u *sessionevents.Usage) *v1alpha1.SessionUsage {
	if u == nil {
		return nil
	}
	out := &v1alpha1.SessionUsage{
		InputTokens: u.InputTokens, OutputTokens: u.OutputTokens, CacheReadInputTokens: u.CacheReadInputTokens,
		CacheCreationInputTokens: u.CacheCreation.Ephemeral1h + u.CacheCreation.Ephemeral5m,
		ActiveSeconds:            int64(u.ActiveSeconds),
	}
	if u.ListCost != nil {
		out.ListCostUSD = managedagents.MinorUnitsToUSD(u.ListCost.Amount)
	}
	return out
}

// countUsage adds the growth of a session's usage to the token and cost counters. Counting deltas of
// status (which survives restarts) keeps the counters from double counting after a restart.
func countUsage(sess *v1alpha1.Session, before *v1alpha1.SessionUsage) {
	after := sess.Status.Usage
	if after == nil {
		return
	}
	if before == nil {
		before = &v1alpha1.SessionUsage{}
	}
	agent := sess.Status.AgentID
	if sess.Spec.AgentRef != nil {
		agent = sess.Spec.AgentRef.Name
	}
	add := func(kind string, a, b int64) {
		if b > a {
			metrics.Tokens.WithLabelValues(sess.Namespace, agent, kind).Add(float64(b - a))
		}
	}
	add("input", before.InputTokens, after.InputTokens)
	add("output", before.OutputTokens, after.OutputTokens)
	add("cache_read", before.CacheReadInputTokens, after.CacheReadInputTokens)
	add("cache_creation", before.CacheCreationInputTokens, after.CacheCreationInputTokens)
	if delta := usd(after.ListCostUSD) - usd(before.ListCostUSD); delta > 0 {
		metrics.ListCost.WithLabelValues(sess.Namespace, agent).Add(delta)
	}
}

// usd parses a status cost ("0.42"); an empty or odd value counts as zero.
func usd(s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0
	}
	return v
}
