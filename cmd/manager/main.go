// SPDX-License-Identifier: Apache-2.0

// Command manager runs the managed-agents-operator: the controllers that reconcile Agent,
// Environment and Session resources against the Claude Managed Agents API.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/anthropics/managed-agents-operator/internal/controller"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/scheme"
	"github.com/anthropics/managed-agents-operator/internal/version"
)

// leaderElectionID names the Lease that replicas compete for.
const leaderElectionID = "managed-agents-operator.claude.anthropic.com"

func main() {
	if err := run(); err != nil {
		ctrl.Log.WithName("setup").Error(err, "Manager exited with an error")
		os.Exit(1)
	}
}

// options are the manager's command-line flags.
type options struct {
	metricsAddr        string
	probeAddr          string
	leaderElect        bool
	leaderElectionNS   string
	watchNamespaces    string
	apiBaseURL         string
	allowInsecureURL   bool
	apiKeySecret       string
	resyncPeriod       time.Duration
	agentWorkers       int
	environmentWorkers int
	sessionWorkers     int
	kubeQPS            float64
	kubeBurst          int
	apiQPS             float64
	statusInterval     time.Duration
	statusIntervalMax  time.Duration
	outcomeGrace       time.Duration
	deleteTimeout      time.Duration
	eventPolicy        string
	apiBurst           int
	pprofAddr          string
	sandbox            sandboxFlags
	deploymentPoll     time.Duration
	printVersion       bool
	zap                zap.Options
}

func parseFlags() options {
	var o options
	flag.StringVar(&o.metricsAddr, "metrics-bind-address", ":8080", "Address the metrics endpoint binds to; \"0\" disables it.")
	flag.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081", "Address the health and readiness probes bind to.")
	flag.BoolVar(&o.leaderElect, "leader-elect", false, "Elect a leader so that only one replica reconciles at a time.")
	flag.StringVar(&o.leaderElectionNS, "leader-election-namespace", "", "Namespace of the leader election Lease; empty uses the pod's namespace (required outside a cluster).")
	flag.StringVar(&o.watchNamespaces, "watch-namespaces", "", "Comma-separated namespaces to watch; empty watches all.")
	flag.StringVar(&o.apiBaseURL, "api-base-url", os.Getenv("ANTHROPIC_BASE_URL"), "Base URL of the Managed Agents API; empty uses the SDK's default. Defaults to $ANTHROPIC_BASE_URL.")
	flag.BoolVar(&o.allowInsecureURL, "allow-insecure-api-url", false, "Allow a plain http:// --api-base-url (a local simulator). API keys then cross the network unencrypted.")
	flag.StringVar(&o.apiKeySecret, "api-key-secret", "", "Default API key Secret as NAMESPACE/NAME (key \"api-key\"); objects may override it with spec.apiKeySecretRef.")
	flag.DurationVar(&o.resyncPeriod, "resync-period", 10*time.Minute, "How often each object is compared with its remote twin to detect out-of-band changes; 0 means never (only spec changes are applied).")
	flag.IntVar(&o.agentWorkers, "agent-concurrency", 2, "Parallel reconciles of Agents.")
	flag.IntVar(&o.environmentWorkers, "environment-concurrency", 2, "Parallel reconciles of Environments.")
	flag.IntVar(&o.sessionWorkers, "session-concurrency", 8, "Parallel reconciles of Sessions.")
	flag.Float64Var(&o.kubeQPS, "kube-api-qps", 100, "Requests per second to the Kubernetes API (status writes and Events).")
	flag.IntVar(&o.kubeBurst, "kube-api-burst", 200, "Burst of requests to the Kubernetes API.")
	flag.DurationVar(&o.statusInterval, "status-interval", time.Second, "Coalesce a Session's status writes driven by its event stream to at most one per interval; phase changes are written at once.")
	flag.DurationVar(&o.statusIntervalMax, "status-interval-max", 10*time.Second, "How far the status interval may back off while the API server answers status patches slowly; equal to --status-interval keeps it fixed.")
	flag.DurationVar(&o.outcomeGrace, "session-outcome-grace", controller.DefaultOutcomeGrace, "How long an idle Session waits for the grader's verdict on spec.outcome before it ends without one (OutcomeMet reason NotEvaluated).")
	flag.DurationVar(&o.deleteTimeout, "session-delete-timeout", controller.DefaultDeleteTimeout, "How long deleting a running Session waits for the interrupted remote session to go idle before it is deleted or archived anyway.")
	flag.StringVar(&o.eventPolicy, "session-event-policy", "all", "Which session events become Kubernetes Events when a Session sets no spec.eventPolicy: all, messages (messages, turn ends, errors, pending actions) or none (status only).")
	flag.Float64Var(&o.apiQPS, "api-qps", 10, "Requests per second to the Managed Agents API, per API key (shared by every controller and stream).")
	flag.IntVar(&o.apiBurst, "api-burst", 20, "Burst of requests to the Managed Agents API, per API key.")
	flag.StringVar(&o.pprofAddr, "pprof-bind-address", "", "Address that serves net/http/pprof (for example 127.0.0.1:6060); empty disables it.")
	flag.BoolVar(&o.printVersion, "version", false, "Print the version and exit.")
	flag.DurationVar(&o.deploymentPoll, "deployment-poll-interval", controller.DefaultDeploymentPollInterval, "How often each AgentDeployment's runs are looked for between schedule times; runs started outside the operator show within it.")
	o.sandbox.bind(flag.CommandLine)
	o.zap.BindFlags(flag.CommandLine)
	flag.Parse()
	return o
}

