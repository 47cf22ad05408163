// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/anthropics/managed-agents-operator/bench/internal/proc"
	"github.com/anthropics/managed-agents-operator/internal/testenv"
)

// scaleScenario runs the load over every Session with the baseline consuming the same streams, and
// reads memory, goroutines and connections.
func (r *runner) scaleScenario(ctx context.Context, names []string, res *results) error {
	ids := make([]string, 0, len(names))
	for _, s := range r.obs.snapshotSessions(names) {
		ids = append(ids, s.id)
	}
	idsFile := filepath.Join(r.dir, "sessions.txt")
	if err := os.WriteFile(idsFile, []byte(strings.Join(ids, "\n")+"\n"), 0o600); err != nil {
		return err
	}
	var err error
	baseAddr := freeAddr()
	r.base, err = testenv.StartLoggedProcess(filepath.Join(r.dir, "baseline.log"), "baseline", r.baselineBin, []string{"--base-url", r.simURL, "--api-key", apiKey, "--sessions", idsFile, "--addr", baseAddr})
	if err != nil {
		return err
	}
	r.baselineURL = "http://" + baseAddr + "/stats"
	if err := r.waitFor(ctx, "the baseline to sync every stream", 3*time.Minute, func() (bool, error) {
		b, err := r.baselineStats(ctx)
		return err == nil && b.Synced == int64(len(ids)), err
	}); err != nil {
		return err
	}
	time.Sleep(2 * time.Second) // let the baseline's and the manager's start-up work settle
	baseBefore, err := r.baselineStats(ctx)
	if err != nil {
		return err
	}
	logf("scale: %d Sessions streaming; %.0f events/s for %s, with the SDK-only baseline on the same streams", len(names), r.cfg.Rate, r.cfg.LoadDuration)
	var profiles sync.WaitGroup
	if r.cfg.profile {
		seconds := int(r.cfg.LoadDuration.Seconds() * 0.8)
		profiles.Go(func() { r.saveProfile(ctx, "cpu", fmt.Sprintf("/debug/pprof/profile?seconds=%d", seconds)) })
		profiles.Go(func() { r.saveAPIServerProfile(ctx, seconds) })
	}
	sample := func(lr *loadRun) {
		lr.samples = append(lr.samples, r.look(ctx))
		if m, err := proc.ReadMemory(r.mgr.Pid()); err == nil {
			lr.rss = append(lr.rss, m)
		}
	}
	lr, err := r.runLoad(ctx, names, r.cfg.Rate, r.cfg.LoadDuration, sample)
	if err != nil {
		return err
	}
	profiles.Wait()
	if r.cfg.profile {
		r.saveProfile(ctx, "heap", "/debug/pprof/heap")
	}
	baseAfter, err := r.baselineStats(ctx)
	if err != nil {
		return err
	}
	res.ScaleLatency = r.latencyResult(lr, names, r.cfg.Rate)
	d := diff(lr.before, lr.after)
	mem, _ := proc.ReadMemory(r.mgr.Pid())
	sockets, _ := proc.Sockets(r.mgr.Pid())
	goroutines := lr.after.goroutines
	for _, s := range lr.samples {
		goroutines = max(goroutines, s.goroutines)
	}
	events := float64(len(lr.records))
	baseEvents := float64(baseAfter.Live - baseBefore.Live)
	sc := &res.Scale
	*sc = scaleResult{
		Sessions: len(names), Events: len(lr.records), Seconds: round(lr.drained.Sub(lr.start).Seconds()),
		PeakRSSMiB: mib(mem.Peak), RSSMiB: mib(mem.RSS), Goroutines: int(goroutines), ManagerSockets: sockets,
		SimulatorStreams: lr.after.simStreams, ManagerStreams: int(lr.after.streamsOpen), Reconnects: lr.after.streamReconnct,
		ManagerCPUSeconds: round(d.cpu["manager"]), BaselineCPUSeconds: round(d.cpu["baseline"]), BaselineEvents: int(baseEvents),
		SimulatorCPUSeconds: round(d.cpu["simulator"]), APIServerCPUSeconds: round(d.cpu["kube-apiserver"]), EtcdCPUSeconds: round(d.cpu["etcd"]),
	}
	if events > 0 {
		sc.ManagerCPUPer1000 = round(d.cpu["manager"] / events * 1000)
		sc.APIServerCPUPer1000 = round((d.cpu["kube-apiserver"] + d.cpu["etcd"]) / events * 1000)
	}
	if baseEvents > 0 {
		sc.BaselineCPUPer1000 = round(d.cpu["baseline"] / baseEvents * 1000)
	}
	if sc.BaselineCPUPer1000 > 0 {
		sc.CPURatio = round(sc.ManagerCPUPer1000 / sc.BaselineCPUPer1000)
	}
	res.Writes.Load = res.ScaleLatency.Writes
	logf("scale: peak RSS %.0f MiB, %d goroutines, %d sockets; CPU per 1000 events: manager %.3fs, baseline %.3fs (%.1fx)",
		sc.PeakRSSMiB, sc.Goroutines, sc.ManagerSockets, sc.ManagerCPUPer1000, sc.BaselineCPUPer1000, sc.CPURatio)
	r.base.Stop(5 * time.Second)
	r.base = nil
	return nil
}

