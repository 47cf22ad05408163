// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/bench/internal/proc"
	"github.com/anthropics/managed-agents-operator/bench/internal/stats"
	"github.com/anthropics/managed-agents-operator/internal/sandbox"
	"github.com/anthropics/managed-agents-operator/internal/scheme"
	"github.com/anthropics/managed-agents-operator/internal/simulator"
	"github.com/anthropics/managed-agents-operator/internal/testenv"
	"github.com/anthropics/managed-agents-operator/test/processnode"
)

// The sandbox scenario (-sandbox): N Sessions on a SelfHosted Environment at once, each running one
// bash command in its own sandbox Pod on a process node (test/processnode, a stand-in for the
// kubelet that runs containers as local processes, so image pulls and container start-up cost
// nothing here). It measures, per Session, claim → sandbox Pod Running → first tool result, and the
// operator's CPU and memory per sandbox. It has its own control plane and writes
// bench/results/sandbox-latest.{json,md}; the main run's report is untouched.
const (
	sandboxRunnerImage = "managed-agents-operator:bench"
	sandboxEnvKey      = "simenvkey_bench"
	sandboxEnvName     = "sandboxes"
)

// sandboxResult is sandbox-latest.json.
type sandboxResult struct {
	Commit   string  `json:"commit"`
	Dirty    bool    `json:"dirty"`
	Date     string  `json:"date"`
	CPUs     int     `json:"cpus"`
	Load     float64 `json:"load_average_before"`
	Sessions int     `json:"sessions"`
	// AllToolResultsSeconds is from the first create to the last session's first tool result.
	AllToolResultsSeconds float64 `json:"all_first_tool_results_seconds"`
	// CreateToClaim is the wait in the work queue (the launch, then the dispatcher's claim).
	CreateToClaim stats.Summary `json:"create_to_claim"`
	// ClaimToStarted is the claimed-at annotation to the runner's first log line in the sandbox
	// container (scheduling, the init container copying the runner, the container starting).
	ClaimToStarted stats.Summary `json:"claim_to_sandbox_started"`
	// StartedToToolResult is the runner's first log line to the API receiving the first
	// user.tool_result (the runner continuing the lease, fetching the tool call, running it).
	StartedToToolResult stats.Summary `json:"sandbox_started_to_first_tool_result"`
	// ClaimToRunningSeen is the claim to a watching client seeing the Pod's phase Running: what
	// `kubectl get pods -w` shows, later than the container's start by the status round trip.
	ClaimToRunningSeen stats.Summary `json:"claim_to_pod_running_seen"`
	// ClaimToToolResult is the claim to the first tool result.
	ClaimToToolResult stats.Summary `json:"claim_to_first_tool_result"`
	// The operator's (manager's) cost: CPU from the first create until every sandbox Pod is gone,
	// and its resident memory above what it used before the sessions, at the peak.
	ManagerCPUSeconds          float64 `json:"manager_cpu_seconds"`
	ManagerCPUPerSandbox       float64 `json:"manager_cpu_seconds_per_sandbox"`
	ManagerRSSBeforeMiB        float64 `json:"manager_rss_before_mib"`
	ManagerPeakRSSMiB          float64 `json:"manager_peak_rss_mib"`
	ManagerRSSPerSandboxMiB    float64 `json:"manager_rss_per_sandbox_mib"`
	RunnerPeakRSSPerSandboxMiB float64 `json:"runner_peak_rss_per_sandbox_mib"`
	PeakConcurrentPods         int     `json:"peak_concurrent_sandbox_pods"`
	Pods                       int     `json:"sandbox_pods_created"`
}

// podObs is what the driver saw of a session's first sandbox Pod.
type podObs struct {
	claimed time.Time // the Pod's claimed-at annotation
	running time.Time // phase Running first seen through the watch
	// started is the time of the runner's first log line, which the process node (in this process)
	// stamps as it reads the container's output: when the sandbox container really began its work.
	started time.Time
}

// sandboxRun holds the processes and clients of the sandbox scenario.
type sandboxRun struct {
	cfg                  config
	dir                  string
	env                  *testenv.Env
	k8s                  client.Client
	sim, mgr             *testenv.Process
	simURL               string
	mu                   sync.Mutex
	pods                 map[string]*podObs // by remote session id
	live, peakLive, seen int
}