// parseSecretRef parses NAMESPACE/NAME.
func parseSecretRef(s string) (types.NamespacedName, error) {
	if s == "" {
		return types.NamespacedName{}, nil
	}
	ns, name, ok := strings.Cut(s, "/")
	if !ok || ns == "" || name == "" {
		return types.NamespacedName{}, fmt.Errorf("--api-key-secret must be NAMESPACE/NAME, got %q", s)
	}
	return types.NamespacedName{Namespace: ns, Name: name}, nil
}

// checkAPIBaseURL accepts an empty URL (the SDK's https default) or an absolute https URL. Plain
// http sends the API key in clear text, so it needs --allow-insecure-api-url.
func checkAPIBaseURL(raw string, allowInsecure bool) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return errors.New("--api-base-url is not an absolute URL such as https://api.anthropic.com")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if allowInsecure {
			return nil
		}
		return fmt.Errorf("--api-base-url %q uses plain http, which would send the API key unencrypted: use https, "+
			"or pass --allow-insecure-api-url for a local simulator", u.Redacted())
	default:
		return fmt.Errorf("--api-base-url %q has scheme %q; only https (or http with --allow-insecure-api-url) is supported", u.Redacted(), u.Scheme)
	}
}

// checkResyncPeriod accepts 0 (never) or a period of at least a second: a shorter one would compare
// every object with the API several times a second.
func checkResyncPeriod(d time.Duration) error {
	if d == 0 || d >= time.Second {
		return nil
	}
	return fmt.Errorf("--resync-period must be 0 (never compare unchanged objects) or at least 1s, got %s", d)
}

// splitNamespaces parses --watch-namespaces: comma-separated names, blanks ignored.
func splitNamespaces(list string) []string {
	var namespaces []string
	for _, ns := range strings.Split(list, ",") {
		if ns = strings.TrimSpace(ns); ns != "" {
			namespaces = append(namespaces, ns)
		}
	}
	return namespaces
}

func run() error {
	o := parseFlags()
	if o.printVersion {
		fmt.Println("manager", version.String())
		return nil
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&o.zap)))
	setupLog := ctrl.Log.WithName("setup")
	defaultSecret, err := parseSecretRef(o.apiKeySecret)
	if err != nil {
		return err
	}
	if err := checkAPIBaseURL(o.apiBaseURL, o.allowInsecureURL); err != nil {
		return err
	}
	if err := checkResyncPeriod(o.resyncPeriod); err != nil {
		return err
	}
	sessionOpts, err := o.sessionOptions()
	if err != nil {
		return err
	}

	mgr, err := newManager(ctrl.GetConfigOrDie(), o, defaultSecret)
	if err != nil {
		return err
	}
	ctx := ctrl.SetupSignalHandler()
	if err := setupControllers(ctx, mgr, o, defaultSecret, sessionOpts); err != nil {
		return err
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return err
	}
	setupLog.Info("Starting manager", "version", version.String(), "apiBaseURL", o.apiBaseURL, "watchNamespaces", o.watchNamespaces, "resyncPeriod", o.resyncPeriod)
	return mgr.Start(ctx)
}

// newManager is the manager with its Kubernetes client settings. The config's ContentType stays
// unset on purpose: controller-runtime then speaks protobuf for built-in types (Events, Secrets,
// ConfigMaps, Pods) and JSON for the custom resources, which have no protobuf encoding
// (TestBuiltInTypesUseProtobuf proves both on the wire).
func newManager(cfg *rest.Config, o options, defaultSecret types.NamespacedName) (ctrl.Manager, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = float32(o.kubeQPS), o.kubeBurst
	cfg.ContentType = ""
	return ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                        scheme.New(),
		Cache:                         withSandboxPods(controller.CacheOptions(splitNamespaces(o.watchNamespaces), defaultSecret)),
		Metrics:                       metricsserver.Options{BindAddress: o.metricsAddr},
		HealthProbeBindAddress:        o.probeAddr,
		LeaderElection:                o.leaderElect,
		LeaderElectionID:              leaderElectionID,
		LeaderElectionNamespace:       o.leaderElectionNS,
		LeaderElectionReleaseOnCancel: true,
		PprofBindAddress:              o.pprofAddr,
	})
}

func setupControllers(ctx context.Context, mgr ctrl.Manager, o options, defaultSecret types.NamespacedName, sessionOpts controller.SessionOptions) error {
	creds, err := controller.NewCredentials(ctx, mgr, defaultSecret)
	if err != nil {
		return err
	}
	opts := controller.Options{
		Credentials: creds,
		Factory: managedagents.NewFactory(managedagents.FactoryOptions{
			BaseURL: o.apiBaseURL, RequestsPerSecond: o.apiQPS, Burst: o.apiBurst,
		}),
		DefaultAPIKeySecret:    defaultSecret,
		ResyncPeriod:           o.resyncPeriod,
		AgentConcurrency:       o.agentWorkers,
		EnvironmentConcurrency: o.environmentWorkers,
	}
	if err := controller.SetupAgentAndEnvironment(ctx, mgr, opts); err != nil {
		return err
	}
	if err := controller.SetupVaultsSkillsAndMemoryStores(ctx, mgr, opts); err != nil {
		return err
	}
	if _, err = controller.SetupSessions(ctx, mgr, opts, sessionOpts); err != nil {
		return err
	}
	if err := controller.SetupDeployments(ctx, mgr, opts, controller.DeploymentOptions{PollInterval: o.deploymentPoll}); err != nil {
		return err
	}
	return o.sandbox.setup(ctx, mgr, opts.Factory, o.apiBaseURL)
}
