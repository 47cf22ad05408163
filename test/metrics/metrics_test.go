// SPDX-License-Identifier: Apache-2.0

// Package metrics_test runs the manager and the simulator as processes against a real API server,
// plays a scripted scenario, scrapes /metrics and checks the counters against what the simulator saw.
package metrics_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/testenv"
)

const (
	ns     = "metrics"
	apiKey = "sk-ant-metrics-test"
)

// TestMetricsMatchWhatTheSimulatorSaw proves the metrics tell the truth: request counters equal the
// simulator's per-endpoint counts, 429s, launches, outcomes, tokens and Events match exactly, and no
// label carries a per-session value.
func TestMetricsMatchWhatTheSimulatorSaw(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	h := startHarness(ctx, t)

	h.create(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	h.create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "anthropic"}, Data: map[string][]byte{"api-key": []byte(apiKey)}})
	h.create(t, &v1alpha1.Agent{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "coder"}, Spec: v1alpha1.AgentSpec{
		Model: v1alpha1.ModelConfig{ID: "claude-opus-4-8"},
		Tools: []v1alpha1.Tool{{Custom: &v1alpha1.CustomTool{Name: "t", Description: "d", InputSchema: apiextensionsv1.JSON{Raw: []byte(`{"type":"object"}`)}}}},
	}})
	h.create(t, &v1alpha1.Environment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "env"}})

	h.runSession(ctx, t, "full", "hello", v1alpha1.SessionSucceeded)
	h.postFault(t, `{"kind":"error","status":429,"count":3,"retry_after":"1s","endpoint":"POST /v1/sessions"}`)
	h.runSession(ctx, t, "throttled", "hello again", v1alpha1.SessionSucceeded)
	h.runSession(ctx, t, "doomed", "[[error:terminal]]", v1alpha1.SessionFailed)
	// The scenario is over once nothing changes between two looks; then every figure must agree.
	var families map[string]*dto.MetricFamily
	var stats map[string]float64
	var outputTokens, sessionEvents float64
	for attempt := 0; attempt < 20; attempt++ {
		time.Sleep(time.Second)
		stats, outputTokens, sessionEvents = h.simulatorStats(t), h.remoteOutputTokens(ctx, t), h.sessionEventCount(ctx, t)
		families = h.scrape(t)
		if fmt.Sprint(stats) == fmt.Sprint(h.simulatorStats(t)) && sessionEvents == h.sessionEventCount(ctx, t) {
			break
		}
	}
	checkRequestCounts(t, families, stats)
	expectValue(t, families, "claude_api_rate_limited_total", nil, 3)
	expectValue(t, families, "claude_sessions_launched_total", map[string]string{"namespace": ns}, 3)
	expectValue(t, families, "claude_sessions_finished_total", map[string]string{"namespace": ns, "phase": "Succeeded"}, 2)
	expectValue(t, families, "claude_sessions_finished_total", map[string]string{"namespace": ns, "phase": "Failed"}, 1)
	expectValue(t, families, "claude_sessions", map[string]string{"namespace": ns, "phase": "Succeeded"}, 2)
	expectValue(t, families, "claude_agents", map[string]string{"namespace": ns, "ready": "True"}, 1)
	expectValue(t, families, "claude_sessions_tokens_total", map[string]string{"namespace": ns, "agent": "coder", "type": "output"}, outputTokens)
	expectValue(t, families, "claude_kubernetes_events_total", map[string]string{"source": "session"}, sessionEvents)
	checkCardinality(t, families, h.sessionIDs(ctx, t))
	if strings.Contains(h.manager.Logs(), apiKey) {
		t.Error("the manager's logs contain the API key")
	}
}

// checkRequestCounts compares claude_api_requests_total per operation with the simulator's counts.
func checkRequestCounts(t *testing.T, families map[string]*dto.MetricFamily, stats map[string]float64) {
	t.Helper()
	got := map[string]float64{}
	for _, m := range families["claude_api_requests_total"].GetMetric() {
		got[label(m, "operation")] += m.GetCounter().GetValue()
	}
	for op, n := range stats {
		if got[op] != n {
			t.Errorf("%s: metrics count %v requests, the simulator saw %v", op, got[op], n)
		}
	}
	for op, n := range got {
		if _, ok := stats[op]; !ok {
			t.Errorf("%s: metrics count %v requests the simulator never saw", op, n)
		}
	}
}

// checkCardinality proves labels are bounded: only known label names, and no session id or name.
func checkCardinality(t *testing.T, families map[string]*dto.MetricFamily, forbidden []string) {
	t.Helper()
	allowed := map[string]bool{"operation": true, "status_class": true, "reason": true, "namespace": true, "phase": true,
		"agent": true, "type": true, "kind": true, "source": true, "ready": true,
		// AgentDeployments are named by their users, a bounded set like agents; result is started, succeeded or failed.
		"deployment": true, "result": true}
	for name, f := range families {
		if !strings.HasPrefix(name, "claude_") {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if !allowed[l.GetName()] {
					t.Errorf("%s has unbounded label %q", name, l.GetName())
				}
				for _, bad := range forbidden {
					if strings.Contains(l.GetValue(), bad) {
						t.Errorf("%s label %s=%q carries a per-session value", name, l.GetName(), l.GetValue())
					}
				}
			}
		}
	}
}