func runSandbox(ctx context.Context, cfg config) (err error) {
	load, cpus := proc.LoadAverage()
	logf("sandbox: %d CPUs, load average %.2f; %d self-hosted Sessions at once", cpus, load, cfg.sandboxSessions)
	r := &sandboxRun{cfg: cfg, pods: map[string]*podObs{}}
	var removeDir func(*error)
	if r.dir, removeDir, err = runDir("bench-sandbox-", cfg.keep); err != nil {
		return err
	}
	defer removeDir(&err)
	defer r.stop()
	if err := r.setup(ctx); err != nil {
		return err
	}
	res := &sandboxResult{CPUs: cpus, Load: load, Sessions: cfg.sandboxSessions, Date: time.Now().UTC().Format(time.RFC3339)}
	res.Commit, res.Dirty = gitCommit()
	if err := r.measure(ctx, res); err != nil {
		if r.mgr != nil {
			fmt.Fprintf(os.Stderr, "manager log (last lines):\n%s\n", r.mgr.Tail(40))
		}
		return err
	}
	return r.report(res)
}

// setup builds the binaries (the runner into the directory that stands in for the operator's
// image), starts a control plane with kube-scheduler and a process node, the simulator and the
// manager, and creates the namespace, the keys, the Agent and the SelfHosted Environment.
func (r *sandboxRun) setup(ctx context.Context) error {
	t0 := time.Now()
	imageDir := filepath.Join(r.dir, "image")
	bins := map[string]string{}
	for pkg, dir := range map[string]string{"./cmd/manager": r.dir, "./cmd/simulator": r.dir, "./cmd/sandbox-runner": imageDir} {
		p, err := testenv.BuildBinary(dir, pkg)
		if err != nil {
			return err
		}
		bins[pkg] = p
	}
	env, err := testenv.StartWith(testenv.Options{ProcessNode: &processnode.Config{ImageRoots: map[string]string{sandboxRunnerImage: imageDir}}})
	if err != nil {
		return err
	}
	r.env = env
	kcfg := rest.CopyConfig(env.Config)
	kcfg.QPS, kcfg.Burst = 1000, 1000
	if r.k8s, err = client.New(kcfg, client.Options{Scheme: scheme.New()}); err != nil {
		return err
	}
	kubeconfig, err := env.WriteKubeconfig(r.dir)
	if err != nil {
		return err
	}
	r.sim, err = testenv.StartLoggedProcess(filepath.Join(r.dir, "simulator.log"), "simulator", bins["./cmd/simulator"],
		[]string{"--addr", "127.0.0.1:0", "--api-key", apiKey, "--environment-key", sandboxEnvKey})
	if err != nil {
		return err
	}
	startCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	line, err := r.sim.WaitForLine(startCtx, "listening on ")
	if err != nil {
		return err
	}
	r.simURL = strings.TrimSpace(line[strings.Index(line, "listening on ")+len("listening on "):])
	args := append([]string{"--metrics-bind-address", "0", "--health-probe-bind-address", "0",
		"--api-base-url", r.simURL, "--allow-insecure-api-url", "--api-key-secret", namespace + "/anthropic",
		"--api-qps", "1000", "--api-burst", "1000", "--kube-api-qps", "1000", "--kube-api-burst", "2000",
		"--session-concurrency", "16", "--sandbox-runner-image", sandboxRunnerImage}, r.cfg.ManagerArgs...)
	if r.mgr, err = testenv.StartLoggedProcess(filepath.Join(r.dir, "manager.log"), "manager", bins["./cmd/manager"], args, "KUBECONFIG="+kubeconfig); err != nil {
		return err
	}
	if err := r.watchPods(ctx, env.Config); err != nil {
		return err
	}
	if err := r.createFixtures(ctx); err != nil {
		return err
	}
	logf("sandbox: control plane, process node, simulator and manager ready after %s", time.Since(t0).Round(time.Millisecond))
	return nil
}

