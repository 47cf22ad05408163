package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/bench/internal/proc"
	"github.com/anthropics/managed-agents-operator/bench/internal/stats"
	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

// holdPrompt keeps every benchmark session running with its stream open: the simulated turn
// thinks, then waits an hour, so the only events afterwards are the ones the load emits.
const holdPrompt = "[[slow:1h]] hold the stream open"

// loadEvents is the mix the load emits, cycled: half of the events are notable (they get a
// Kubernetes Event), half are spans and thinking (status only), like a real agent's stream. None
// changes the session's phase, so every status write they cause is a coalescible stream-only write.
var loadEvents = []json.RawMessage{
	json.RawMessage(`{"type":"agent.message","content":[{"type":"text","text":"Working on the next step of the task."}]}`),
	json.RawMessage(`{"type":"span.model_request_start"}`),
	json.RawMessage(`{"type":"agent.tool_use","name":"bash","input":{"command":"make test"},"evaluated_permission":"allow"}`),
	json.RawMessage(`{"type":"agent.tool_result","tool_use_id":"sevt_0","content":[{"type":"text","text":"ok"}]}`),
	json.RawMessage(`{"type":"span.model_request_end","model_usage":{"input_tokens":100,"output_tokens":20}}`),
	json.RawMessage(`{"type":"agent.thinking"}`),
}

// notable are the load's event types that get a Kubernetes Event.
var notable = map[string]bool{"agent.message": true, "agent.tool_use": true, "agent.tool_result": true}

func (r *runner) createFixtures(ctx context.Context) error {
	objs := []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "anthropic"}, Data: map[string][]byte{"api-key": []byte(apiKey)}},
		&v1alpha1.Agent{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "coder"}, Spec: v1alpha1.AgentSpec{
			Model: v1alpha1.ModelConfig{ID: "claude-opus-4-8"}, System: "You are a careful engineer."}},
		&v1alpha1.Environment{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "env"}},
	}
	for _, o := range objs {
		if err := r.k8s.Create(ctx, o); err != nil {
			return err
		}
	}
	return r.waitFor(ctx, "the Agent and Environment to be Ready", 60*time.Second, func() (bool, error) {
		var a v1alpha1.Agent
		var e v1alpha1.Environment
		if err := r.k8s.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "coder"}, &a); err != nil {
			return false, err
		}
		if err := r.k8s.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "env"}, &e); err != nil {
			return false, err
		}
		return meta.IsStatusConditionTrue(a.Status.Conditions, v1alpha1.ConditionReady) &&
			meta.IsStatusConditionTrue(e.Status.Conditions, v1alpha1.ConditionReady), nil
	})
}

