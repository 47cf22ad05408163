// SPDX-License-Identifier: Apache-2.0

package simulator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

func listAll(t *testing.T, h *harness, sessionID string, p anthropic.BetaSessionEventListParams) []anthropic.BetaManagedAgentsSessionEventUnion {
	t.Helper()
	var out []anthropic.BetaManagedAgentsSessionEventUnion
	pager := h.client.Beta.Sessions.Events.ListAutoPaging(testCtx(t), sessionID, p)
	for pager.Next() {
		out = append(out, pager.Current())
	}
	if err := pager.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestEventSendAndList(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	s := h.session(ctx, anthropic.BetaSessionNewParams{})
	stream := h.open(ctx, s.ID)
	sent := h.send(ctx, s.ID, userMessage("first"), userMessage("second"))
	if len(sent.Data) != 2 || !strings.HasPrefix(sent.Data[0].ID, "sevt_") || sent.Data[0].Type != "user.message" ||
		sent.Data[0].ProcessedAt.IsZero() || sent.Data[0].ID >= sent.Data[1].ID {
		t.Fatalf("echo %+v", sent.Data)
	}
	// Two queued prompts run as two turns, in order.
	readUntil(t, stream, isTurnEnd)
	evs := readUntil(t, stream, isTurnEnd)
	if msgs := messages(evs); len(msgs) != 1 || msgs[0] != "echo: second" {
		t.Fatalf("second turn said %v", msgs)
	}

	checkEventHistory(ctx, t, h, s.ID, sent)
}

// checkEventHistory lists a session's events after two prompts (sent) have
// run: in order, from the sent messages, in both orders and by type.
func checkEventHistory(ctx context.Context, t *testing.T, h *harness, sessionID string, sent *anthropic.BetaManagedAgentsSendSessionEvents) {
	t.Helper()
	all := listAll(t, h, sessionID, anthropic.BetaSessionEventListParams{Limit: anthropic.Int(3)})
	for i := 1; i < len(all); i++ {
		if all[i-1].ID >= all[i].ID {
			t.Fatalf("events out of order at %d", i)
		}
	}
	if all[0].ID != sent.Data[0].ID || all[1].ID != sent.Data[1].ID {
		t.Fatal("history does not start with the sent messages")
	}
	desc, err := h.client.Beta.Sessions.Events.List(ctx, sessionID, anthropic.BetaSessionEventListParams{Order: "desc", Limit: anthropic.Int(1)})
	if err != nil || desc.Data[0].ID != all[len(all)-1].ID || desc.NextPage == "" {
		t.Fatalf("desc: %v", err)
	}
	only := listAll(t, h, sessionID, anthropic.BetaSessionEventListParams{Types: []anthropic.BetaManagedAgentsSessionEventType{"agent.message", "session.status_idle"}})
	if len(only) != 4 {
		t.Fatalf("types filter: %d events", len(only))
	}
	for _, ev := range only {
		if ev.Type != "agent.message" && ev.Type != "session.status_idle" {
			t.Fatalf("types filter let %s through", ev.Type)
		}
	}
	history, err := h.sim.Events(sessionID)
	if err != nil || len(history) != len(all) {
		t.Fatalf("Events(): %v %d vs %d", err, len(history), len(all))
	}
}

func TestEventSendErrors(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	s := h.session(ctx, anthropic.BetaSessionNewParams{})
	send := func(events []anthropic.BetaManagedAgentsEventParamsUnion, opts ...option.RequestOption) error {
		_, err := h.client.Beta.Sessions.Events.Send(ctx, s.ID, anthropic.BetaSessionEventSendParams{Events: events}, opts...)
		return err
	}
	cases := []struct {
		name   string
		events []anthropic.BetaManagedAgentsEventParamsUnion
		opts   []option.RequestOption
		msg    string
	}{
		{"no events", nil, nil, "events"},
		{"message without content", []anthropic.BetaManagedAgentsEventParamsUnion{{OfUserMessage: &anthropic.BetaManagedAgentsUserMessageEventParams{}}}, nil, "events[0].content"},
		{"unknown type", nil, []option.RequestOption{option.WithJSONSet("events", []any{map[string]any{"type": "user.dance"}})}, "events[0].type"},
		{"agent events are not sendable", nil, []option.RequestOption{option.WithJSONSet("events", []any{map[string]any{"type": "agent.message"}})}, "events[0].type"},
		{"confirmation for nothing", []anthropic.BetaManagedAgentsEventParamsUnion{confirm("sevt_nope", true, "")}, nil, "events[0].tool_use_id"},
		{"custom result for nothing", []anthropic.BetaManagedAgentsEventParamsUnion{customResult("sevt_nope", "x")}, nil, "events[0].custom_tool_use_id"},
		{"deny message on allow", nil, []option.RequestOption{option.WithJSONSet("events", []any{map[string]any{
			"type": "user.tool_confirmation", "tool_use_id": "sevt_x", "result": "allow", "deny_message": "no"}})}, "deny_message"},
		{"all or nothing", []anthropic.BetaManagedAgentsEventParamsUnion{userMessage("ok"), {OfUserMessage: &anthropic.BetaManagedAgentsUserMessageEventParams{}}}, nil, "events[1]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantAPIError(t, send(tc.events, tc.opts...), 400, "invalid_request_error", tc.msg)
		})
	}
	if history, _ := h.sim.Events(s.ID); len(history) != 0 {
		t.Fatalf("a rejected request persisted %d events", len(history))
	}
	_, err := h.client.Beta.Sessions.Events.Send(ctx, "sesn_nope", anthropic.BetaSessionEventSendParams{
		Events: []anthropic.BetaManagedAgentsEventParamsUnion{userMessage("x")}})
	wantAPIError(t, err, 404, "not_found_error", "sesn_nope")
	_, err = h.client.Beta.Sessions.Events.List(ctx, "sesn_nope", anthropic.BetaSessionEventListParams{})
	wantAPIError(t, err, 404, "not_found_error", "")
	stream := h.client.Beta.Sessions.Events.StreamEvents(ctx, "sesn_nope", anthropic.BetaSessionEventStreamParams{})
	wantAPIError(t, stream.Err(), 404, "not_found_error", "")
}

