// SPDX-License-Identifier: Apache-2.0

// Package e2e runs the operator the way its users do. The manager and the simulator are real
// processes built from this repository; kubectl and helm are the real tools from ./bin; all of them
// talk to a real kube-apiserver and etcd. Every check goes through kubectl, helm or the simulator's
// HTTP API, never through the operator's Go packages.
//
// The suite fails, and never skips, when a binary is missing: `make tools` builds them.
package e2e

import (
	"os"
	"testing"
	"time"

	"github.com/anthropics/managed-agents-operator/internal/testenv"
	"github.com/anthropics/managed-agents-operator/test/harness"
)

const (
	// turnTimeout bounds one agent turn on the simulator, from apply to TurnComplete.
	turnTimeout = 2 * time.Minute
	// stepDelay paces the simulator's events within a turn, slow enough to watch a turn run.
	stepDelay = 20 * time.Millisecond
)

// suite is the control plane and binaries every test of the package shares. kube-controller-manager
// runs too: namespace deletion and garbage collection are its controllers.
var suite = harness.Suite{ControlPlane: testenv.Options{ControllerManager: true}}

func TestMain(m *testing.M) {
	os.Exit(suite.Run(m, "e2e"))
}
