// SPDX-License-Identifier: Apache-2.0

package sessionstream

import (
	"sync"
	"time"

	"github.com/anthropics/managed-agents-operator/internal/metrics"
)

// The adaptive status interval. Stream-only status writes of one session are at least an interval
// apart (see coalesce.go). A fixed interval keeps sending the same write rate into an API server
// that already queues: every write then waits longer, status falls further behind, and Events and
// user changes queue behind them too. So the interval follows the API server's answer time: it
// backs off at once when status patches slow down and recovers step by step when they speed up,
// always between the manager's --status-interval and --status-interval-max.
const (
	// latencyFactor keeps the interval at least this many times the average status patch latency.
	// An API server that answers in 20 ms leaves the interval at its minimum; one that takes 400 ms
	// (it queues) gets half the writes with a 2 s interval.
	latencyFactor = 5
	// latencyWeight is the weight of each new latency in the moving average: a single slow patch
	// does not back the interval off, a run of them does within a few writes.
	latencyWeight = 0.2
	// recoverEvery and recoverShare pace the recovery: at most once per recoverEvery, the interval
	// moves recoverShare of the way back to its target, so an API server that just caught up is
	// not flooded again at once.
	recoverEvery = time.Second
	recoverShare = 0.5
)

// adaptiveInterval is the status interval shared by every stream of a Pump.
type adaptiveInterval struct {
	min, max time.Duration
	now      func() time.Time

	mu          sync.Mutex
	current     time.Duration
	latency     float64 // moving average of status patch latency, seconds
	lastRecover time.Time
}

func newAdaptiveInterval(minInterval, maxInterval time.Duration, now func() time.Time) *adaptiveInterval {
	maxInterval = max(maxInterval, minInterval)
	metrics.StatusInterval.Set(minInterval.Seconds())
	return &adaptiveInterval{min: minInterval, max: maxInterval, now: now, current: minInterval}
}

// get is the current interval; zero means every stream-only change is written at once.
func (a *adaptiveInterval) get() time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.current
}

// observe takes the latency of one status patch and moves the interval.
func (a *adaptiveInterval) observe(latency time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.min <= 0 || a.max == a.min {
		return // no coalescing, or a fixed interval
	}
	if a.latency == 0 {
		a.latency = latency.Seconds()
	} else {
		a.latency += latencyWeight * (latency.Seconds() - a.latency)
	}
	target := min(max(time.Duration(latencyFactor*a.latency*float64(time.Second)), a.min), a.max)
	now := a.now()
	switch {
	case target > a.current:
		a.current = target // back off at once
		a.lastRecover = now
	case target < a.current && now.Sub(a.lastRecover) >= recoverEvery:
		// One step per recoverEvery that passed: a long quiet spell recovers as far as several steps.
		gap := float64(a.current - target)
		for range min(now.Sub(a.lastRecover)/recoverEvery, 30) { // 30 halvings close any gap
			gap *= 1 - recoverShare
		}
		a.current = target + time.Duration(gap)
		if a.current-target < 10*time.Millisecond {
			a.current = target
		}
		a.lastRecover = now
	default:
		return
	}
	metrics.StatusInterval.Set(a.current.Seconds())
}
