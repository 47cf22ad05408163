// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"unicode/utf8"

	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
)

// FuzzEventStream feeds arbitrary bytes as a session's event stream, through the reader the pump
// uses: the stream ends instead of hanging, yields at most one event per byte, yields only valid
// JSON, and whatever decodes folds into a state that keeps its bounds.
func FuzzEventStream(f *testing.F) {
	for _, seed := range []string{
		"event: message\ndata: {\"type\":\"session.status_running\",\"id\":\"sevt_1\"}\n\n" +
			"event: message\ndata: {\"type\":\"agent.message\",\"id\":\"sevt_2\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}\n\n",
		"event: message\r\ndata: {\"type\":\"session.status_idle\",\r\ndata: \"stop_reason\":{\"type\":\"end_turn\"}}\r\n\r\n",
		"event: ping\ndata: {}\n\n: a comment\n\nevent: message\ndata: {\"type\":\"user.message\"}",
		"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"busy\"}}\n\n",
		"event: message\ndata: {\"type\":\"agent.message\",\"content\":[{\"type\":\"text\",\"text\":\"\xff\"}]}\n\n",
		"event: message\ndata: not json\n\n",
		"data: {\"type\":\"agent.message\"}\n\n",
		"",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		resp := &http.Response{Header: http.Header{"Content-Type": {"text/event-stream"}}, Body: io.NopCloser(bytes.NewReader(body))}
		stream := NewEventStream(resp, nil)
		defer func() { _ = stream.Close() }()
		var state sessionevents.State
		for n := 1; stream.Next(); n++ {
			if n > len(body) {
				t.Fatalf("%d events from %d bytes: the reader does not advance", n, len(body))
			}
			raw := stream.Current().JSON
			if !json.Valid(raw) {
				t.Fatalf("the stream yielded invalid JSON: %q", raw)
			}
			ev, err := sessionevents.Decode(raw)
			if err != nil {
				continue
			}
			if sum := state.Apply(&ev); !utf8.ValidString(sum.Message) || len(sum.Message) > sessionevents.MaxMessageBytes {
				t.Fatalf("summary out of bounds: %q", sum.Message)
			}
		}
		if len(state.Recent) > sessionevents.MaxRecent || len(state.Pending) > sessionevents.MaxPending ||
			len(state.LastAgentMessage) > sessionevents.MaxLastMessage {
			t.Fatalf("state out of bounds: %d recent, %d pending, %d message bytes", len(state.Recent), len(state.Pending), len(state.LastAgentMessage))
		}
	})
}
