// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// TurnDone reports whether the agent's turn is over for a follower that started at generation
// minGeneration: the TurnComplete condition is True for that generation or a later one. A finished
// Session with every message sent is done too, since the operator no longer updates its conditions
// for spec changes that do not reopen it (an interrupt, a title).
func TurnDone(sess *v1alpha1.Session, minGeneration int64) bool {
	cond := meta.FindStatusCondition(sess.Status.Conditions, v1alpha1.ConditionTurnComplete)
	if cond == nil || cond.Status != "True" {
		return false
	}
	if cond.ObservedGeneration >= minGeneration {
		return true
	}
	return sess.Status.Phase.Finished() && int(sess.Status.MessagesSent) >= len(sess.Spec.Messages)
}

// Outcome is nil when the session's turn went well, and an ExitError when the session failed,
// timed out, terminated or ended in a refusal.
func Outcome(sess *v1alpha1.Session) error {
	st := &sess.Status
	switch {
	case st.Phase == v1alpha1.SessionFailed, st.Phase == v1alpha1.SessionTimedOut, st.Phase == v1alpha1.SessionTerminated:
		return &ExitError{Code: 1, Message: fmt.Sprintf("session %s %s: %s", sess.Name, st.Phase, turnMessage(sess))}
	case st.StopReason == "refusal" || turnReason(sess) == "Refusal":
		return &ExitError{Code: 1, Message: fmt.Sprintf("session %s ended in a refusal: %s", sess.Name, turnMessage(sess))}
	}
	return nil
}

// turnReason is the TurnComplete condition's reason, or "" without one. It is written together
// with the phase, so it is a second witness of how the turn ended besides status.stopReason.
func turnReason(sess *v1alpha1.Session) string {
	if cond := meta.FindStatusCondition(sess.Status.Conditions, v1alpha1.ConditionTurnComplete); cond != nil {
		return cond.Reason
	}
	return ""
}

// turnMessage says where the turn stands: the TurnComplete condition's message, else the Ready
// condition's (a session that cannot launch says why there), else that nothing happened yet.
func turnMessage(sess *v1alpha1.Session) string {
	for _, t := range []string{v1alpha1.ConditionTurnComplete, v1alpha1.ConditionReady} {
		if cond := meta.FindStatusCondition(sess.Status.Conditions, t); cond != nil && cond.Message != "" {
			return cond.Message
		}
	}
	return "the operator has not picked the session up yet"
}

// FormatUsage renders token usage and cost on one line.
func FormatUsage(u *v1alpha1.SessionUsage) string {
	if u == nil {
		return "none yet"
	}
	cost := u.ListCostUSD
	if cost == "" {
		cost = "0"
	}
	s := fmt.Sprintf("%d input, %d output, %d cache read, %d cache write tokens; $%s list cost",
		u.InputTokens, u.OutputTokens, u.CacheReadInputTokens, u.CacheCreationInputTokens, cost)
	if u.ActiveSeconds > 0 {
		s += fmt.Sprintf("; active %s", time.Duration(u.ActiveSeconds)*time.Second)
	}
	return s
}

// Footer sums up where a session stands after its conversation: phase, stop reason, usage, and
// how to answer what is pending.
func Footer(sess *v1alpha1.Session, styler Styler) string {
	st := &sess.Status
	phase := string(st.Phase)
	if phase == "" {
		phase = "Pending"
	}
	code := styleGreen
	if Outcome(sess) != nil {
		code = styleRed
	} else if !st.Phase.Finished() {
		code = styleBlue
	}
	line := "session " + sess.Name + " " + styler.Style(phase, styleBold, code)
	if st.StopReason != "" {
		line += " (" + st.StopReason + ")"
	}
	var b strings.Builder
	b.WriteString(line + ": " + turnMessage(sess) + "\n")
	if st.Usage != nil {
		b.WriteString("usage: " + FormatUsage(st.Usage) + "\n")
	}
	for _, hint := range PendingHints(sess) {
		b.WriteString(styler.Style(hint, styleMagenta) + "\n")
	}
	return b.String()
}

