// SPDX-License-Identifier: Apache-2.0

package plugin_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// syncBuffer is a bytes.Buffer that a process writes while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestCtrlCStopsFollowingNotTheSession proves that an interrupt signal ends `logs -f` with exit
// code 130 and a hint, while the session keeps running.
func TestCtrlCStopsFollowingNotTheSession(t *testing.T) {
	name := startSession(t, "[[slow:5m]] a long job")
	waitPhase(t, name, v1alpha1.SessionRunning)
	t.Cleanup(func() { kubectlClaude(t, "", "interrupt", name) })

	cmd := exec.Command(pluginBin, "-n", teamNS, "logs", name, "-f")
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig, "HOME="+t.TempDir())
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() { _ = cmd.Process.Kill() }()

	deadline := time.Now().Add(waitLimit)
	for !strings.Contains(stdout.String(), "user      [[slow:5m]] a long job") {
		if time.Now().After(deadline) {
			t.Fatalf("logs -f printed nothing:\n%s\n%s", stdout.String(), stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 130 {
			t.Errorf("Ctrl-C exits 130, got %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("logs -f did not stop on Ctrl-C")
	}
	assertContains(t, stderr.String(), "stopped following; session "+name+" keeps running")
	if s := session(t, name); s.Status.Phase != v1alpha1.SessionRunning {
		t.Errorf("the session keeps running, phase %s", s.Status.Phase)
	}
}
