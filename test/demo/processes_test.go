// SPDX-License-Identifier: Apache-2.0

// Package demo_test tests hack/demo.sh, the script behind `make demo`: the functions that start the
// demo's processes, wait for them to become ready, and stop them. The scripts run in bash against fake
// programs in a temporary bin/, so the tests need no control plane and take seconds.
package demo_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// harness sources hack/demo.sh (which then defines its functions and runs nothing), points the script
// at a temporary .demo/ and bin/ with one process, "server", and runs one scenario. The paths reach it through the environment,
// so this shell's command line (which a forked child shows until it execs) names no file in bin/.
const harness = `
source "$DEMO_SCRIPT"
DEMO="$DEMO_DIR"
BIN="$BIN_DIR"
PROCESSES=(server)
mkdir -p "$DEMO"
eval "$SCENARIO"
`

// fakeServer stands in for the simulator, etcd or kube-apiserver: it logs "listening on" after the
// number of seconds in its first argument and serves until SIGTERM. Its command line names its path
// in bin/, as a real program's does.
const fakeServer = `#!/usr/bin/env bash
trap 'exit 0' TERM
sleep "${1:-0}"
echo "listening on 127.0.0.1:0"
while :; do sleep 0.1; done
`

// fakeCrash stands in for a program that fails at startup.
const fakeCrash = `#!/usr/bin/env bash
echo "cannot bind 127.0.0.1:0" >&2
exit 1
`

// slowExec makes every program that start() launches stay a copy of this shell for two seconds before
// it execs: a fork that the scheduler runs late, as on a loaded machine, made deterministic. `start`
// runs "nohup PROGRAM" in a background subshell, so this function runs in that subshell, which then
// execs the real nohup.
const slowExec = `nohup() { sleep 2; exec nohup "$@"; }
`

// otherProgram starts a second copy of the fake server outside start(), and makes the pid file name
// it instead of the server start() launched: the pid in the file now belongs to a program the demo did
// not start, as when the demo's process died and the system gave its pid to a new one.
const otherProgram = `"$BIN/fake-server" 0 >/dev/null 2>&1 </dev/null &
other=$!
{ echo "$other"; tail -n +2 "$DEMO/server.pid"; } >"$DEMO/server.pid.new"
mv "$DEMO/server.pid.new" "$DEMO/server.pid"
`

