// SPDX-License-Identifier: Apache-2.0

// Command benchdriver is `make bench`: it starts a real kube-apiserver and etcd, the simulator and
// the manager as their own processes, drives Sessions through the Kubernetes API, and measures
// launch latency, event latency, scale, write amplification and the operator's CPU per event
// against an SDK-only baseline, all in one run. It prints a table and writes
// bench/results/latest.md, latest.json and a dated copy. docs/performance.md explains the numbers.
//
//	go run ./bench/cmd/benchdriver            # the full run (make bench)
//	go run ./bench/cmd/benchdriver -smoke     # small sizes (make bench-smoke)
//	go run ./bench/cmd/benchdriver -sandbox   # only the self-hosted sandbox scenario (sandbox.go)
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/bench/internal/proc"
	"github.com/anthropics/managed-agents-operator/internal/scheme"
	"github.com/anthropics/managed-agents-operator/internal/testenv"
)

const (
	namespace = "bench"
	apiKey    = "sk-ant-bench"
)

// config are the sizes of one run.
type config struct {
	Smoke           bool          `json:"smoke"`
	Launch          int           `json:"launch_sessions"`
	Scale           int           `json:"scale_sessions"`
	Rate            float64       `json:"events_per_second"`
	LoadDuration    time.Duration `json:"-"`
	LoadSeconds     float64       `json:"load_seconds"`
	BurstPerSession int           `json:"burst_events_per_session"`
	Steady          time.Duration `json:"-"`
	SteadySeconds   float64       `json:"steady_seconds"`
	Resync          time.Duration `json:"-"`
	ResyncPeriod    string        `json:"resync_period"`
	ManagerArgs     []string      `json:"manager_args"`
	// ManagerBin is a prebuilt manager to measure instead of building ./cmd/manager (to compare two
	// commits in one configuration); PolicyRate is the rate of the Event policy scenario.
	ManagerBin string `json:"manager_bin,omitempty"`
	// CRDDir is the folder of CRD manifests installed; empty is config/crd/bases.
	CRDDir        string   `json:"crd_dir,omitempty"`
	PolicyRate    float64  `json:"policy_events_per_second"`
	SkipScale     bool     `json:"skip_scale,omitempty"`
	SimulatorArgs []string `json:"simulator_args"`
	out           string
	profile       bool
	keep          bool
	// sandbox runs only the self-hosted sandbox scenario, with sandboxSessions Sessions.
	sandbox         bool
	sandboxSessions int
}