// PendingHints tells how to answer each pending action.
func PendingHints(sess *v1alpha1.Session) []string {
	var hints []string
	for _, p := range sess.Status.PendingActions {
		hints = append(hints, pendingHint(sess.Name, p))
	}
	return hints
}

// pendingHint tells how to answer one pending action of the named session.
func pendingHint(session string, p v1alpha1.PendingAction) string {
	call := p.ToolName
	if p.Input != "" {
		call += " " + p.Input
	}
	if p.Kind == v1alpha1.PendingCustomToolResult {
		return fmt.Sprintf("%s waits for a result of %s: kubectl claude tool-result %s %s --text TEXT", p.EventID, call, session, p.EventID)
	}
	return fmt.Sprintf("%s waits for confirmation of %s: kubectl claude approve %s %s (or deny)", p.EventID, call, session, p.EventID)
}

// StatusView is the machine-readable form of `kubectl claude status`.
type StatusView struct {
	Name             string                   `json:"name"`
	Namespace        string                   `json:"namespace"`
	Agent            string                   `json:"agent,omitempty"`
	Environment      string                   `json:"environment,omitempty"`
	RemoteID         string                   `json:"remoteID,omitempty"`
	Phase            v1alpha1.SessionPhase    `json:"phase,omitempty"`
	Paused           bool                     `json:"paused"`
	StopReason       string                   `json:"stopReason,omitempty"`
	TurnComplete     bool                     `json:"turnComplete"`
	TurnReason       string                   `json:"turnReason,omitempty"`
	Message          string                   `json:"message,omitempty"`
	Usage            *v1alpha1.SessionUsage   `json:"usage,omitempty"`
	PendingActions   []v1alpha1.PendingAction `json:"pendingActions,omitempty"`
	MessagesSent     int32                    `json:"messagesSent"`
	Messages         int                      `json:"messages"`
	LastAgentMessage string                   `json:"lastAgentMessage,omitempty"`
	LastError        *v1alpha1.SessionError   `json:"lastError,omitempty"`
	// Sandbox is the sandbox Pod of a session on a SelfHosted Environment.
	Sandbox *v1alpha1.SessionSandbox `json:"sandbox,omitempty"`
	// Threads are the sub-agent threads of a multi-agent session.
	Threads []v1alpha1.SessionThread `json:"threads,omitempty"`
	// Outcome is the outcome the session works toward and the grader's verdicts.
	Outcome *v1alpha1.SessionOutcomeStatus `json:"outcome,omitempty"`
	// OutcomeMet is the OutcomeMet condition, present with spec.outcome.
	OutcomeMet *ConditionView `json:"outcomeMet,omitempty"`
}

// ConditionView is a condition's status, reason and message.
type ConditionView struct {
	Status  metav1.ConditionStatus `json:"status"`
	Reason  string                 `json:"reason,omitempty"`
	Message string                 `json:"message,omitempty"`
}

// conditionView is the view of the condition of this type, or nil without one.
func conditionView(conds []metav1.Condition, condType string) *ConditionView {
	c := meta.FindStatusCondition(conds, condType)
	if c == nil {
		return nil
	}
	return &ConditionView{Status: c.Status, Reason: c.Reason, Message: c.Message}
}

// NewStatusView extracts the status view of a session.
func NewStatusView(sess *v1alpha1.Session) StatusView {
	st := &sess.Status
	v := StatusView{
		Name: sess.Name, Namespace: sess.Namespace, Agent: agentName(sess), Environment: environmentName(sess),
		RemoteID: st.ID, Phase: st.Phase, Paused: v1alpha1.IsPaused(sess.Annotations), StopReason: st.StopReason, Usage: st.Usage, PendingActions: st.PendingActions,
		MessagesSent: st.MessagesSent, Messages: len(sess.Spec.Messages), LastAgentMessage: st.LastAgentMessage, LastError: st.LastError,
		Sandbox: st.Sandbox, Threads: st.Threads, Outcome: st.Outcome, OutcomeMet: conditionView(st.Conditions, v1alpha1.ConditionOutcomeMet),
	}
	if cond := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionTurnComplete); cond != nil {
		v.TurnComplete, v.TurnReason, v.Message = cond.Status == "True", cond.Reason, cond.Message
	}
	return v
}