func (r *sandboxRun) createFixtures(ctx context.Context) error {
	objs := []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "anthropic"}, Data: map[string][]byte{"api-key": []byte(apiKey)}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "env-key"},
			Data: map[string][]byte{v1alpha1.DefaultEnvironmentKeySecretKey: []byte(sandboxEnvKey)}},
		&v1alpha1.Agent{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "coder"}, Spec: v1alpha1.AgentSpec{
			Model: v1alpha1.ModelConfig{ID: "claude-opus-4-8"}, Tools: []v1alpha1.Tool{{AgentToolset: &v1alpha1.AgentToolset{}}}}},
		&v1alpha1.Environment{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: sandboxEnvName}, Spec: v1alpha1.EnvironmentSpec{
			Type: v1alpha1.EnvironmentTypeSelfHosted, SelfHosted: &v1alpha1.SelfHostedEnvironment{
				EnvironmentKeySecretRef: v1alpha1.SecretKeyReference{Name: "env-key"},
				SandboxTemplate:         v1alpha1.SandboxTemplate{Image: "ubuntu:24.04"},
				MaxConcurrentSandboxes:  int32(max(r.cfg.sandboxSessions, 1)), IdleTimeoutSeconds: 1,
			}}},
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
		if err := r.k8s.Get(ctx, client.ObjectKey{Namespace: namespace, Name: sandboxEnvName}, &e); err != nil {
			return false, err
		}
		return meta.IsStatusConditionTrue(a.Status.Conditions, v1alpha1.ConditionReady) &&
			meta.IsStatusConditionTrue(e.Status.Conditions, v1alpha1.ConditionReady), nil
	})
}

// watchPods records, for each session's first sandbox Pod, its claim time and when it was first
// seen Running, and counts the sandbox Pods that exist.
func (r *sandboxRun) watchPods(ctx context.Context, cfg *rest.Config) error {
	sel := labels.SelectorFromSet(labels.Set{sandbox.LabelComponent: sandbox.ComponentSandbox})
	c, err := cache.New(cfg, cache.Options{Scheme: scheme.New(), DefaultNamespaces: map[string]cache.Config{namespace: {}},
		ByObject: map[client.Object]cache.ByObject{&corev1.Pod{}: {Label: sel}}})
	if err != nil {
		return err
	}
	inf, err := c.GetInformer(ctx, &corev1.Pod{})
	if err != nil {
		return err
	}
	if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { r.podChanged(obj, 1) },
		UpdateFunc: func(_, obj any) { r.podChanged(obj, 0) },
		DeleteFunc: func(any) { r.podChanged(nil, -1) },
	}); err != nil {
		return err
	}
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		return ctx.Err()
	}
	return nil
}

func (r *sandboxRun) podChanged(obj any, delta int) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.live += delta
	r.peakLive = max(r.peakLive, r.live)
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	id := pod.Labels[sandbox.LabelSessionID]
	o := r.pods[id]
	if o == nil {
		claimed, err := time.Parse(time.RFC3339Nano, pod.Annotations[sandbox.AnnotationClaimedAt])
		if err != nil {
			return
		}
		o = &podObs{claimed: claimed}
		r.pods[id] = o
		r.seen++
	}
	if o.running.IsZero() && pod.Status.Phase == corev1.PodRunning {
		o.running = now
		go r.readStart(o, r.env.Node.LogPath(pod.UID, sandbox.ContainerSandbox, 0))
	}
}

