// SPDX-License-Identifier: Apache-2.0

package sessionstream

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/anthropics/managed-agents-operator/internal/scheme"
)

// fakeClock is a clock that moves only when told.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time       { return c.t }
func (c *fakeClock) step(d time.Duration) { c.t = c.t.Add(d) }
func newFakeClock() *fakeClock            { return &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }
func ms(n int) time.Duration              { return time.Duration(n) * time.Millisecond }

// near allows the moving average its asymptote: within 5%.
func near(got, want time.Duration) bool {
	diff := got - want
	return diff <= want/20 && -diff <= want/20
}

func observeN(a *adaptiveInterval, n int, d time.Duration) {
	for range n {
		a.observe(d)
	}
}

func TestStatusIntervalAdaptsToPatchLatency(t *testing.T) {
	type step struct {
		advance time.Duration // clock moves first
		latency time.Duration // then this many patches of that latency
		patches int
		want    time.Duration
		why     string
	}
	for _, tc := range []struct {
		name     string
		min, max time.Duration
		steps    []step
	}{
		{"a fast API server leaves the interval at its minimum", time.Second, 10 * time.Second, []step{
			{0, ms(20), 50, time.Second, "20 ms patches are far below a fifth of the interval"},
		}},
		{"slow patches back the interval off at once, fast ones bring it back step by step", time.Second, 10 * time.Second, []step{
			{0, ms(20), 10, time.Second, "a healthy start"},
			{0, ms(600), 20, 3 * time.Second, "a run of 600 ms patches: five times their latency, within a few writes"},
			{ms(100), ms(20), 30, 3 * time.Second, "fast again, but the interval waits a second before it recovers"},
			{time.Second, ms(20), 1, 2 * time.Second, "after a second it goes half the way back"},
			{time.Second, ms(20), 1, 1500 * time.Millisecond, "and half the rest a second later"},
			{10 * time.Second, ms(20), 10, 1 * time.Second, "until it is back at the minimum"},
		}},
		{"one slow patch among fast ones does not back off", time.Second, 10 * time.Second, []step{
			{0, ms(20), 10, time.Second, "healthy"},
			{0, ms(900), 1, time.Second, "a single 900 ms patch moves the average to about 200 ms: still within the minimum"},
		}},
		{"the bound holds however slow the API server gets", time.Second, 4 * time.Second, []step{
			{0, 5 * time.Second, 20, 4 * time.Second, "5 s patches would ask for 25 s"},
		}},
		{"a maximum equal to the minimum is a fixed interval", time.Second, time.Second, []step{
			{0, 5 * time.Second, 20, time.Second, "--status-interval-max=--status-interval turns the adaptation off"},
		}},
		{"no interval means every change is written at once, whatever the latency", 0, 10 * time.Second, []step{
			{0, 5 * time.Second, 20, 0, "--status-interval=0"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			a := newAdaptiveInterval(tc.min, tc.max, clock.now)
			for i, s := range tc.steps {
				clock.step(s.advance)
				observeN(a, s.patches, s.latency)
				if got := a.get(); !near(got, s.want) {
					t.Fatalf("step %d (%s): interval %s, want %s (within 5%%)", i, s.why, got, s.want)
				}
			}
		})
	}
}

// TestLeadingEdgeStatusWrites proves the status clock: a stream-only change of a session whose
// last status write is older than the interval is written at once (so a quiet session's event
// reaches status in one round trip), and one that comes within the interval waits only for the
// rest of it. The interval is the adaptive one.
func TestLeadingEdgeStatusWrites(t *testing.T) {
	clock := newFakeClock()
	p := NewPumpWith(fake.NewClientBuilder().WithScheme(scheme.New()).Build(),
		PumpOptions{StatusInterval: time.Second, MaxStatusInterval: 10 * time.Second, Now: clock.now})
	key := types.NamespacedName{Namespace: "ns", Name: "s"}
	s := &Stream{key: key, pump: p}
	p.streams[key] = s

	if d := p.WriteDelay(key); d != 0 {
		t.Fatalf("a session never written waits %s, want 0: the first change is written at once", d)
	}
	if _, wake := s.wakeDelayLocked("agent.message", p.StatusInterval()); !wake {
		t.Fatal("the first event of a never written session does not wake the reconciler")
	}
	p.Written(key, 1, clock.now())
	clock.step(ms(300))
	if d := p.WriteDelay(key); d != ms(700) {
		t.Fatalf("300 ms after a write a stream-only change waits %s, want the rest of the interval (700ms)", d)
	}
	if d, wake := s.wakeDelayLocked("agent.message", p.StatusInterval()); !wake || d != ms(700) {
		t.Fatalf("an event within the interval schedules its wake in %s (wake %v), want one wake in 700ms", d, wake)
	}
	if _, wake := s.wakeDelayLocked("span.model_request_end", p.StatusInterval()); wake {
		t.Fatal("a second event within the interval scheduled a second wake; one pending wake per stream is enough")
	}
	if d, wake := s.wakeDelayLocked("session.status_idle", p.StatusInterval()); !wake || d != 0 {
		t.Fatal("a status change waited for the interval; only stream-only changes wait")
	}
	s.wakePending = false
	clock.step(ms(700))
	if d := p.WriteDelay(key); d != 0 {
		t.Fatalf("once the interval has passed a change waits %s, want 0", d)
	}
	p.Written(key, 2, clock.now())
	clock.step(5 * time.Second)
	if d := p.WriteDelay(key); d != 0 {
		t.Fatalf("a quiet session's next change waits %s, want 0 (leading edge)", d)
	}

	// Slow patches stretch the interval for every session.
	for range 20 {
		p.StatusPatched(ms(800))
	}
	p.Written(key, 3, clock.now())
	clock.step(time.Second)
	if d := p.WriteDelay(key); !near(d, 3*time.Second) {
		t.Fatalf("with 800 ms patches, one second after a write a change waits %s, want 3s (a 4s interval)", d)
	}
}