// agentName is the Agent the session references, or its remote id.
func agentName(sess *v1alpha1.Session) string {
	if sess.Spec.AgentRef != nil {
		return sess.Spec.AgentRef.Name
	}
	return sess.Spec.AgentID
}

// environmentName is the Environment the session references, or its remote id.
func environmentName(sess *v1alpha1.Session) string {
	if sess.Spec.EnvironmentRef != nil {
		return sess.Spec.EnvironmentRef.Name
	}
	return sess.Spec.EnvironmentID
}

// StatusText renders `kubectl claude status` for people.
func StatusText(sess *v1alpha1.Session, styler Styler, now time.Time) string {
	v := NewStatusView(sess)
	var b strings.Builder
	field := fieldWriter{b: &b, width: labelColumn}.field
	field("Name", v.Name)
	field("Namespace", v.Namespace)
	field("Agent", withID(v.Agent, sess.Status.AgentID))
	field("Environment", withID(v.Environment, sess.Status.EnvironmentID))
	field("Remote ID", v.RemoteID)
	field("Phase", styler.Style(string(orPending(v.Phase)), styleBold))
	if v.Paused {
		field("Paused", styler.Style("yes: the operator sends nothing until `kubectl claude resume "+v.Name+"`", styleMagenta))
	}
	field("Stop reason", v.StopReason)
	field("Turn", turnLine(v))
	if t := sess.Status.StartTime; t != nil {
		field("Started", t.UTC().Format(time.RFC3339)+" ("+duration.HumanDuration(now.Sub(t.Time))+" ago)")
	}
	field("Messages", fmt.Sprintf("%d follow-up(s), %d sent", v.Messages, v.MessagesSent))
	field("Usage", FormatUsage(v.Usage))
	field("Last message", oneLine(Truncate(v.LastAgentMessage, 200)))
	if e := v.LastError; e != nil {
		field("Last error", styler.Style(fmt.Sprintf("%s (%s): %s", e.Type, e.RetryStatus, e.Message), styleRed))
	}
	for _, l := range sandboxLines(v.Sandbox, now) {
		field(l[0], l[1])
	}
	writeOutcome(&b, sess, styler)
	writeThreads(&b, sess, styler)
	writePending(&b, sess, styler)
	return b.String()
}

// writePending lists the pending actions that no thread of the Threads section lists, with how
// to answer them.
func writePending(b *strings.Builder, sess *v1alpha1.Session, styler Styler) {
	listed := threadActions(sess)
	var hints []string
	for _, p := range sess.Status.PendingActions {
		if !listed[p.EventID] {
			hints = append(hints, pendingHint(sess.Name, p))
		}
	}
	switch {
	case len(hints) == 0 && len(listed) > 0:
		b.WriteString("Pending actions: none besides the threads' above\n")
		return
	case len(hints) == 0:
		b.WriteString("Pending actions: none\n")
		return
	}
	b.WriteString("Pending actions:\n")
	for _, hint := range hints {
		b.WriteString("  " + styler.Style(hint, styleMagenta) + "\n")
	}
}

func withID(name, id string) string {
	switch {
	case name == "" || name == id:
		return id
	case id == "":
		return name
	}
	return name + " (" + id + ")"
}

func orPending(p v1alpha1.SessionPhase) v1alpha1.SessionPhase {
	if p == "" {
		return v1alpha1.SessionPending
	}
	return p
}

func turnLine(v StatusView) string {
	if v.TurnReason == "" {
		return ""
	}
	state := "working"
	if v.TurnComplete {
		state = "complete"
	}
	return fmt.Sprintf("%s (%s): %s", state, v.TurnReason, v.Message)
}

// oneLine joins the lines of s with spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
