// SPDX-License-Identifier: Apache-2.0

package sessionevents

import (
	"fmt"
	"testing"
)

// benchEvents is a realistic slice of a session's stream: a turn with messages, a tool call and its
// result, thinking, spans and a usage snapshot, as the API sends them.
var benchEvents = map[string]string{
	"agent.message": `{"type":"agent.message","id":"sevt_011CYnB2mJ9zQ4YxV7tKpL3a","processed_at":"2026-04-01T12:00:01.123456Z",` +
		`"content":[{"type":"text","text":"I ran the test suite. Two tests fail in pkg/api: TestCreate expects a 201 but the handler answers 200, and TestList does not page past 100 items. I will fix the handler first."}]}`,
	"agent.tool_use": `{"type":"agent.tool_use","id":"sevt_011CYnB2mJ9zQ4YxV7tKpL3b","processed_at":"2026-04-01T12:00:02.123456Z",` +
		`"name":"bash","input":{"command":"go test ./pkg/api/... -run 'TestCreate|TestList' -count=1"},"evaluated_permission":"allow"}`,
	"agent.tool_result": `{"type":"agent.tool_result","id":"sevt_011CYnB2mJ9zQ4YxV7tKpL3c","processed_at":"2026-04-01T12:00:03.123456Z",` +
		`"tool_use_id":"sevt_011CYnB2mJ9zQ4YxV7tKpL3b","is_error":false,"content":[{"type":"text","text":"ok  \texample.com/pkg/api\t0.412s"}]}`,
	"agent.thinking":           `{"type":"agent.thinking","id":"sevt_011CYnB2mJ9zQ4YxV7tKpL3d","processed_at":"2026-04-01T12:00:04.123456Z"}`,
	"span.model_request_start": `{"type":"span.model_request_start","id":"sevt_011CYnB2mJ9zQ4YxV7tKpL3e","processed_at":"2026-04-01T12:00:05.123456Z"}`,
	"span.model_request_end": `{"type":"span.model_request_end","id":"sevt_011CYnB2mJ9zQ4YxV7tKpL3f","processed_at":"2026-04-01T12:00:06.123456Z",` +
		`"model_request_start_id":"sevt_011CYnB2mJ9zQ4YxV7tKpL3e","is_error":false,"model_usage":{"input_tokens":1200,"output_tokens":240,"cache_creation_input_tokens":0,"cache_read_input_tokens":500,"speed":"standard"}}`,
	"session.usage": `{"type":"session.usage","id":"sevt_011CYnB2mJ9zQ4YxV7tKpL3g","processed_at":"2026-04-01T12:00:07.123456Z",` +
		`"usage":{"input_tokens":12000,"output_tokens":2400,"cache_read_input_tokens":5000,"cache_creation":{"ephemeral_1h_input_tokens":0,"ephemeral_5m_input_tokens":200},"active_seconds":42.5,"list_cost":{"amount":"37","currency":"USD"}}}`,
	"session.status_idle": `{"type":"session.status_idle","id":"sevt_011CYnB2mJ9zQ4YxV7tKpL3h","processed_at":"2026-04-01T12:00:08.123456Z","stop_reason":{"type":"end_turn"}}`,
}

// benchStream is the order the events come in, cycled.
var benchStream = []string{"span.model_request_start", "agent.thinking", "agent.message", "agent.tool_use", "agent.tool_result",
	"span.model_request_end", "session.usage", "agent.message", "session.status_idle"}

// BenchmarkDecode measures decoding one event of each type into the operator's small Event struct.
func BenchmarkDecode(b *testing.B) {
	for _, typ := range []string{"agent.message", "agent.tool_use", "agent.tool_result", "agent.thinking", "span.model_request_start",
		"span.model_request_end", "session.usage", "session.status_idle"} {
		raw := []byte(benchEvents[typ])
		b.Run(typ, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Decode(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSummarize measures turning a decoded event into its Kubernetes Event reason and message.
func BenchmarkSummarize(b *testing.B) {
	for _, typ := range []string{"agent.message", "agent.tool_use", "agent.tool_result", "span.model_request_end"} {
		ev, err := Decode([]byte(benchEvents[typ]))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(typ, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = Summarize(&ev)
			}
		})
	}
}

// BenchmarkFold measures folding decoded events into a State that already holds a long history,
// per event: what the pump does for each live event.
func BenchmarkFold(b *testing.B) {
	events := make([]Event, 0, 1000)
	for i := range cap(events) {
		ev, err := Decode([]byte(benchEvents[benchStream[i%len(benchStream)]]))
		if err != nil {
			b.Fatal(err)
		}
		ev.ID = fmt.Sprintf("sevt_%06d", i)
		events = append(events, ev)
	}
	var s State
	for i := range events {
		s.Apply(&events[i])
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s.Apply(&events[i%len(events)])
		i++
	}
}

// BenchmarkDecodeSummarizeFold is the whole per-event path of the pump: decode the JSON, summarize
// it and fold it into the state, for a mix of event types in stream order.
func BenchmarkDecodeSummarizeFold(b *testing.B) {
	raws := make([][]byte, len(benchStream))
	var size int
	for i, typ := range benchStream {
		raws[i] = []byte(benchEvents[typ])
		size += len(raws[i])
	}
	b.SetBytes(int64(size / len(raws)))
	b.ReportAllocs()
	var s State
	i := 0
	for b.Loop() {
		ev, err := Decode(raws[i%len(raws)])
		if err != nil {
			b.Fatal(err)
		}
		_ = Summarize(&ev)
		s.Apply(&ev)
		i++
	}
}

// BenchmarkFoldHistory measures rebuilding a state from a full history, as every (re)connect does,
// for histories of several lengths.
func BenchmarkFoldHistory(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		raws := make([][]byte, n)
		for i := range raws {
			raws[i] = []byte(benchEvents[benchStream[i%len(benchStream)]])
		}
		b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var s State
				for _, raw := range raws {
					ev, err := Decode(raw)
					if err != nil {
						b.Fatal(err)
					}
					s.Apply(&ev)
				}
			}
		})
	}
}