func TestProcessLifecycle(t *testing.T) {
	cases := []struct {
		name     string
		why      string
		scenario string
		// want and reject are lines the scenario must and must not print.
		want, reject []string
		// within bounds how long the scenario may take.
		within time.Duration
	}{
		{
			name: "slow exec is still starting, not exited",
			why: "issue 21: right after the fork the child's command line is the demo script's shell; " +
				"wait_for must keep waiting instead of reporting that the program exited",
			scenario: slowExec + `start server "$BIN/fake-server" 0
status
if wait_for server 20 grep -q "listening on" "$DEMO/server.log"; then echo "server ready"; else echo "server not ready"; fi
stop server
`,
			want:   []string{"server: running", "server ready", "stopped server"},
			reject: []string{"server exited", "not ready"},
			within: 15 * time.Second,
		},
		{
			name: "slow start is waited for",
			why:  "a program that takes seconds to become ready is waited for, not given up on",
			scenario: `start server "$BIN/fake-server" 2
if wait_for server 20 grep -q "listening on" "$DEMO/server.log"; then echo "server ready"; else echo "server not ready"; fi
stop server
`,
			want:   []string{"server ready", "stopped server"},
			reject: []string{"server exited", "not ready"},
			within: 15 * time.Second,
		},
		{
			name: "crash is reported at once",
			why:  "a program that fails at startup is reported as exited within a poll or two, not after the 30 s timeout",
			scenario: `start server "$BIN/fake-crash"
if wait_for server 30 grep -q "listening on" "$DEMO/server.log"; then echo "server ready"; else echo "server not ready"; fi
status
`,
			want:   []string{"server exited", "server not ready", "server: not running"},
			within: 10 * time.Second,
		},
		{
			name: "crash after a slow exec is reported at once",
			why:  "treating a starting process as alive must not hide a program that fails once it has exec'd",
			scenario: slowExec + `start server "$BIN/fake-crash"
if wait_for server 30 grep -q "listening on" "$DEMO/server.log"; then echo "server ready"; else echo "server not ready"; fi
`,
			want:   []string{"server exited", "server not ready"},
			within: 12 * time.Second,
		},
		{
			name: "stop stops what start started",
			why:  "down relies on stop to end each program and forget its pid",
			scenario: `start server "$BIN/fake-server" 0
wait_for server 20 grep -q "listening on" "$DEMO/server.log"
pid="$(head -n 1 "$DEMO/server.pid")"
stop server
if kill -0 "$pid" 2>/dev/null; then echo "server still running"; else echo "server gone"; fi
if [[ -e "$DEMO/server.pid" ]]; then echo "pid file kept"; else echo "pid file removed"; fi
`,
			want:   []string{"stopped server", "server gone", "pid file removed"},
			reject: []string{"still running", "pid file kept"},
			within: 15 * time.Second,
		},
		{
			name: "stop spares a bin/ program that reused the pid",
			why: "a pid file outlives its process; stop must recognize that the pid now names another " +
				"process even when that process runs a program from the same bin/",
			scenario: `start server "$BIN/fake-server" 0
wait_for server 20 grep -q "listening on" "$DEMO/server.log"
sleep 1.1 # the other program starts later, in whole seconds too (where ps, not /proc, reports start times)
` + otherProgram + `status
stop server
if kill -0 "$other" 2>/dev/null; then echo "other program spared"; else echo "other program killed"; fi
`,
			want:   []string{"server: not running", "other program spared"},
			reject: []string{"stopped server", "other program killed"},
			within: 15 * time.Second,
		},
		{
			name: "stop spares an unrelated program named by an old pid file",
			why: "a pid file from an earlier demo holds only the pid; stop must still never signal a " +
				"process that is not one of the demo's programs",
			scenario: `sleep 30 </dev/null >/dev/null 2>&1 &
other=$!
echo "$other" >"$DEMO/server.pid"
stop server
if kill -0 "$other" 2>/dev/null; then echo "other program spared"; else echo "other program killed"; fi
`,
			want:   []string{"other program spared"},
			reject: []string{"stopped server", "other program killed"},
			within: 15 * time.Second,
		},
	}
	script := demoScript(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			out, err := runScenario(t, script, tc.scenario, tc.within)
			took := time.Since(start)
			if err != nil {
				t.Fatalf("%s\nthe scenario failed after %s: %v\noutput:\n%s", tc.why, took.Round(time.Millisecond), err, out)
			}
			var problems []string
			for _, line := range tc.want {
				if !strings.Contains(out, line) {
					problems = append(problems, fmt.Sprintf("want %q", line))
				}
			}
			for _, line := range tc.reject {
				if strings.Contains(out, line) {
					problems = append(problems, fmt.Sprintf("did not want %q", line))
				}
			}
			if len(problems) > 0 {
				t.Errorf("%s\n%s in the output:\n%s", tc.why, strings.Join(problems, ", "), out)
			}
			t.Logf("took %s", took.Round(time.Millisecond))
		})
	}
}

// demoScript is the absolute path of hack/demo.sh.
func demoScript(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"bash", "ps", "nohup"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("hack/demo.sh needs %s: %v", tool, err)
		}
	}
	path, err := filepath.Abs(filepath.Join("..", "..", "hack", "demo.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// runScenario runs scenario in the harness with the fake programs in a fresh bin/ and returns what it
// printed. The harness runs in its own process group, which is killed afterwards, so a scenario that
// fails halfway leaves no process behind.
func runScenario(t *testing.T, script, scenario string, within time.Duration) (string, error) {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"fake-server": fakeServer, "fake-crash": fakeCrash} {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(body), 0o755); err != nil { //nolint:gosec // an executable test program
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", harness)
	cmd.Env = append(os.Environ(),
		"DEMO_SCRIPT="+script, "DEMO_DIR="+filepath.Join(dir, ".demo"), "BIN_DIR="+bin, "SCENARIO="+scenario)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if cmd.Process != nil {
		// The programs the scenario started share the harness's process group.
		if kerr := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); kerr != nil && !errors.Is(kerr, syscall.ESRCH) {
			t.Errorf("killing the scenario's processes: %v", kerr)
		}
	}
	if ctx.Err() != nil {
		err = errors.Join(err, ctx.Err())
	}
	return out.String(), err
}