type baselineCounters struct {
	Synced int64 `json:"synced"`
	Events int64 `json:"events"`
	Live   int64 `json:"live_events"`
}

func (r *runner) baselineStats(ctx context.Context) (baselineCounters, error) {
	var b baselineCounters
	err := getJSON(ctx, r.baselineURL, &b)
	return b, err
}

// steadyScenario changes nothing for a while, with a short resync period so that every Agent and
// Environment is compared with the API many times, and counts the writes (there must be none).
func (r *runner) steadyScenario(ctx context.Context, res *results) error {
	logf("steady: %s with no changes (resync every %s)", r.cfg.Steady, r.cfg.Resync)
	before := r.quiet(ctx)
	start := time.Now()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(r.cfg.Steady):
	}
	after := r.look(ctx)
	d := diff(before, after)
	mem, _ := proc.ReadMemory(r.mgr.Pid())
	res.Writes.Steady = steadyResult{
		Seconds: round(d.seconds), ResyncPeriod: r.cfg.Resync.String(), ResyncCycles: int(d.seconds / r.cfg.Resync.Seconds()),
		KubeWrites: d.kubeWrites, StatusPatches: d.statusPatches, KubeEvents: d.kubeEvents, APIServerWrites: d.apiserverWrites,
		SessionWrites: r.obs.writesBetween(start, after.at), KubeReads: d.kubeReads,
		APICalls: d.apiCalls, APICallsByOperation: d.apiCallsByOp, ManagerCPUSecondsPerMinute: round(d.cpu["manager"] / d.seconds * 60),
		RSSMiB: mib(mem.RSS), Sessions: r.cfg.Scale, CPUSeconds: roundAll(d.cpu),
	}
	logf("steady: %.0f Kubernetes writes, %.0f API calls in %.0fs", d.kubeWrites, d.apiCalls, d.seconds)
	return nil
}

// histogramP99 estimates the p99 of the manager's own event-to-status histogram between two looks,
// as the upper bound of the bucket that holds it.
func histogramP99(before, after histogram) float64 {
	total := after.count - before.count
	if total <= 0 {
		return 0
	}
	best := math.Inf(1)
	for bound, n := range after.buckets {
		if (n-before.buckets[bound])/total >= 0.99 && bound < best {
			best = bound
		}
	}
	if math.IsInf(best, 1) {
		return -1 // beyond the last bucket
	}
	return best * 1000
}

func roundAll(m map[string]float64) map[string]float64 {
	out := make(map[string]float64, len(m))
	for k, v := range m {
		out[k] = round(v)
	}
	return out
}
