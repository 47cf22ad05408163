// SPDX-License-Identifier: Apache-2.0

package sessionstatus

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
)

func TestRecentEventsAreBoundedByBytes(t *testing.T) {
	short := func(i int) sessionevents.Recent {
		return sessionevents.Recent{ID: fmt.Sprintf("sevt_%03d", i), Type: "agent.message", Reason: "AgentMessage", Summary: "ok", Time: time.Unix(int64(i), 0)}
	}
	long := func(i int) sessionevents.Recent {
		r := short(i)
		r.Summary = strings.Repeat("x", 256)
		return r
	}
	for _, tc := range []struct {
		reason   string
		recent   []sessionevents.Recent
		wantLen  int
		wantLast string
	}{
		{"no notable event yet: no list", nil, 0, ""},
		{"ten short summaries fit whole", seq(10, short), 10, "sevt_009"},
		{"twenty short summaries keep the newest that fit in 2 KiB", seq(20, short), 18, "sevt_019"},
		{"twenty 256-byte summaries keep only the newest that fit in 2 KiB", seq(20, long), 5, "sevt_019"},
		{"a single summary larger than the bound is still shown: status never hides the newest event",
			[]sessionevents.Recent{{ID: "sevt_1", Type: strings.Repeat("t", 5000), Reason: "AgentMessage", Summary: strings.Repeat("x", 256)}}, 1, "sevt_1"},
	} {
		got := recentEvents(tc.recent)
		if len(got) != tc.wantLen {
			t.Errorf("%s: %d summaries, want %d", tc.reason, len(got), tc.wantLen)
			continue
		}
		if tc.wantLen > 0 && got[len(got)-1].ID != tc.wantLast {
			t.Errorf("%s: the newest summary is %s, want %s (oldest first, newest kept)", tc.reason, got[len(got)-1].ID, tc.wantLast)
		}
		if b, _ := json.Marshal(got); tc.wantLen > 1 && len(b) > MaxRecentEventsBytes {
			t.Errorf("%s: the list encodes to %d bytes, more than %d", tc.reason, len(b), MaxRecentEventsBytes)
		}
	}
}

func seq(n int, f func(int) sessionevents.Recent) []sessionevents.Recent {
	out := make([]sessionevents.Recent, 0, n)
	for i := range n {
		out = append(out, f(i))
	}
	return out
}

// TestStatusSizeAfterALongTurn measures what each status write carries after a long, wordy turn:
// 600 events of long agent messages, tool calls with large inputs and results. The whole status
// must stay a few KiB whatever the turn did (docs/performance.md quotes the number: run with -v).
func TestStatusSizeAfterALongTurn(t *testing.T) {
	text := strings.Repeat("The build fails in the linker because two packages define the same symbol. ", 60) // ~4.5 KiB
	input := `{"command":"` + strings.Repeat("grep -rn symbol ./pkg && ", 60) + `true"}`
	var raws []string
	raws = append(raws, `{"type":"user.message","id":"sevt_u","content":[{"type":"text","text":"fix the build"}]}`)
	for i := range 150 {
		raws = append(raws,
			fmt.Sprintf(`{"type":"agent.message","id":"sevt_m%d","content":[{"type":"text","text":%q}]}`, i, text),
			fmt.Sprintf(`{"type":"agent.tool_use","id":"sevt_t%d","name":"bash","input":%s,"evaluated_permission":"allow"}`, i, input),
			fmt.Sprintf(`{"type":"agent.tool_result","id":"sevt_r%d","tool_use_id":"sevt_t%d","content":[{"type":"text","text":%q}]}`, i, i, text),
			fmt.Sprintf(`{"type":"span.model_request_end","id":"sevt_s%d","model_usage":{"input_tokens":1000,"output_tokens":200}}`, i))
	}
	state := foldEvents(t, raws...)
	var st v1alpha1.SessionStatus
	Apply(&st, state)
	whole, _ := json.Marshal(st)
	recent, _ := json.Marshal(st.RecentEvents)
	t.Logf("status after a %d-event turn: %d bytes, of which recentEvents %d bytes (%d summaries) and lastAgentMessage %d bytes",
		len(raws), len(whole), len(recent), len(st.RecentEvents), len(st.LastAgentMessage))
	if len(recent) > MaxRecentEventsBytes {
		t.Errorf("recentEvents encodes to %d bytes, more than the %d bound", len(recent), MaxRecentEventsBytes)
	}
	if limit := MaxRecentEventsBytes + sessionevents.MaxLastMessage + 1024; len(whole) > limit {
		t.Errorf("status encodes to %d bytes after a long turn, want at most %d", len(whole), limit)
	}
}
