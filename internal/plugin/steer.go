// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// Send appends a follow-up message to spec.messages. Concurrent sends all land, each after the
// other, because the patch tests the list it appends to (see AppendPatch).
func Send(ctx context.Context, c client.Client, key types.NamespacedName, text string) (*v1alpha1.Session, error) {
	if err := checkText(text); err != nil {
		return nil, err
	}
	return appendToSpec(ctx, c, key, "messages", func(sess *v1alpha1.Session) ([]any, error) {
		if err := checkSendable(sess, 0); err != nil {
			return nil, err
		}
		return []any{text}, nil
	})
}

// maxMessages is the CRD's bound on spec.messages.
const maxMessages = 100

// IsTerminal reports whether a session can never run again: it terminated, or timed out, or failed
// with a terminal error.
func IsTerminal(sess *v1alpha1.Session) bool {
	st := &sess.Status
	switch st.Phase {
	case v1alpha1.SessionTerminated, v1alpha1.SessionTimedOut:
		return true
	case v1alpha1.SessionFailed:
		return st.ID == "" || (st.LastError != nil && st.LastError.RetryStatus == "terminal")
	}
	return false
}

// Decision answers tool confirmations.
type Decision struct {
	// Allow or deny.
	Allow bool
	// ToolUseID to answer; empty picks the only pending one.
	ToolUseID string
	// All answers every pending confirmation.
	All bool
	// Message tells the agent why a call was denied.
	Message string
}

// Confirm answers pending tool confirmations and returns the actions it answered.
func Confirm(ctx context.Context, c client.Client, key types.NamespacedName, d Decision) ([]v1alpha1.PendingAction, error) {
	var chosen []v1alpha1.PendingAction
	_, err := appendToSpec(ctx, c, key, "toolConfirmations", func(sess *v1alpha1.Session) ([]any, error) {
		actions, err := SelectActions(sess, v1alpha1.PendingToolConfirmation, d.ToolUseID, d.All)
		if err != nil {
			return nil, err
		}
		chosen = actions
		items := make([]any, 0, len(actions))
		for _, a := range actions {
			items = append(items, confirmation(a.EventID, d))
		}
		return items, nil
	})
	return chosen, err
}

// confirmation is one spec.toolConfirmations entry, as JSON.
func confirmation(id string, d Decision) map[string]any {
	entry := map[string]any{"toolUseID": id, "decision": string(v1alpha1.ConfirmationDeny)}
	if d.Allow {
		entry["decision"] = string(v1alpha1.ConfirmationAllow)
	} else if d.Message != "" {
		entry["message"] = d.Message
	}
	return entry
}

// ToolResult answers a pending custom tool call.
func ToolResult(ctx context.Context, c client.Client, key types.NamespacedName, toolUseID, text string, isError bool) (v1alpha1.PendingAction, error) {
	var chosen v1alpha1.PendingAction
	_, err := appendToSpec(ctx, c, key, "customToolResults", func(sess *v1alpha1.Session) ([]any, error) {
		actions, err := SelectActions(sess, v1alpha1.PendingCustomToolResult, toolUseID, false)
		if err != nil {
			return nil, err
		}
		chosen = actions[0]
		entry := map[string]any{"toolUseID": chosen.EventID, "text": text}
		if isError {
			entry["isError"] = true
		}
		return []any{entry}, nil
	})
	return chosen, err
}

// Interrupt asks the operator to interrupt the running turn by setting spec.interruptRequest to a
// new value (the time of the request, which is unique enough for a person at a terminal).
func Interrupt(ctx context.Context, c client.Client, key types.NamespacedName, now time.Time) (*v1alpha1.Session, error) {
	sess, err := GetSession(ctx, c, key)
	if err != nil {
		return nil, err
	}
	switch {
	case sess.Status.Phase.Finished():
		return nil, fmt.Errorf("session %s is %s: there is no turn to interrupt", sess.Name, sess.Status.Phase)
	case sess.Status.Phase == v1alpha1.SessionIdle && TurnDone(sess, sess.Generation):
		return nil, fmt.Errorf("session %s is Idle: there is no turn to interrupt", sess.Name)
	}
	value := now.UTC().Format(time.RFC3339Nano)
	if value == sess.Spec.InterruptRequest {
		value += "-1"
	}
	patch := fmt.Appendf(nil, `{"spec":{"interruptRequest":%q}}`, value)
	if err := c.Patch(ctx, sess, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return nil, err
	}
	return sess, nil
}