// readStart waits up to 10 s for the runner's first log line (the watch can report Running before
// the runner has written anything) and records its time.
func (r *sandboxRun) readStart(o *podObs, path string) {
	for range 200 {
		if t := firstLogLine(path); !t.IsZero() {
			r.mu.Lock()
			o.started = t
			r.mu.Unlock()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// firstLogLine is the time stamp of the first line of a CRI log file, or zero.
func firstLogLine(path string) time.Time {
	f, err := os.Open(path)
	if err != nil {
		return time.Time{}
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString(' ')
	t, _ := time.Parse(time.RFC3339Nano, strings.TrimSpace(line))
	return t
}

// measure creates the Sessions at once, samples the manager's memory and the runners' until every
// session has its first tool result and every sandbox Pod is gone, then computes the figures.
func (r *sandboxRun) measure(ctx context.Context, res *sandboxResult) error {
	time.Sleep(2 * time.Second) // let the manager's start-up work settle before the baseline
	cpu0, _ := proc.CPUSeconds(r.mgr.Pid())
	mem0, _ := proc.ReadMemory(r.mgr.Pid())
	created, err := r.createSessions(ctx)
	if err != nil {
		return err
	}
	start := time.Now()
	sampler := startSampler(ctx, r.mgr.Pid())
	results := map[string]time.Time{} // by session name: the first tool result's processed_at
	err = r.waitFor(ctx, "every session's first tool result", 5*time.Minute, func() (bool, error) {
		return r.firstToolResults(ctx, results), nil
	})
	if err != nil {
		return err
	}
	res.AllToolResultsSeconds = round(time.Since(start).Seconds())
	logf("sandbox: %d first tool results after %.1fs; waiting for the sandbox Pods to go", len(results), res.AllToolResultsSeconds)
	err = r.waitFor(ctx, "every sandbox Pod gone", 3*time.Minute, func() (bool, error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.live == 0, nil
	})
	if err != nil {
		return err
	}
	cpu1, _ := proc.CPUSeconds(r.mgr.Pid())
	peak, runnerPeak := sampler.stop()
	r.summarize(ctx, res, created, results)
	n := float64(res.Sessions)
	res.ManagerCPUSeconds = round(cpu1 - cpu0)
	res.ManagerCPUPerSandbox = round((cpu1 - cpu0) / n)
	res.ManagerRSSBeforeMiB, res.ManagerPeakRSSMiB = mib(mem0.RSS), mib(peak)
	res.ManagerRSSPerSandboxMiB = round(mib(peak-mem0.RSS) / n)
	res.RunnerPeakRSSPerSandboxMiB = round(runnerPeak)
	return nil
}

// createSessions creates the Sessions at once; each runs one bash command in its sandbox.
func (r *sandboxRun) createSessions(ctx context.Context) (map[string]time.Time, error) {
	created := make(map[string]time.Time, r.cfg.sandboxSessions)
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, r.cfg.sandboxSessions)
	for i := range r.cfg.sandboxSessions {
		name := fmt.Sprintf("sb-%03d", i)
		wg.Go(func() {
			sess := &v1alpha1.Session{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}, Spec: v1alpha1.SessionSpec{
				AgentRef: &v1alpha1.AgentReference{Name: "coder"}, EnvironmentRef: &v1alpha1.LocalObjectReference{Name: sandboxEnvName},
				Prompt: fmt.Sprintf("[[bash:echo sandbox %d; uname -s]]", i),
			}}
			mu.Lock()
			created[name] = time.Now()
			mu.Unlock()
			if err := r.k8s.Create(ctx, sess); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	return created, <-errs
}

// firstToolResults fills results with the processed_at of each session's first user.tool_result
// (the sandbox's answer reaching the API) and reports whether every session has one.
func (r *sandboxRun) firstToolResults(ctx context.Context, results map[string]time.Time) bool {
	var list v1alpha1.SessionList
	if err := r.k8s.List(ctx, &list, client.InNamespace(namespace)); err != nil {
		return false
	}
	for _, s := range list.Items {
		if _, done := results[s.Name]; done || s.Status.ID == "" {
			continue
		}
		if at, ok := r.firstToolResult(ctx, s.Status.ID); ok {
			results[s.Name] = at
		}
	}
	return len(results) == r.cfg.sandboxSessions
}

func (r *sandboxRun) firstToolResult(ctx context.Context, sessionID string) (time.Time, bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.simURL+"/v1/sessions/"+sessionID+"/events?order=asc&limit=1&types[]=user.tool_result", nil)
	if err != nil {
		return time.Time{}, false
	}
	req.Header.Set("x-api-key", apiKey)
	req.Header.Set("anthropic-beta", simulator.BetaHeader)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return time.Time{}, false
	}
	defer resp.Body.Close()
	var page struct {
		Data []struct {
			ProcessedAt time.Time `json:"processed_at"`
		} `json:"data"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&page) != nil || len(page.Data) == 0 {
		return time.Time{}, false
	}
	return page.Data[0].ProcessedAt, true
}

// summarize turns the observations into the latency distributions.
func (r *sandboxRun) summarize(ctx context.Context, res *sandboxResult, created, results map[string]time.Time) {
	var list v1alpha1.SessionList
	_ = r.k8s.List(ctx, &list, client.InNamespace(namespace))
	r.mu.Lock()
	defer r.mu.Unlock()
	res.PeakConcurrentPods, res.Pods = r.peakLive, r.seen
	var toClaim, toStarted, toResult, claimToResult, toSeen []time.Duration
	missing := 0
	for _, s := range list.Items {
		o, result := r.pods[s.Status.ID], results[s.Name]
		if o == nil || o.started.IsZero() || result.IsZero() {
			missing++
			continue
		}
		toClaim = append(toClaim, o.claimed.Sub(created[s.Name]))
		toStarted = append(toStarted, o.started.Sub(o.claimed))
		toResult = append(toResult, result.Sub(o.started))
		claimToResult = append(claimToResult, result.Sub(o.claimed))
		toSeen = append(toSeen, o.running.Sub(o.claimed))
	}
	res.CreateToClaim, res.ClaimToStarted = stats.Summarize(toClaim, missing), stats.Summarize(toStarted, missing)
	res.StartedToToolResult, res.ClaimToToolResult = stats.Summarize(toResult, missing), stats.Summarize(claimToResult, missing)
	res.ClaimToRunningSeen = stats.Summarize(toSeen, missing)
}

func (r *sandboxRun) report(res *sandboxResult) error {
	data, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	md := sandboxMarkdown(res)
	fmt.Print(md)
	if err := os.MkdirAll(r.cfg.out, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(r.cfg.out, "sandbox-latest.json"), append(data, '\n'), 0o644); err != nil { //nolint:gosec // a results file, world-readable on purpose
		return err
	}
	return os.WriteFile(filepath.Join(r.cfg.out, "sandbox-latest.md"), []byte(md), 0o644) //nolint:gosec // a results file
}

func sandboxMarkdown(res *sandboxResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Self-hosted sandboxes: %d Sessions at once\n\n", res.Sessions)
	fmt.Fprintf(&b, "Commit %s (dirty: %v), %s, %d CPUs, load average %.2f before. Sandbox Pods run on a process node\n"+
		"(containers as local processes: no image pulls, no container runtime), so Pod start-up here is the\n"+
		"control plane's and the operator's share only.\n\n", shortCommit(res.Commit), res.Dirty, res.Date, res.CPUs, res.Load)
	b.WriteString("| latency (ms) | p50 | p99 | max | samples |\n|---|---|---|---|---|\n")
	for _, row := range []struct {
		name string
		s    stats.Summary
	}{
		{"Session created → work item claimed", res.CreateToClaim},
		{"claim → sandbox container running (the runner's first log line)", res.ClaimToStarted},
		{"sandbox container running → first tool result at the API", res.StartedToToolResult},
		{"claim → first tool result", res.ClaimToToolResult},
		{"claim → Pod Running seen by a watching client", res.ClaimToRunningSeen},
	} {
		fmt.Fprintf(&b, "| %s | %.0f | %.0f | %.0f | %d (missing %d) |\n", row.name, row.s.P50, row.s.P99, row.s.Max, row.s.Count, row.s.Missing)
	}
	fmt.Fprintf(&b, "\nAll %d first tool results within %.1f s; %d sandbox Pods, at most %d at once.\n\n", res.Sessions, res.AllToolResultsSeconds, res.Pods, res.PeakConcurrentPods)
	b.WriteString("| operator cost | value |\n|---|---|\n")
	fmt.Fprintf(&b, "| manager CPU, first create until every Pod is gone | %.2f s (%.3f s per sandbox) |\n", res.ManagerCPUSeconds, res.ManagerCPUPerSandbox)
	fmt.Fprintf(&b, "| manager RSS before → peak | %.1f → %.1f MiB (%.2f MiB per sandbox) |\n", res.ManagerRSSBeforeMiB, res.ManagerPeakRSSMiB, res.ManagerRSSPerSandboxMiB)
	fmt.Fprintf(&b, "| sandbox runner RSS (in each sandbox Pod, peak average) | %.1f MiB |\n", res.RunnerPeakRSSPerSandboxMiB)
	return b.String()
}

func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}

// waitFor is the main run's waitFor: poll until cond holds, the timeout passes or the manager exits.
func (r *sandboxRun) waitFor(ctx context.Context, what string, timeout time.Duration, cond func() (bool, error)) error {
	return (&runner{mgr: r.mgr}).waitFor(ctx, what, timeout, cond)
}

func (r *sandboxRun) stop() {
	r.mgr.Stop(10 * time.Second)
	r.sim.Stop(5 * time.Second)
	if r.env != nil {
		_ = r.env.Stop()
	}
}
