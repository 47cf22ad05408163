// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"fmt"
	"strings"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// SelectActions picks the pending actions of a kind that a command answers: the one named by id,
// every unanswered one (all), or the only one. Actions already answered in the spec (the operator
// is sending them) are left out. The errors wrap ErrNoPendingAction when there is nothing to
// answer, and say what to do instead.
func SelectActions(sess *v1alpha1.Session, kind v1alpha1.PendingActionKind, id string, all bool) ([]v1alpha1.PendingAction, error) {
	answered := answeredIDs(sess)
	var open, taken, other []v1alpha1.PendingAction
	for _, p := range sess.Status.PendingActions {
		switch {
		case p.Kind != kind:
			other = append(other, p)
		case answered[p.EventID]:
			taken = append(taken, p)
		default:
			open = append(open, p)
		}
	}
	if id != "" {
		return pick(sess, kind, id, open, taken, other)
	}
	if len(open) == 0 {
		return nil, nothingPending(sess, kind, taken, other)
	}
	if all || len(open) == 1 {
		return open, nil
	}
	return nil, fmt.Errorf("session %s has %d pending %s actions: pass one of %s, or --all",
		sess.Name, len(open), kind, strings.Join(eventIDs(open), ", "))
}

// pick finds the action named id.
func pick(sess *v1alpha1.Session, kind v1alpha1.PendingActionKind, id string, open, taken, other []v1alpha1.PendingAction) ([]v1alpha1.PendingAction, error) {
	for _, p := range open {
		if p.EventID == id {
			return []v1alpha1.PendingAction{p}, nil
		}
	}
	for _, p := range taken {
		if p.EventID == id {
			return nil, fmt.Errorf("%s of session %s is already answered; the operator is sending the answer", id, sess.Name)
		}
	}
	for _, p := range other {
		if p.EventID == id {
			return nil, fmt.Errorf("%s of session %s is a %s action, not a %s: %s", id, sess.Name, p.Kind, kind, answerHint(sess.Name, p))
		}
	}
	if len(open) == 0 {
		return nil, nothingPending(sess, kind, taken, other)
	}
	return nil, fmt.Errorf("session %s has no pending action %s: pending %s actions are %s",
		sess.Name, id, kind, strings.Join(eventIDs(open), ", "))
}

// nothingPending explains why there is nothing of this kind to answer.
func nothingPending(sess *v1alpha1.Session, kind v1alpha1.PendingActionKind, taken, other []v1alpha1.PendingAction) error {
	switch {
	case len(other) > 0:
		return fmt.Errorf("session %s has %w of kind %s; %s", sess.Name, ErrNoPendingAction, kind, answerHint(sess.Name, other[0]))
	case len(taken) > 0:
		return fmt.Errorf("session %s has %w left to answer: %s already answered, the operator is sending it",
			sess.Name, ErrNoPendingAction, strings.Join(eventIDs(taken), ", "))
	}
	phase := sess.Status.Phase
	if phase == "" {
		phase = v1alpha1.SessionPending
	}
	return fmt.Errorf("session %s has %w (phase %s): see `kubectl claude status %s`", sess.Name, ErrNoPendingAction, phase, sess.Name)
}

// answerHint says how to answer an action.
func answerHint(session string, p v1alpha1.PendingAction) string {
	if p.Kind == v1alpha1.PendingCustomToolResult {
		return fmt.Sprintf("answer %s (%s) with `kubectl claude tool-result %s %s --text TEXT`", p.EventID, p.ToolName, session, p.EventID)
	}
	return fmt.Sprintf("answer %s (%s) with `kubectl claude approve %s %s` or deny", p.EventID, p.ToolName, session, p.EventID)
}

// answeredIDs are the tool use ids the spec already answers or the operator already sent.
func answeredIDs(sess *v1alpha1.Session) map[string]bool {
	ids := map[string]bool{}
	for _, c := range sess.Spec.ToolConfirmations {
		ids[c.ToolUseID] = true
	}
	for _, r := range sess.Spec.CustomToolResults {
		ids[r.ToolUseID] = true
	}
	for _, id := range sess.Status.RespondedActions {
		ids[id] = true
	}
	return ids
}

func eventIDs(actions []v1alpha1.PendingAction) []string {
	ids := make([]string, 0, len(actions))
	for _, a := range actions {
		ids = append(ids, a.EventID)
	}
	return ids
}

// OpenActions are the pending actions of a kind that neither the spec nor the operator answered
// yet: what `approve`, `deny` (confirmations) or `tool-result` (custom tool calls) can answer.
func OpenActions(sess *v1alpha1.Session, kind v1alpha1.PendingActionKind) []v1alpha1.PendingAction {
	answered := answeredIDs(sess)
	var open []v1alpha1.PendingAction
	for _, p := range sess.Status.PendingActions {
		if p.Kind == kind && !answered[p.EventID] {
			open = append(open, p)
		}
	}
	return open
}
