// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/bench/internal/stats"
	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

// holdPrompt keeps every benchmark session running with its stream open: the simulated turn
// thinks, then waits an hour, so the only events afterwards are the ones the load emits.
const holdPrompt = "[[slow:1h]] hold the stream open"

// sessionResync is the manager's default --resync-period, set on every benchmark Session through the
// per-object annotation. The run's short --resync-period exists to compare Agents and Environments
// with the API many times in the steady state; applied to 1,000 running Sessions it would add a GET
// per Session every few seconds to the load and scale figures, which no production setting does.
const sessionResync = "10m"

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
	if err := r.policyScenario(ctx, launch, res); err != nil {
		return err
	}
	if r.cfg.SkipScale {
		return nil
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
			meta := metav1.ObjectMeta{Namespace: namespace, Name: name, Annotations: map[string]string{v1alpha1.AnnotationResyncPeriod: sessionResync}}
			sess := &v1alpha1.Session{ObjectMeta: meta, Spec: v1alpha1.SessionSpec{
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