// TestStreamOnlyDeliversNewEvents: the stream never replays history.
func TestStreamOnlyDeliversNewEvents(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	s := h.session(ctx, anthropic.BetaSessionNewParams{})
	h.prompt(ctx, s.ID, "before")
	stream := h.open(ctx, s.ID)
	id, err := h.sim.EmitEvent(s.ID, []byte(`{"type":"agent.message","content":[{"type":"text","text":"injected"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if !stream.Next() {
		t.Fatal(stream.Err())
	}
	if ev := stream.Current(); ev.ID != id || messages([]streamEvent{ev})[0] != "injected" {
		t.Fatalf("first streamed event %s, want the injected %s", ev.RawJSON(), id)
	}
	if _, err := h.sim.EmitEvent("sesn_nope", []byte(`{"type":"x"}`)); !errors.Is(err, simulator.ErrNoSession) {
		t.Fatalf("EmitEvent on unknown session: %v", err)
	}
	if _, err := h.sim.EmitEvent(s.ID, []byte(`{"no":"type"}`)); err == nil {
		t.Fatal("EmitEvent without a type succeeded")
	}
}

// TestStreamThenListHasNoGap is the operator's event-pump pattern: open the
// stream, list the full history, then merge by id. Events keep arriving the
// whole time; the merge must have every event exactly once, in order.
func TestStreamThenListHasNoGap(t *testing.T) {
	h := newHarness(t, simulator.Options{StepDelay: time.Millisecond})
	ctx := testCtx(t)
	s := h.session(ctx, anthropic.BetaSessionNewParams{})
	h.send(ctx, s.ID, userMessage("[[long:300]]"))
	eventually(t, "the turn to be under way", func() bool {
		info, _ := h.sim.Session(s.ID)
		return info.Events > 50
	})

	stream := h.open(ctx, s.ID)
	history := listAll(t, h, s.ID, anthropic.BetaSessionEventListParams{Limit: anthropic.Int(37)})
	if isTurnEndList(history) {
		t.Fatal("the turn ended before the history was listed; nothing was tested")
	}
	live := readUntil(t, stream, isTurnEnd)

	seen := map[string]bool{}
	var merged []string
	for _, ev := range history {
		if seen[ev.ID] {
			t.Fatalf("history repeats %s", ev.ID)
		}
		seen[ev.ID] = true
		merged = append(merged, ev.ID)
	}
	dupes := 0
	for i, ev := range live {
		if i > 0 && live[i-1].ID >= ev.ID {
			t.Fatalf("stream out of order at %d", i)
		}
		if seen[ev.ID] {
			dupes++ // overlap between history and stream is expected; dedupe drops it
			continue
		}
		seen[ev.ID] = true
		merged = append(merged, ev.ID)
	}
	all, err := h.sim.Events(s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(merged) != len(all) {
		t.Fatalf("merged %d events, the session has %d (overlap %d)", len(merged), len(all), dupes)
	}
	for i, raw := range all {
		var ev struct{ ID string }
		_ = json.Unmarshal(raw, &ev)
		if merged[i] != ev.ID {
			t.Fatalf("event %d: merged %s, stored %s", i, merged[i], ev.ID)
		}
	}
}

func isTurnEndList(evs []anthropic.BetaManagedAgentsSessionEventUnion) bool {
	t := evs[len(evs)-1].Type
	return t == "session.status_idle" || t == "session.status_terminated"
}

// tapTransport records the raw bytes of responses, to see the SSE frames
// the SDK's decoder hides (pings).
type tapTransport struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (tt *tapTransport) middleware(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
	res, err := next(req)
	if err == nil {
		res.Body = struct {
			io.Reader
			io.Closer
		}{io.TeeReader(res.Body, tt), res.Body}
	}
	return res, err
}

func (tt *tapTransport) Write(p []byte) (int, error) {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	return tt.buf.Write(p)
}

func (tt *tapTransport) String() string {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	return tt.buf.String()
}

// TestStreamPingsAndFrames: idle streams get ping frames (which the SDK
// skips), and every event frame is "event: <type>\ndata: <json>\n\n".
func TestStreamPingsAndFrames(t *testing.T) {
	h := newHarness(t, simulator.Options{PingInterval: 20 * time.Millisecond})
	ctx := testCtx(t)
	s := h.session(ctx, anthropic.BetaSessionNewParams{})
	tap := &tapTransport{}
	client := anthropic.NewClient(option.WithBaseURL(h.url), option.WithAPIKey("k"), option.WithMaxRetries(0), option.WithMiddleware(tap.middleware))
	stream := client.Beta.Sessions.Events.StreamEvents(ctx, s.ID, anthropic.BetaSessionEventStreamParams{})
	defer stream.Close()
	// The decoder reads (and the tap records) only as Next is called, so
	// let pings pile up in the connection first, then read past them.
	time.Sleep(150 * time.Millisecond)
	h.send(ctx, s.ID, userMessage("hi"))
	evs := readUntil(t, stream, isTurnEnd)
	if n := strings.Count(tap.String(), "event: ping\ndata: "); n < 2 {
		t.Fatalf("%d pings", n)
	}
	for _, ev := range evs {
		if ev.Type == "ping" {
			t.Fatal("the SDK surfaced a ping")
		}
		frame := "event: " + ev.Type + "\ndata: " + strings.TrimSpace(ev.RawJSON()) + "\n\n"
		if !strings.Contains(tap.String(), frame) {
			t.Fatalf("frame not found verbatim: %q", frame)
		}
	}
}

// TestInspectionAPI covers the Go-side views used by tests and benchmarks.
func TestInspectionAPI(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	s := h.session(ctx, anthropic.BetaSessionNewParams{Title: anthropic.String("t"), Metadata: map[string]string{"uid": "1"}})
	h.open(ctx, s.ID)
	info, ok := h.sim.Session(s.ID)
	if !ok || info.Status != "idle" || info.Title != "t" || info.Metadata["uid"] != "1" || info.AgentVersion != 1 || info.Streams != 1 {
		t.Fatalf("info %+v", info)
	}
	if list := h.sim.Sessions(); len(list) != 1 || list[0].ID != s.ID {
		t.Fatalf("sessions %+v", list)
	}
	if h.sim.OpenStreams() != 1 {
		t.Fatalf("open streams %d", h.sim.OpenStreams())
	}
	if _, err := h.sim.Events("sesn_nope"); !errors.Is(err, simulator.ErrNoSession) {
		t.Fatal(err)
	}
}