func expectValue(t *testing.T, families map[string]*dto.MetricFamily, name string, labels map[string]string, want float64) {
	t.Helper()
	var sum float64
	for _, m := range families[name].GetMetric() {
		if matches(m, labels) {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	if sum != want {
		t.Errorf("%s%v = %v, want %v", name, labels, sum, want)
	}
}

func matches(m *dto.Metric, labels map[string]string) bool {
	for k, v := range labels {
		if label(m, k) != v {
			return false
		}
	}
	return true
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// harness is the control plane, the simulator and the manager as processes.
type harness struct {
	env        *testenv.Env
	k8s        client.Client
	simURL     string
	metricsURL string
	manager    *testenv.Process
}

func startHarness(ctx context.Context, t *testing.T) *harness {
	t.Helper()
	env, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	dir := t.TempDir()
	kubeconfig, err := env.WriteKubeconfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	managerBin, err := testenv.BuildBinary(dir, "./cmd/manager")
	if err != nil {
		t.Fatal(err)
	}
	simBin, err := testenv.BuildBinary(dir, "./cmd/simulator")
	if err != nil {
		t.Fatal(err)
	}
	sim, simURL, err := testenv.StartSimulator(ctx, simBin, "--api-key", apiKey)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Stop(5 * time.Second) })
	metricsAddr := freeAddr(t)
	manager, err := testenv.StartProcess("manager", managerBin, []string{
		"--metrics-bind-address", metricsAddr, "--health-probe-bind-address", "0",
		"--api-base-url", simURL, "--allow-insecure-api-url", "--api-key-secret", ns + "/anthropic",
	}, "KUBECONFIG="+kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		manager.Stop(10 * time.Second)
		if t.Failed() {
			fmt.Fprintln(os.Stderr, manager.Logs())
		}
	})
	return &harness{env: env, k8s: env.Client, simURL: simURL, metricsURL: "http://" + metricsAddr + "/metrics", manager: manager}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func (h *harness) create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := h.k8s.Create(context.Background(), obj); err != nil {
		t.Fatal(err)
	}
}

// runSession creates a Session and waits for its phase.
func (h *harness) runSession(ctx context.Context, t *testing.T, name, prompt string, want v1alpha1.SessionPhase) {
	t.Helper()
	h.create(t, &v1alpha1.Session{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: v1alpha1.SessionSpec{
		AgentRef: &v1alpha1.AgentReference{Name: "coder"}, EnvironmentRef: &v1alpha1.LocalObjectReference{Name: "env"}, Prompt: prompt,
	}})
	var sess v1alpha1.Session
	for ctx.Err() == nil {
		if err := h.k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &sess); err == nil && sess.Status.Phase == want {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("session %s did not reach %s: %+v\n%s", name, want, sess.Status, h.manager.Logs())
}

func (h *harness) postFault(t *testing.T, body string) {
	t.Helper()
	resp, err := http.Post(h.simURL+"/_simulator/faults", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("adding fault: %s %s", resp.Status, b)
	}
}

func (h *harness) simulatorStats(t *testing.T) map[string]float64 {
	t.Helper()
	resp, err := http.Get(h.simURL + "/_simulator/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
		t.Fatal(err)
	}
	counts := raw
	if inner, ok := raw["requests"].(map[string]any); ok {
		counts = inner
	}
	stats := map[string]float64{}
	for k, v := range counts {
		if n, ok := v.(float64); ok && strings.Contains(k, " /v1/") {
			stats[k] = n
		}
	}
	return stats
}

func (h *harness) scrape(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(h.metricsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return families
}

// remoteOutputTokens sums the output tokens of every session as the Sessions' status reports them
// (the status is copied from the simulator's usage).
func (h *harness) remoteOutputTokens(ctx context.Context, t *testing.T) float64 {
	t.Helper()
	var list v1alpha1.SessionList
	if err := h.k8s.List(ctx, &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, s := range list.Items {
		if s.Status.Usage != nil {
			sum += float64(s.Status.Usage.OutputTokens)
		}
	}
	return sum
}

func (h *harness) sessionIDs(ctx context.Context, t *testing.T) []string {
	t.Helper()
	var list v1alpha1.SessionList
	if err := h.k8s.List(ctx, &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range list.Items {
		out = append(out, s.Status.ID, s.Name)
	}
	return out
}

func (h *harness) sessionEventCount(ctx context.Context, t *testing.T) float64 {
	t.Helper()
	var list corev1.EventList
	if err := h.k8s.List(ctx, &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range list.Items {
		if e.Annotations["claude.anthropic.com/event-id"] != "" {
			n++
		}
	}
	return float64(n)
}