func main() {
	cfg := parseFlags()
	ctrllog.SetLogger(zap.New(zap.WriteTo(io.Discard))) // the driver's informers log nothing worth reading
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	runScenarios := run
	if cfg.sandbox {
		runScenarios = runSandbox
	}
	if err := runScenarios(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func parseFlags() config {
	var c config
	var managerArgs, simArgs string
	flag.BoolVar(&c.Smoke, "smoke", false, "small sizes for a quick check (make bench-smoke)")
	flag.IntVar(&c.Launch, "launch", 200, "Sessions created at once in the launch scenario")
	flag.IntVar(&c.Scale, "scale", 1000, "concurrent active Sessions in the scale scenario")
	flag.Float64Var(&c.Rate, "rate", 1000, "total events per second the simulator emits in the load scenarios")
	flag.DurationVar(&c.LoadDuration, "load", 30*time.Second, "how long each load runs")
	flag.IntVar(&c.BurstPerSession, "burst", 50, "events per Session in the one-second burst")
	flag.DurationVar(&c.Steady, "steady", 60*time.Second, "steady-state window with no changes")
	flag.DurationVar(&c.Resync, "resync", 2*time.Second, "the manager's --resync-period during the run")
	flag.StringVar(&managerArgs, "manager-args", "", "extra manager flags, space separated (they override the bench defaults)")
	flag.StringVar(&simArgs, "simulator-args", "", "extra simulator flags, space separated")
	flag.StringVar(&c.ManagerBin, "manager-bin", "", "a prebuilt manager binary to measure instead of building ./cmd/manager (for before/after comparisons)")
	flag.StringVar(&c.CRDDir, "crds", "", "the CRD manifests to install (default config/crd/bases); with -manager-bin, those of the commit it was built from")
	flag.Float64Var(&c.PolicyRate, "policy-rate", 500, "events per second of the Event policy scenario (the same load under each spec.eventPolicy)")
	flag.BoolVar(&c.SkipScale, "skip-scale", false, "skip the 1,000-session scale and steady-state scenarios (for an overloaded machine)")
	flag.StringVar(&c.out, "out", filepath.Join(testenv.RepoRoot(), "bench", "results"), "results folder")
	flag.BoolVar(&c.profile, "profile", false, "save CPU and heap profiles of the manager under the scale load next to the results")
	flag.BoolVar(&c.keep, "keep", false, "keep the run folder (logs) after a successful run")
	flag.BoolVar(&c.sandbox, "sandbox", false, "run only the self-hosted sandbox scenario (writes sandbox-latest.{json,md})")
	flag.IntVar(&c.sandboxSessions, "sandbox-sessions", 50, "self-hosted Sessions created at once in the sandbox scenario")
	flag.Parse()
	if c.Smoke {
		c.Launch, c.Scale, c.Rate, c.LoadDuration, c.BurstPerSession, c.Steady, c.Resync = 20, 50, 200, 5*time.Second, 20, 10*time.Second, time.Second
		c.PolicyRate = 100
	}
	c.ManagerArgs, c.SimulatorArgs = strings.Fields(managerArgs), strings.Fields(simArgs)
	c.LoadSeconds, c.SteadySeconds, c.ResyncPeriod = c.LoadDuration.Seconds(), c.Steady.Seconds(), c.Resync.String()
	c.Scale = max(c.Scale, c.Launch)
	return c
}

// runner holds the processes and clients of one run.
type runner struct {
	cfg  config
	dir  string
	env  *testenv.Env
	k8s  client.Client
	obs  *observer
	sim  *testenv.Process
	mgr  *testenv.Process
	base *testenv.Process

	simURL, metricsURL, pprofURL, baselineURL string
	apiserverHTTP                             *http.Client
	apiserverMetricsURL, etcdMetricsURL       string
	// policy is the Sessions' spec.eventPolicy while the policy scenario runs.
	policy                v1alpha1.EventPolicy
	apiserverPid, etcdPid int
	baselineBin           string
}

// pids are the processes whose CPU is measured.
func (r *runner) pids() map[string]int {
	out := map[string]int{}
	for name, p := range map[string]*testenv.Process{"manager": r.mgr, "simulator": r.sim, "baseline": r.base} {
		if p != nil && !p.Exited() {
			out[name] = p.Pid()
		}
	}
	if r.apiserverPid > 0 {
		out["kube-apiserver"] = r.apiserverPid
	}
	if r.etcdPid > 0 {
		out["etcd"] = r.etcdPid
	}
	out["driver"] = os.Getpid()
	return out
}

func run(ctx context.Context, cfg config) (err error) {
	started := time.Now()
	load0, cpus := proc.LoadAverage()
	logf("bench: %d CPUs, load average %.2f; sizes: launch %d, scale %d, %.0f events/s for %s, steady %s (resync %s)",
		cpus, load0, cfg.Launch, cfg.Scale, cfg.Rate, cfg.LoadDuration, cfg.Steady, cfg.Resync)
	r := &runner{cfg: cfg, obs: newObserver()}
	var removeDir func(*error)
	if r.dir, removeDir, err = runDir("bench-", cfg.keep); err != nil {
		return err
	}
	defer removeDir(&err)
	defer r.stopAll()
	if err := r.setup(ctx); err != nil {
		return err
	}
	res := &results{Config: r.cfg}
	res.Machine.CPUs, res.Machine.LoadBefore = cpus, load0
	if err := r.scenarios(ctx, res); err != nil {
		if tail := r.mgr.Tail(40); tail != "" {
			fmt.Fprintf(os.Stderr, "manager log (last lines):\n%s\n", tail)
		}
		return err
	}
	res.Machine.LoadAfter, _ = proc.LoadAverage()
	res.Machine.WallSeconds = time.Since(started).Seconds()
	return r.report(res)
}

// setup starts the control plane, builds and starts the simulator and the manager, and creates the
// namespace, API key Secret, Agent and Environment every Session uses.
func (r *runner) setup(ctx context.Context) error {
	t0 := time.Now()
	type built struct {
		path string
		err  error
	}
	builds := map[string]chan built{}
	for _, pkg := range []string{"./cmd/manager", "./cmd/simulator", "./bench/cmd/baseline"} {
		ch := make(chan built, 1)
		builds[pkg] = ch
		if pkg == "./cmd/manager" && r.cfg.ManagerBin != "" {
			ch <- built{r.cfg.ManagerBin, nil}
			continue
		}
		go func() {
			p, err := testenv.BuildBinary(r.dir, pkg)
			ch <- built{p, err}
		}()
	}
	env, err := testenv.StartWith(testenv.Options{CRDDir: r.cfg.CRDDir})
	if err != nil {
		return err
	}
	r.env = env
	r.apiserverPid, r.etcdPid = proc.FindChild(os.Getpid(), "kube-apiserver"), proc.FindChild(os.Getpid(), "etcd")
	r.etcdMetricsURL = etcdMetricsURL(r.etcdPid)
	bins := map[string]string{}
	for pkg, ch := range builds {
		b := <-ch
		if b.err != nil {
			return b.err
		}
		bins[pkg] = b.path
	}
	logf("bench: control plane up and binaries built in %s", time.Since(t0).Round(time.Millisecond))

	kcfg := rest.CopyConfig(env.Config)
	kcfg.QPS, kcfg.Burst = 5000, 5000
	if r.k8s, err = client.New(kcfg, client.Options{Scheme: scheme.New()}); err != nil {
		return err
	}
	if r.apiserverHTTP, r.apiserverMetricsURL, err = apiserverClient(env.Config); err != nil {
		return err
	}
	kubeconfig, err := env.WriteKubeconfig(r.dir)
	if err != nil {
		return err
	}

	simArgs := append([]string{"--addr", "127.0.0.1:0", "--api-key", apiKey}, r.cfg.SimulatorArgs...)
	if r.sim, err = testenv.StartLoggedProcess(filepath.Join(r.dir, "simulator.log"), "simulator", bins["./cmd/simulator"], simArgs); err != nil {
		return err
	}
	startCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	line, err := r.sim.WaitForLine(startCtx, "listening on ")
	if err != nil {
		return err
	}
	r.simURL = strings.TrimSpace(line[strings.Index(line, "listening on ")+len("listening on "):])

	metricsAddr, pprofAddr := freeAddr(), freeAddr()
	r.metricsURL, r.pprofURL = "http://"+metricsAddr+"/metrics", "http://"+pprofAddr
	args := []string{
		"--metrics-bind-address", metricsAddr, "--health-probe-bind-address", "0", "--pprof-bind-address", pprofAddr,
		"--api-base-url", r.simURL, "--allow-insecure-api-url", "--api-key-secret", namespace + "/anthropic",
		"--resync-period", r.cfg.Resync.String(),
		// The simulator applies no rate limit; the hosted API allows about 10 requests/s per key,
		// which is the default. See docs/performance.md.
		"--api-qps", "1000", "--api-burst", "1000",
		"--kube-api-qps", "1000", "--kube-api-burst", "2000",
		"--session-concurrency", "16",
	}
	args = append(args, r.cfg.ManagerArgs...)
	r.cfg.ManagerArgs = args
	if r.mgr, err = testenv.StartLoggedProcess(filepath.Join(r.dir, "manager.log"), "manager", bins["./cmd/manager"], args, "KUBECONFIG="+kubeconfig); err != nil {
		return err
	}
	if err := r.obs.start(ctx, env.Config, namespace); err != nil {
		return err
	}
	if err := r.createFixtures(ctx); err != nil {
		return err
	}
	r.baselineBin = bins["./bench/cmd/baseline"]
	logf("bench: manager, simulator, Agent and Environment ready after %s", time.Since(t0).Round(time.Millisecond))
	return nil
}

func (r *runner) stopAll() {
	r.base.Stop(5 * time.Second)
	r.mgr.Stop(10 * time.Second)
	r.sim.Stop(5 * time.Second)
	if r.env != nil {
		_ = r.env.Stop()
	}
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// gitCommit is the commit the run measured, and whether the tree had local changes.
func gitCommit() (string, bool) {
	root := testenv.RepoRoot()
	out, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
	if err != nil {
		return "unknown", false
	}
	status, _ := exec.Command("git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output()
	return strings.TrimSpace(string(out)), len(strings.TrimSpace(string(status))) > 0
}

// runDir makes the folder of one run's logs. Its remove keeps it when the run failed (the logs
// are what explains the failure) or when -keep asks for it, and says where it is.
func runDir(prefix string, keep bool) (dir string, remove func(runErr *error), err error) {
	dir, err = os.MkdirTemp("", prefix)
	if err != nil {
		return "", nil, err
	}
	return dir, func(runErr *error) {
		if *runErr != nil || keep {
			logf("bench: logs kept in %s", dir)
			return
		}
		_ = os.RemoveAll(dir)
	}, nil
}
