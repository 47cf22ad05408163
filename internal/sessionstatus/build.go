// SPDX-License-Identifier: Apache-2.0

package sessionstatus

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
)

// Apply copies the fields derived from the event history into status, every list bounded.
func Apply(st *v1alpha1.SessionStatus, s *sessionevents.State) {
	st.EventCount, st.LastEventID, st.StopReason = s.Count, s.LastEventID, sessionevents.Truncate(s.StopReason, 64)
	st.LastAgentMessage = s.LastAgentMessage
	st.Usage = usageStatus(s.Usage)
	st.PendingActions = nil
	for _, p := range s.AllPending() {
		kind := v1alpha1.PendingToolConfirmation
		if p.Custom {
			kind = v1alpha1.PendingCustomToolResult
		}
		st.PendingActions = append(st.PendingActions, v1alpha1.PendingAction{EventID: p.EventID, Kind: kind,
			ToolName: sessionevents.Truncate(p.Name, 256), Input: p.Input, ThreadID: sessionevents.Truncate(p.ThreadID, 128), AgentName: threadAgent(s, p.ThreadID)})
	}
	st.RecentEvents = recentEvents(s.Recent)
	st.LastError = nil
	if e := s.LastError; e != nil {
		st.LastError = &v1alpha1.SessionError{Type: sessionevents.Truncate(e.Type, 128), Message: e.Message,
			RetryStatus: sessionevents.Truncate(e.RetryStatus, 32), EventID: e.EventID}
		if !e.Time.IsZero() {
			t := metav1.NewTime(e.Time)
			st.LastError.Time = &t
		}
	}
	applySurface(st, s)
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
	out.TotalTokens = out.InputTokens + out.OutputTokens + out.CacheReadInputTokens + out.CacheCreationInputTokens
	if u.ListCost != nil {
		out.ListCostUSD = managedagents.MinorUnitsToUSD(u.ListCost.Amount)
	}
	return out
}
