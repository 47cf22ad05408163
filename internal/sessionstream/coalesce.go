// SPDX-License-Identifier: Apache-2.0

package sessionstream

import (
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/anthropics/managed-agents-operator/internal/metrics"
)

// The one clock for stream-driven status writes. A change that comes only from the stream (one more
// agent message, a tool call, usage) is written at once when the session's last status write is
// older than the status interval, and otherwise waits until the interval has passed, so a busy
// session costs at most one write per interval and a quiet one is current after one round trip.
// Changes the reconciler makes itself (a launch, a send, a phase) never wait.

// WriteDelay is how long a stream-only status change of this session must wait: zero when it may
// be written now.
func (p *Pump) WriteDelay(key types.NamespacedName) time.Duration {
	s := p.Get(key)
	interval := p.interval.get()
	if s == nil || interval <= 0 {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.written.IsZero() {
		return 0
	}
	return max(interval-p.now().Sub(s.written), 0)
}

// StatusPatched takes how long one status patch of any session took, which the status interval
// follows (interval.go).
func (p *Pump) StatusPatched(latency time.Duration) {
	metrics.StatusPatchDuration.Observe(latency.Seconds())
	p.interval.observe(latency)
}

// StatusInterval is the current status interval.
func (p *Pump) StatusInterval() time.Duration { return p.interval.get() }

// Written records a status write, sent at the given time, that includes the first count events,
// and observes how long the oldest of them waited for it. The interval runs from when a write is
// sent, not from its answer: under a loaded API server the answer can take a sizable part of an
// interval, which would stretch every interval by it.
func (p *Pump) Written(key types.NamespacedName, count int64, sent time.Time) {
	s := p.Get(key)
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.written = sent
	if s.unwrittenSince.IsZero() || count < s.state.Count {
		return
	}
	metrics.EventToStatusLatency.Observe(p.now().Sub(s.unwrittenSince).Seconds())
	s.unwrittenSince = time.Time{}
}

// wakeDelayLocked says when the reconciler needs to see an event. Most events change only what
// status shows (messages, tool calls, spans, usage), and such a change is written at most once per
// status interval: waking the reconciler for each of them only to hear "not yet" cost more CPU than
// the writes themselves. Their wake waits until the next write is due, one pending wake per stream.
// Every other event (status changes, user input, errors) wakes the reconciler at once.
func (s *Stream) wakeDelayLocked(eventType string, interval time.Duration) (delay time.Duration, wake bool) {
	if interval <= 0 || s.written.IsZero() || !statusOnlyEvent(eventType) {
		return 0, true
	}
	wait := interval - s.pump.now().Sub(s.written)
	if wait <= 0 {
		return 0, true
	}
	if s.wakePending {
		return 0, false
	}
	s.wakePending = true
	return wait, true
}

// statusOnlyEvent reports whether an event type can change only what status shows, never the
// phase, a condition, or what the reconciler sends next.
func statusOnlyEvent(eventType string) bool {
	return strings.HasPrefix(eventType, "agent.") || strings.HasPrefix(eventType, "span.") || eventType == "session.usage"
}
