// SPDX-License-Identifier: Apache-2.0

package sessionevents

import (
	"testing"
	"unicode/utf8"
)

// FuzzDecodeAndFold feeds arbitrary bytes as events: decoding may fail, but folding whatever decodes
// never panics and never breaks the state's bounds or produces invalid UTF-8.
func FuzzDecodeAndFold(f *testing.F) {
	for _, seed := range []string{userMsg, running, agentMsg, idleEnd, toolAsk, customUse, idleAction, confirm,
		`{"type":"session.error","error":null}`, `{"type":"agent.message","content":[{"type":"text","text":"\xff\xfe"}]}`,
		`{"type":"session.status_idle","stop_reason":{"type":"requires_action","event_ids":["","sevt_x"]}}`, `null`, `[]`, `{}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var s State
		for range 3 { // the same event thrice, like a replayed history
			ev, err := Decode(data)
			if err != nil {
				return
			}
			sum := s.Apply(&ev)
			if len(sum.Message) > MaxMessageBytes || !utf8.ValidString(sum.Message) {
				t.Fatalf("summary out of bounds: %d bytes, valid %v", len(sum.Message), utf8.ValidString(sum.Message))
			}
		}
		if len(s.Recent) > MaxRecent || len(s.Pending) > MaxPending || len(s.LastAgentMessage) > MaxLastMessage {
			t.Fatalf("state out of bounds: %d recent, %d pending, %d message bytes", len(s.Recent), len(s.Pending), len(s.LastAgentMessage))
		}
		for _, r := range s.Recent {
			if len(r.Summary) > 256 || !utf8.ValidString(r.Summary) {
				t.Fatalf("recent summary out of bounds: %q", r.Summary)
			}
		}
	})
}
