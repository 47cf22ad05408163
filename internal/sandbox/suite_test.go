// SPDX-License-Identifier: Apache-2.0

package sandbox_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/anthropics/managed-agents-operator/internal/controller"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/sandbox"
	"github.com/anthropics/managed-agents-operator/internal/scheme"
	"github.com/anthropics/managed-agents-operator/internal/simulator"
	"github.com/anthropics/managed-agents-operator/internal/testenv"
	"github.com/anthropics/managed-agents-operator/test/processnode"
)

// The suite runs the manager (Agent, Environment and Session controllers and the sandbox
// dispatcher) against a real API server with kube-scheduler, kube-controller-manager (garbage
// collection) and a process node, the simulator as the remote API, and the real sandbox runner,
// which the process node runs as a local process after the init container copied it "out of"
// the runner image.
const (
	simulatorKey   = "sk-ant-test-key"
	environmentKey = "simenvkey_suite"
	runnerImage    = "managed-agents-operator:test"
	operatorNS     = "operator-system"
	defaultKeyName = "anthropic"
)

var (
	k8s         client.Client
	sim         *simulator.Server
	simURL      string
	testEnv     *testenv.Env
	stopCurrent func()
	logs        = &logCapture{}
)

func TestMain(m *testing.M) { os.Exit(runSuite(m)) }

func runSuite(m *testing.M) int {
	ctrl.SetLogger(zap.New(zap.WriteTo(logs), zap.Level(zapcore.Level(-2))))
	imageDir, err := os.MkdirTemp("", "sandbox-image-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = os.RemoveAll(imageDir) }()
	build := exec.Command("go", "build", "-o", filepath.Join(imageDir, "sandbox-runner"), "../../cmd/sandbox-runner")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the runner: %v\n%s", err, out)
		return 1
	}
	testEnv, err = testenv.StartWith(testenv.Options{ControllerManager: true, ProcessNode: &processnode.Config{
		ImageRoots: map[string]string{runnerImage: imageDir}, RestartBackoff: 200 * time.Millisecond,
	}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = testEnv.Stop() }()
	k8s = testEnv.Client

	// A short default lease makes runners heartbeat every 3 s, so that a lost lease shows quickly;
	// the dispatcher's claim asks for its own, longer lease.
	sim = simulator.New(simulator.Options{APIKey: simulatorKey, EnvironmentKey: environmentKey, StepDelay: time.Millisecond,
		WorkLeaseTTL: 6 * time.Second})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	defer sim.Close()
	simURL = srv.URL

	ctx := context.Background()
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: operatorNS}}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := k8s.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: operatorNS, Name: defaultKeyName},
		Data: map[string][]byte{"api-key": []byte(simulatorKey)}}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := startManager(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	stopManager()
	return code
}

// startManager starts the operator's controllers as cmd/manager wires them.
func startManager() error {
	ctx, cancel := context.WithCancel(context.Background())
	mgr, err := ctrl.NewManager(testEnv.Config, ctrl.Options{
		Scheme: scheme.New(), Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0",
		Cache:      cache.Options{ByObject: sandbox.CacheByObject()},
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		cancel()
		return err
	}
	factory := managedagents.NewFactory(managedagents.FactoryOptions{BaseURL: simURL, RequestsPerSecond: 500, Burst: 500})
	opts := controller.Options{Factory: factory, DefaultAPIKeySecret: types.NamespacedName{Namespace: operatorNS, Name: defaultKeyName},
		ResyncPeriod: 10 * time.Minute}
	if opts.Credentials, err = controller.NewCredentials(ctx, mgr, opts.DefaultAPIKeySecret); err != nil {
		cancel()
		return err
	}
	if err := controller.SetupAgentAndEnvironment(ctx, mgr, opts); err != nil {
		cancel()
		return err
	}
	if _, err := controller.SetupSessions(ctx, mgr, opts, controller.SessionOptions{Concurrency: 8, DeleteTimeout: 10 * time.Second}); err != nil {
		cancel()
		return err
	}
	sup := &sandbox.Supervisor{Client: countingClient{Client: mgr.GetClient()}, Reader: mgr.GetAPIReader(), Factory: factory,
		Recorder: countingRecorder{EventRecorder: mgr.GetEventRecorder("sandbox-dispatcher")},
		Options: sandbox.Options{StartTimeout: 20 * time.Second, StatusInterval: time.Second, FailureBackoff: time.Second,
			Pod: sandbox.PodOptions{RunnerImage: runnerImage, APIBaseURL: simURL}}}
	if err := sup.SetupWithManager(ctx, mgr); err != nil {
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

func stopManager() {
	if stopCurrent != nil {
		stopCurrent()
		stopCurrent = nil
	}
}
