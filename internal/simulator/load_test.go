// SPDX-License-Identifier: Apache-2.0

package simulator_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"

	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

// TestLoadEmitsIntoRunningSessions proves a load spreads its events round robin over the sessions
// with the asked status only, records each event's id and position in its session's history, and
// that a stream sees the loaded events like any other.
func TestLoadEmitsIntoRunningSessions(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	var running []string
	for range 3 {
		s := h.session(ctx, anthropic.BetaSessionNewParams{})
		h.send(ctx, s.ID, userMessage("[[slow:1m]] hold"))
		running = append(running, s.ID)
	}
	idle := h.session(ctx, anthropic.BetaSessionNewParams{}) // never prompted: stays idle
	// Running is not enough: the turn emits its own events before it sleeps, and a stream opened
	// earlier would see those first. The turn is asleep once its last event is the thinking.
	for _, id := range running {
		eventually(t, id+" asleep mid-turn", func() bool { return lastEventType(h, id) == "agent.thinking" })
	}
	stream := h.open(ctx, running[0])
	defer stream.Close()
	// A cycle of two events; only the first is notable, which a benchmark needs to tell apart.
	events := []json.RawMessage{
		json.RawMessage(`{"type":"agent.message","content":[{"type":"text","text":"load"}]}`),
		json.RawMessage(`{"type":"span.model_request_start"}`),
	}
	if err := h.sim.StartLoad(simulator.LoadSpec{Rate: 600, Duration: 200 * time.Millisecond, Events: events, Status: "running", Record: true}); err != nil {
		t.Fatal(err)
	}
	if err := h.sim.StartLoad(simulator.LoadSpec{Rate: 1, Events: events}); err == nil {
		t.Error("a second load started while one runs")
	}
	eventually(t, "the load ends", func() bool { return !h.sim.LoadStatus(false).Running })
	st := h.sim.LoadStatus(true)
	if st.Emitted != 120 || len(st.Records) != 120 || st.Sessions != 3 {
		t.Fatalf("emitted %d, %d records over %d sessions; want 120 over 3", st.Emitted, len(st.Records), st.Sessions)
	}
	perSession := map[string]int{}
	for _, rec := range st.Records {
		perSession[rec.SessionID]++
		history, err := h.sim.Events(rec.SessionID)
		if err != nil {
			t.Fatal(err)
		}
		var got struct{ ID, Type string }
		_ = json.Unmarshal(history[rec.Sequence-1], &got)
		if got.ID != rec.EventID || got.Type != rec.Type || rec.At.IsZero() {
			t.Fatalf("record %+v does not match history event %+v", rec, got)
		}
	}
	for _, id := range running {
		if perSession[id] != 40 {
			t.Errorf("session %s got %d events, want 40 (round robin)", id, perSession[id])
		}
	}
	if perSession[idle.ID] != 0 {
		t.Errorf("the idle session got %d events", perSession[idle.ID])
	}
	var first string
	for _, rec := range st.Records {
		if rec.SessionID == running[0] {
			first = rec.EventID
			break
		}
	}
	if !stream.Next() || stream.Current().ID != first {
		t.Fatalf("the stream's first event is %s, want the loaded %s (%v)", stream.Current().ID, first, stream.Err())
	}
}

// TestLoadOverHTTP covers the admin endpoints: list sessions with full-precision creation times,
// emit one event, and start, inspect and stop a load; bad specs are 400s.
func TestLoadOverHTTP(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	s := h.session(ctx, anthropic.BetaSessionNewParams{Metadata: map[string]string{"k8s-uid": "u1"}})

	res, body := rawRequest(t, http.MethodGet, h.url+"/_simulator/sessions", "", nil)
	list, _ := body["sessions"].([]any)
	if res.StatusCode != 200 || len(list) != 1 {
		t.Fatalf("GET sessions: %d %v", res.StatusCode, body)
	}
	entry := list[0].(map[string]any)
	created, err := time.Parse(time.RFC3339Nano, fmt.Sprint(entry["created_at"]))
	if entry["id"] != s.ID || err != nil || created.IsZero() || entry["metadata"].(map[string]any)["k8s-uid"] != "u1" {
		t.Fatalf("session entry %v (created_at: %v)", entry, err)
	}

	res, body = rawRequest(t, http.MethodPost, h.url+"/_simulator/sessions/"+s.ID+"/emit", `{"type":"agent.thinking"}`, nil)
	if res.StatusCode != 200 || body["sequence"] != float64(1) || body["id"] == "" {
		t.Fatalf("emit: %d %v", res.StatusCode, body)
	}
	if res, _ := rawRequest(t, http.MethodPost, h.url+"/_simulator/sessions/sesn_nope/emit", `{"type":"x"}`, nil); res.StatusCode != 404 {
		t.Errorf("emit into an unknown session: %d, want 404", res.StatusCode)
	}
	if res, _ := rawRequest(t, http.MethodPost, h.url+"/_simulator/sessions/"+s.ID+"/emit", `{"no":"type"}`, nil); res.StatusCode != 400 {
		t.Errorf("emit without a type: %d, want 400", res.StatusCode)
	}

	for _, bad := range []string{`{"rate":0,"events":[{"type":"x"}]}`, `{"rate":10,"events":[]}`, `{"rate":10,"events":[{"no":1}]}`,
		`{"rate":10,"events":[{"type":"x"}],"duration":"soon"}`, `not json`} {
		if res, _ := rawRequest(t, http.MethodPost, h.url+"/_simulator/load", bad, nil); res.StatusCode != 400 {
			t.Errorf("load %s: %d, want 400", bad, res.StatusCode)
		}
	}
	res, body = rawRequest(t, http.MethodPost, h.url+"/_simulator/load", `{"rate":1000,"events":[{"type":"agent.thinking"}],"record":true}`, nil)
	if res.StatusCode != 200 || body["running"] != true {
		t.Fatalf("start load: %d %v", res.StatusCode, body)
	}
	eventually(t, "events are emitted", func() bool { return h.sim.LoadStatus(false).Emitted > 10 })
	res, body = rawRequest(t, http.MethodDelete, h.url+"/_simulator/load", "", nil)
	if res.StatusCode != 200 || body["running"] != false {
		t.Fatalf("stop load: %d %v", res.StatusCode, body)
	}
	_, body = rawRequest(t, http.MethodGet, h.url+"/_simulator/load?records=true", "", nil)
	records, _ := body["records"].([]any)
	if int64(len(records)) != int64(body["emitted"].(float64)) {
		t.Errorf("%d records for %v emitted events", len(records), body["emitted"])
	}
	history, _ := h.sim.Events(s.ID)
	if len(history) != len(records)+1 {
		t.Errorf("history has %d events, want the emitted one plus %d loaded", len(history), len(records))
	}
}
