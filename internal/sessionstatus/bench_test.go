// SPDX-License-Identifier: Apache-2.0

package sessionstatus

import (
	"fmt"
	"strings"
	"testing"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
)

// fullState is a state with every bounded list full: what a busy session's status is built from.
func fullState(b *testing.B) *sessionevents.State {
	b.Helper()
	var raws []string
	raws = append(raws, `{"type":"user.message","id":"sevt_u","content":[{"type":"text","text":"fix the build"}]}`,
		`{"type":"session.status_running","id":"sevt_r"}`)
	for i := range sessionevents.MaxRecent {
		raws = append(raws, fmt.Sprintf(`{"type":"agent.message","id":"sevt_m%d","processed_at":"2026-04-01T12:00:%02d.5Z","content":[{"type":"text","text":%q}]}`,
			i, i%60, strings.Repeat("Working on it. ", 20)))
	}
	for i := range sessionevents.MaxPending {
		raws = append(raws, fmt.Sprintf(`{"type":"agent.tool_use","id":"sevt_t%d","name":"bash","input":{"command":"make test %d"},"evaluated_permission":"ask"}`, i, i))
	}
	ids := make([]string, sessionevents.MaxPending)
	for i := range ids {
		ids[i] = fmt.Sprintf(`"sevt_t%d"`, i)
	}
	raws = append(raws,
		`{"type":"session.error","id":"sevt_e","error":{"type":"mcp_connection_failed_error","message":"timeout","retry_status":{"type":"retrying"}}}`,
		`{"type":"session.usage","id":"sevt_s","usage":{"input_tokens":12000,"output_tokens":2400,"cache_read_input_tokens":5000,"active_seconds":42.5,"list_cost":{"amount":"37","currency":"USD"}}}`,
		`{"type":"session.status_idle","id":"sevt_i","stop_reason":{"type":"requires_action","event_ids":[`+strings.Join(ids, ",")+`]}}`)
	return foldEvents(b, raws...)
}

// BenchmarkApply measures building a Session's status from a folded state with every list full,
// which the reconciler does on every reconcile of a streaming session.
func BenchmarkApply(b *testing.B) {
	st := fullState(b)
	var status v1alpha1.SessionStatus
	b.ReportAllocs()
	for b.Loop() {
		Apply(&status, st)
	}
	if len(status.RecentEvents) == 0 || len(status.PendingActions) != sessionevents.MaxPending { // recent events: what fits their byte bound
		b.Fatalf("status has %d recent events and %d pending actions", len(status.RecentEvents), len(status.PendingActions))
	}
}

// BenchmarkPhase measures deriving the phase and the TurnComplete condition.
func BenchmarkPhase(b *testing.B) {
	st := fullState(b)
	sess := &v1alpha1.Session{Spec: v1alpha1.SessionSpec{Prompt: "fix the build"}}
	b.ReportAllocs()
	for b.Loop() {
		_ = Phase(sess, st)
	}
}
