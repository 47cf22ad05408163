// SPDX-License-Identifier: Apache-2.0

package controller_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	uberzap "go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/anthropics/managed-agents-operator/internal/controller"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/scheme"
	"github.com/anthropics/managed-agents-operator/internal/simulator"
	"github.com/anthropics/managed-agents-operator/internal/testenv"
)

// The suite runs the real reconcilers in a manager against a real API server and the simulator.
const (
	simulatorKey    = "sk-ant-test-key"
	operatorNS      = "operator-system"
	defaultKeyName  = "anthropic"
	eventuallyLimit = 30 * time.Second
	// testOutcomeGrace is the wait for the grader's verdict after an idle: short, so the test of
	// giving up is quick, and still far longer than the simulator's gap between two turns.
	testOutcomeGrace = 5 * time.Second
)

var (
	k8s    client.Client
	sim    *simulator.Server
	simURL string
)

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	// Every line also goes to the scanner, which fails a test whose registered secrets were logged.
	tee := uberzap.WrapCore(func(c zapcore.Core) zapcore.Core { return zapcore.NewTee(c, scanner) })
	ctrl.SetLogger(zap.New(zap.UseDevMode(true), zap.Level(zapcore.Level(zapLevel())), zap.RawZapOpts(tee)))
	env, err := testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	k8s = env.Client

	sim = simulator.New(simulator.Options{APIKey: simulatorKey})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	defer sim.Close()
	simURL = srv.URL

	if err := createDefaultKey(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	testEnv = env
	if err := startManager(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	stopManager()
	return code
}

// The running manager; tests that prove restart safety stop and start it.
var (
	testEnv     *testenv.Env
	stopCurrent func()
)

// stopManager stops the manager and waits until its controllers and streams have ended.
func stopManager() {
	if stopCurrent != nil {
		stopCurrent()
		stopCurrent = nil
	}
}

// restartManager stops the manager and starts a fresh one, as an operator restart or a leader
// change would: nothing survives but what is in the API server and the remote API.
func restartManager(t *testing.T) {
	t.Helper()
	stopManager()
	if err := startManager(); err != nil {
		t.Fatal(err)
	}
}

// zapLevel keeps the manager quiet unless TEST_VERBOSE is set.
func zapLevel() int8 {
	if os.Getenv("TEST_VERBOSE") != "" {
		return -2
	}
	return 2
}

func createDefaultKey(ctx context.Context) error {
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: operatorNS}}); err != nil {
		return err
	}
	return k8s.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: operatorNS, Name: defaultKeyName},
		Data:       map[string][]byte{"api-key": []byte(simulatorKey)},
	})
}

func startManager() error {
	return startManagerWith(nil)
}

// restartManagerWith restarts the manager with changed settings and, when the test ends, restarts
// it again with the suite's own.
func restartManagerWith(t *testing.T, change func(*managerSettings)) {
	t.Helper()
	stopManager()
	if err := startManagerWith(change); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { restartManager(t) })
}

// managerSettings are what a test may change before the manager starts: its REST config (a copy),
// its options (the cache), and the controllers' options.
type managerSettings struct {
	config      *rest.Config
	manager     ctrl.Options
	controllers controller.Options
	deployments controller.DeploymentOptions
}

func startManagerWith(change func(*managerSettings)) error {
	ctx, cancel := context.WithCancel(context.Background())
	set := &managerSettings{
		config: rest.CopyConfig(testEnv.Config),
		manager: ctrl.Options{
			Scheme:                 scheme.New(),
			Metrics:                metricsserver.Options{BindAddress: "0"},
			HealthProbeBindAddress: "0",
			// A restarted manager registers the same controller names again in this process.
			Controller: config.Controller{SkipNameValidation: ptr.To(true)},
		},
		controllers: controller.Options{
			Factory:             managedagents.NewFactory(managedagents.FactoryOptions{BaseURL: simURL, RequestsPerSecond: 200, Burst: 200}),
			DefaultAPIKeySecret: types.NamespacedName{Namespace: operatorNS, Name: defaultKeyName},
			ResyncPeriod:        10 * time.Minute,
		},
	}
	if change != nil {
		change(set)
	}
	mgr, err := ctrl.NewManager(set.config, set.manager)
	if err != nil {
		cancel()
		return err
	}
	opts := set.controllers
	if opts.Credentials, err = controller.NewCredentials(ctx, mgr, opts.DefaultAPIKeySecret); err != nil {
		cancel()
		return err
	}
	if err := controller.SetupAgentAndEnvironment(ctx, mgr, opts); err != nil {
		cancel()
		return err
	}
	if err := controller.SetupVaultsSkillsAndMemoryStores(ctx, mgr, opts); err != nil {
		cancel()
		return err
	}
	if _, err := controller.SetupSessions(ctx, mgr, opts, controller.SessionOptions{Concurrency: 4, DeleteTimeout: 10 * time.Second, OutcomeGrace: testOutcomeGrace}); err != nil {
		cancel()
		return err
	}
	if err := controller.SetupDeployments(ctx, mgr, opts, set.deployments); err != nil {
		cancel()
		return err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "manager:", err)
		}
	}()
	stopCurrent = func() { cancel(); <-done }
	return nil
}
