// SPDX-License-Identifier: Apache-2.0

// Package chaos proves that the operator loses nothing and duplicates nothing under faults. The
// manager and the simulator run as processes against a real etcd and kube-apiserver that this
// package starts by hand (so the API server can be stopped and started again on the same port).
// Long conversations run while the manager is SIGKILLed and restarted, while the simulator injects
// 429s, 5xx, dropped streams and lost responses, while the leader of two replicas dies, and while the
// API server is down. After each run settles, every Session's status must match the remote history
// exactly, with one Kubernetes Event per notable remote event, one remote session per Session and
// one user message per prompt and follow-up.
//
// `go test ./test/chaos` runs the short form (a few Sessions, under three minutes on two cores).
// CHAOS_FULL=1 (`make test-chaos`) runs the full form: 50 Sessions with hundreds of events each.
// The suite fails, and never skips, when a binary is missing: `make tools` builds them.
package chaos

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/anthropics/managed-agents-operator/internal/scheme"
	"github.com/anthropics/managed-agents-operator/internal/testenv"
)

var (
	// cp is the control plane shared by the package's tests; TestAPIServerOutage stops and starts it.
	cp *controlPlane
	// k8s is an admin client for cp.
	k8s client.Client
	// managerBin and simulatorBin are built from this repository into workDir.
	managerBin, simulatorBin string
	// cfg is the size of this run: short by default, full with CHAOS_FULL=1.
	cfg size
)

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	cfg = shortSize
	if os.Getenv("CHAOS_FULL") == "1" {
		cfg = fullSize
	}
	workDir, err := os.MkdirTemp("", "managed-agents-chaos-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		return 1
	}
	defer func() { _ = os.RemoveAll(workDir) }()
	bins := map[string]*string{"./cmd/manager": &managerBin, "./cmd/simulator": &simulatorBin}
	var demopki string
	bins["./hack/demopki"] = &demopki
	for pkg, out := range bins {
		if *out, err = testenv.BuildBinary(workDir, pkg); err != nil {
			fmt.Fprintln(os.Stderr, "chaos:", err)
			return 1
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if cp, err = startControlPlane(ctx, workDir, demopki); err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		return 1
	}
	defer cp.Stop()
	if k8s, err = client.New(cp.config, client.Options{Scheme: scheme.New()}); err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "chaos: %s form (CHAOS_FULL=1 runs the full one)\n", cfg.name)
	return m.Run()
}

// size is how much load a run applies.
type size struct {
	name string
	// sessions per scenario, and the events of their first turn and of their one follow-up.
	sessions, firstTurn, followUp int
	// stepDelay is the simulator's pause between scripted events.
	stepDelay time.Duration
	// chaosFor is how long managers are killed at least, chaosMax at most (the kills go on until
	// every follow-up is sent); killMin..killMax is the pause between two kills.
	chaosFor, chaosMax, killMin, killMax time.Duration
	// failovers is how many times the leader is killed in TestLeaderFailover.
	failovers int
	// outageSessions run through the API server outage; their turns outlast it.
	outageSessions int
	// settle bounds the wait for every Session to match its remote history after the chaos.
	settle time.Duration
	// badInputWindow is how long the calls after a rejected request are counted.
	badInputWindow time.Duration
}

var (
	shortSize = size{
		name: "short", sessions: 8, firstTurn: 45, followUp: 15, stepDelay: 200 * time.Millisecond,
		chaosFor: 20 * time.Second, chaosMax: time.Minute, killMin: 2 * time.Second, killMax: 4 * time.Second,
		failovers: 1, outageSessions: 4, settle: 2 * time.Minute, badInputWindow: 6 * time.Second,
	}
	fullSize = size{
		name: "full", sessions: 50, firstTurn: 200, followUp: 100, stepDelay: 100 * time.Millisecond,
		chaosFor: 75 * time.Second, chaosMax: 4 * time.Minute, killMin: 3 * time.Second, killMax: 7 * time.Second,
		failovers: 3, outageSessions: 20, settle: 6 * time.Minute, badInputWindow: 30 * time.Second,
	}
)

// runCmd runs a program with a deadline and returns its combined output.
func runCmd(ctx context.Context, stdin, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG=")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("%s %s: %w", filepath.Base(name), strings.Join(args, " "), err)
	}
	return out.String(), err
}

// freePorts returns n TCP ports of 127.0.0.1 that were free a moment ago, all different.
func freePorts(n int) ([]int, error) {
	var ports []int
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
