// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/anthropics/managed-agents-operator/bench/internal/proc"
	"github.com/anthropics/managed-agents-operator/bench/internal/stats"
	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

// loadRun is what one load produced.
type loadRun struct {
	records []simulator.EmitRecord
	start   time.Time
	drained time.Time
	before  counters
	after   counters
	// samples are looks taken while the load ran (for goroutines and RSS).
	samples []counters
	rss     []proc.Memory
}

// runLoad emits events at rate into the named Sessions for d, waits until every status and every
// Kubernetes Event shows them, and returns the records with counters from before and after.
func (r *runner) runLoad(ctx context.Context, names []string, rate float64, d time.Duration, sample func(*loadRun)) (*loadRun, error) {
	var ids []string
	for _, s := range r.obs.snapshotSessions(names) {
		ids = append(ids, s.id)
	}
	spec, _ := json.Marshal(map[string]any{"rate": rate, "duration": d.String(), "events": loadEvents, "session_ids": ids, "record": true})
	lr := &loadRun{before: r.look(ctx), start: time.Now()}
	if err := sendJSON(ctx, http.MethodPost, r.simURL+"/_simulator/load", string(spec)); err != nil {
		return nil, err
	}
	ticker := time.NewTicker(2 * time.Second)
	defer ticker.Stop()
	for {
		var st simulator.LoadStatus
		if err := getJSON(ctx, r.simURL+"/_simulator/load", &st); err != nil {
			return nil, err
		}
		if !st.Running {
			break
		}
		if sample != nil {
			sample(lr)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-ticker.C:
		}
	}
	var st simulator.LoadStatus
	if err := getJSON(ctx, r.simURL+"/_simulator/load?records=true", &st); err != nil {
		return nil, err
	}
	lr.records = st.Records
	want := map[string]int{}
	for _, rec := range lr.records {
		want[rec.SessionID] = max(want[rec.SessionID], rec.Sequence)
	}
	err := r.waitFor(ctx, "every status to show the loaded events", 3*time.Minute, func() (bool, error) {
		return r.obs.countsReached(want) == len(want), nil
	})
	if err != nil {
		return nil, err
	}
	_ = r.waitFor(ctx, "every Kubernetes Event of the loaded events", 2*time.Minute, func() (bool, error) {
		for i := len(lr.records) - 1; i >= 0; i-- {
			if rec := lr.records[i]; r.notableNow(rec.Type) {
				_, ok := r.obs.eventSeen(rec.EventID)
				return ok, nil
			}
		}
		return true, nil
	})
	lr.drained = time.Now()
	lr.after = r.quiet(ctx)
	return lr, nil
}

// latencies are the time from each emitted event to its appearance in status and, for notable
// events, as a Kubernetes Event.
func (r *runner) latencies(lr *loadRun) (toStatus, toEvent stats.Summary) {
	var st, ev []time.Duration
	stMissing, evMissing := 0, 0
	for _, rec := range lr.records {
		if t, ok := r.obs.statusShows(rec.SessionID, rec.Sequence); ok {
			st = append(st, t.Sub(rec.At))
		} else {
			stMissing++
		}
		if !r.notableNow(rec.Type) {
			continue
		}
		if t, ok := r.obs.eventSeen(rec.EventID); ok {
			ev = append(ev, t.Sub(rec.At))
		} else {
			evMissing++
		}
	}
	return stats.Summarize(st, stMissing), stats.Summarize(ev, evMissing)
}

func (r *runner) loadScenario(ctx context.Context, names []string, rate float64, d time.Duration, out *latencyResult) error {
	logf("latency: %.0f events/s over %d Sessions for %s", rate, len(names), d)
	lr, err := r.runLoad(ctx, names, rate, d, nil)
	if err != nil {
		return err
	}
	*out = r.latencyResult(lr, names, rate)
	out.Cost = r.clusterCost(ctx, lr, out.Events)
	logf("latency: %d events; to status p50/p99 %.0f/%.0f ms, to Kubernetes Event p50/p99 %.0f/%.0f ms",
		out.Events, out.ToStatus.P50, out.ToStatus.P99, out.ToEvent.P50, out.ToEvent.P99)
	return nil
}

func (r *runner) latencyResult(lr *loadRun, names []string, rate float64) latencyResult {
	toStatus, toEvent := r.latencies(lr)
	d := diff(lr.before, lr.after)
	loadSeconds := lr.drained.Sub(lr.start).Seconds()
	w := perUnit(d, float64(len(lr.records)))
	w.Unit = "event"
	sessionWrites := r.obs.writesBetween(lr.start, lr.drained)
	return latencyResult{
		Sessions: len(names), Events: len(lr.records), Rate: rate, Seconds: round(loadSeconds),
		ToStatus: toStatus, ToEvent: toEvent, Writes: w,
		StatusWritesPerSessionSecond:    round(float64(sessionWrites) / float64(len(names)) / loadSeconds),
		MaxStatusWritesPerSessionSecond: r.obs.maxWritesPerSecond(names, lr.start, lr.drained),
		ManagerCPUSeconds:               round(d.cpu["manager"]),
		CPUSeconds:                      roundAll(d.cpu),
		OperatorP99:                     histogramP99(lr.before.eventToStatus, lr.after.eventToStatus),
	}
}

// burstScenario emits BurstPerSession events into every named Session within one second, far more
// than one status write per second could show one by one, and measures the status writes it costs.
func (r *runner) burstScenario(ctx context.Context, names []string, out *burstResult) error {
	n := r.cfg.BurstPerSession * len(names)
	logf("burst: %d events into each of %d Sessions within one second", r.cfg.BurstPerSession, len(names))
	lr, err := r.runLoad(ctx, names, float64(n), time.Second, nil)
	if err != nil {
		return err
	}
	toStatus, toEvent := r.latencies(lr)
	seconds := lr.drained.Sub(lr.start).Seconds()
	d := diff(lr.before, lr.after)
	writes := r.obs.writesBetween(lr.start, lr.drained.Add(2*time.Second))
	*out = burstResult{
		Sessions: len(names), EventsPerSession: r.cfg.BurstPerSession, Events: len(lr.records), DrainSeconds: round(seconds),
		StatusPatches: d.statusPatches, SessionWrites: writes, KubeEvents: d.sessionEvents,
		StatusWritesPerSession:          round(float64(writes) / float64(len(names))),
		MaxStatusWritesPerSessionSecond: r.obs.maxWritesPerSecond(names, lr.start, lr.drained.Add(2*time.Second)),
		MaxStatusWritesPerSession5s:     r.obs.maxWritesIn(names, lr.start, lr.drained.Add(2*time.Second), 5*time.Second),
		ToStatus:                        toStatus, ToEvent: toEvent,
	}
	logf("burst: %d events drained in %.1fs with %d status writes (%.2f per Session, at most %d per Session per second)",
		out.Events, seconds, writes, out.StatusWritesPerSession, out.MaxStatusWritesPerSessionSecond)
	return nil
}