// waitFor polls cond every 100ms until it holds or timeout passes.
func (r *runner) waitFor(ctx context.Context, what string, timeout time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	var last error
	for {
		ok, err := cond()
		if ok {
			return nil
		}
		if err != nil {
			last = err
		}
		if r.mgr != nil && r.mgr.Exited() {
			return fmt.Errorf("the manager exited while waiting for %s", what)
		}
		if time.Now().After(deadline) {
			if last != nil {
				return fmt.Errorf("timed out after %s waiting for %s (last error: %w)", timeout, what, last)
			}
			return fmt.Errorf("timed out after %s waiting for %s", timeout, what)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (r *runner) scenarios(ctx context.Context, res *results) error {
	launch := sessionNames(0, r.cfg.Launch)
	if err := r.launchScenario(ctx, launch, &res.Launch, &res.Writes.Launch); err != nil {
		return err
	}
	// Latency against load: lower rates first, then the rate, whose result is the target.
	shares := []float64{0.1, 0.25, 0.5}
	if r.cfg.Smoke {
		shares = nil // the smoke run checks that every scenario works, not the curve
	}
	for _, share := range shares {
		var lr latencyResult
		if err := r.loadScenario(ctx, launch, r.cfg.Rate*share, r.cfg.LoadDuration*2/3, &lr); err != nil {
			return err
		}
		res.LatencySweep = append(res.LatencySweep, lr)
	}
	if err := r.loadScenario(ctx, launch, r.cfg.Rate, r.cfg.LoadDuration, &res.Latency); err != nil {
		return err
	}
	res.LatencySweep = append(res.LatencySweep, res.Latency)
	if err := r.burstScenario(ctx, launch, &res.Burst); err != nil {
		return err
	}
	all := sessionNames(0, r.cfg.Scale)
	if err := r.launchScenario(ctx, all[len(launch):], &res.ScaleLaunch, nil); err != nil {
		return err
	}
	if err := r.scaleScenario(ctx, all, res); err != nil {
		return err
	}
	return r.steadyScenario(ctx, res)
}

func sessionNames(from, to int) []string {
	out := make([]string, 0, to-from)
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("s-%04d", i))
	}
	return out
}

// launchScenario creates the Sessions at once and measures the time to the remote session and to
// phase Running, then waits until every stream is connected and its history folded into status.
func (r *runner) launchScenario(ctx context.Context, names []string, out *launchResult, writes *writeResult) error {
	logf("launch: creating %d Sessions at once", len(names))
	before := r.look(ctx)
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, len(names))
	for _, name := range names {
		wg.Go(func() {
			sess := &v1alpha1.Session{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}, Spec: v1alpha1.SessionSpec{
				AgentRef: &v1alpha1.AgentReference{Name: "coder"}, EnvironmentRef: &v1alpha1.LocalObjectReference{Name: "env"},
				Prompt: holdPrompt,
			}}
			r.obs.expect(name, time.Now())
			if err := r.k8s.Create(ctx, sess); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	createSeconds := time.Since(start).Seconds()
	err := r.waitFor(ctx, "every Session to be Running", 5*time.Minute, func() (bool, error) {
		n := 0
		for _, s := range r.obs.snapshotSessions(names) {
			if !s.running.IsZero() {
				n++
			}
		}
		return n == len(names), nil
	})
	if err != nil {
		return err
	}
	runningSeconds := time.Since(start).Seconds()
	remote := r.remoteSessions(ctx)
	var toRemote, toRunning []time.Duration
	missing := 0
	for _, s := range r.obs.snapshotSessions(names) {
		rs, ok := remote[s.uid]
		if !ok {
			missing++
			continue
		}
		toRemote = append(toRemote, rs.CreatedAt.Sub(s.sent))
		toRunning = append(toRunning, s.running.Sub(s.sent))
	}
	*out = launchResult{Sessions: len(names), CreateSeconds: round(createSeconds), AllRunningSeconds: round(runningSeconds),
		ToRemote: stats.Summarize(toRemote, missing), ToRunning: stats.Summarize(toRunning, missing)}
	logf("launch: all %d Running after %.2fs; to remote p50/p99 %.0f/%.0f ms, to Running p50/p99 %.0f/%.0f ms",
		len(names), runningSeconds, out.ToRemote.P50, out.ToRemote.P99, out.ToRunning.P50, out.ToRunning.P99)
	if err := r.waitSynced(ctx, names); err != nil {
		return err
	}
	after := r.quiet(ctx)
	if writes != nil {
		d := diff(before, after)
		*writes = perUnit(d, float64(len(names)))
		writes.Unit = "session"
	}
	return nil
}

// remoteSessions maps the Kubernetes UID in each remote session's metadata to the session.
func (r *runner) remoteSessions(ctx context.Context) map[string]simulator.AdminSession {
	var list struct {
		Sessions []simulator.AdminSession `json:"sessions"`
	}
	_ = getJSON(ctx, r.simURL+"/_simulator/sessions", &list)
	out := map[string]simulator.AdminSession{}
	for _, s := range list.Sessions {
		out[s.Metadata[v1alpha1.MetadataKeyUID]] = s
	}
	return out
}

// waitSynced waits until the status of every named Session counts every event of its remote
// history, which means its stream is connected and its history folded.
func (r *runner) waitSynced(ctx context.Context, names []string) error {
	want := map[string]int{}
	remote := r.remoteSessions(ctx)
	for _, s := range r.obs.snapshotSessions(names) {
		if rs, ok := remote[s.uid]; ok {
			want[rs.ID] = rs.Events
		}
	}
	return r.waitFor(ctx, "every status to show its session's history", 5*time.Minute, func() (bool, error) {
		return r.obs.countsReached(want) == len(names), nil
	})
}

// quiet waits until the manager has made no Kubernetes write for two seconds (at most 30s), and
// returns that look. API calls do not count: the resync reads the API all the time.
func (r *runner) quiet(ctx context.Context) counters {
	last := r.look(ctx)
	stable, deadline := time.Now(), time.Now().Add(30*time.Second)
	for time.Since(stable) < 2*time.Second && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(250 * time.Millisecond)
		c := r.look(ctx)
		if c.kubeWrites != last.kubeWrites {
			stable = time.Now()
		}
		last = c
	}
	return last
}

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
			if rec := lr.records[i]; notable[rec.Type] {
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
		if !notable[rec.Type] {
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
	r.base, err = proc.Start(r.dir, "baseline", r.baselineBin, []string{"--base-url", r.simURL, "--api-key", apiKey, "--sessions", idsFile, "--addr", baseAddr})
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

func (r *runner) saveAPIServerProfile(ctx context.Context, seconds int) {
	r.fetchProfile(ctx, r.apiserverHTTP, strings.TrimSuffix(r.apiserverMetricsURL, "/metrics")+fmt.Sprintf("/debug/pprof/profile?seconds=%d", seconds), "apiserver-cpu")
}

func (r *runner) saveProfile(ctx context.Context, name, path string) {
	r.fetchProfile(ctx, http.DefaultClient, r.pprofURL+path, name)
}

func (r *runner) fetchProfile(ctx context.Context, c *http.Client, url, name string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return
	}
	resp, err := c.Do(req)
	if err != nil {
		logf("profile %s: %v", name, err)
		return
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return
	}
	file := filepath.Join(r.cfg.out, "profiles", name+".pprof")
	_ = os.MkdirAll(filepath.Dir(file), 0o755)
	if err := os.WriteFile(file, data, 0o644); err == nil {
		logf("profile: %s", file)
	}
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
