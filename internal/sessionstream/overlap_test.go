// SPDX-License-Identifier: Apache-2.0

package sessionstream

import (
	"testing"

	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
)

// TestOverlapSkipsRepeatsEvenWithoutIDs proves the history/stream overlap is found by each event's
// identity, not by ids alone. Before, an event without an id ended the deduplication early, so the
// rest of the overlap was folded twice, which could make the follow-up count skip a message.
func TestOverlapSkipsRepeatsEvenWithoutIDs(t *testing.T) {
	history := []string{
		`{"id":"sevt_1","type":"user.message","content":[{"type":"text","text":"hi"}]}`,
		`{"type":"session.status_running","processed_at":"2026-12-02T10:00:00Z"}`,
		`{"id":"sevt_3","type":"user.message","content":[{"type":"text","text":"more"}]}`,
	}
	o := &overlap{seen: map[string]bool{}}
	for _, raw := range history {
		ev := decode(t, raw)
		o.seen[sessionevents.Identity(&ev, []byte(raw))] = true
	}
	stream := []struct {
		raw     string
		repeats bool
		why     string
	}{
		{history[0], true, "the first repeat, with an id"},
		{`{"processed_at":"2026-12-02T10:00:00Z", "type":"session.status_running"}`, true,
			"the same id-less event, rendered with other spacing and key order"},
		{history[2], true, "a repeat after the id-less one is still a repeat"},
		{`{"id":"sevt_4","type":"agent.message","content":[{"type":"text","text":"new"}]}`, false, "the first new event"},
		{history[0], false, "after the overlap, every event is new"},
	}
	for _, e := range stream {
		ev := decode(t, e.raw)
		if got := o.repeats(&ev, []byte(e.raw)); got != e.repeats {
			t.Errorf("%s: repeats = %v, want %v", e.why, got, e.repeats)
		}
	}
}

func decode(t *testing.T, raw string) sessionevents.Event {
	t.Helper()
	ev, err := sessionevents.Decode([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return ev
}
