// SPDX-License-Identifier: Apache-2.0

package testenv

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// BuildBinary compiles a main package of this repository (for example "./cmd/manager") into dir.
func BuildBinary(dir, pkg string) (string, error) {
	out := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = RepoRoot()
	if output, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", pkg, err, output)
	}
	return out, nil
}

// Process is a program started by a test or a benchmark. Its combined output is kept for assertions
// (for example that no secret appears in the logs), and copied to a log file when one was given.
type Process struct {
	Name string
	cmd  *exec.Cmd
	done chan struct{}

	mu      sync.Mutex
	logs    bytes.Buffer
	logFile *os.File
	// lines receives each output line while someone waits for one (see WaitForLine).
	lines chan string
}

// StartProcess starts a program with extra environment variables.
func StartProcess(name, path string, args []string, env ...string) (*Process, error) {
	return startProcess(name, path, nil, args, env)
}

// StartLoggedProcess is StartProcess that also writes the output to logPath as it comes, so that
// it outlives the run (the benchmark keeps its run folder on request).
func StartLoggedProcess(logPath, name, path string, args []string, env ...string) (*Process, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	p, err := startProcess(name, path, f, args, env)
	if err != nil {
		_ = f.Close()
	}
	return p, err
}

func startProcess(name, path string, logFile *os.File, args, env []string) (*Process, error) {
	p := &Process{Name: name, done: make(chan struct{}), lines: make(chan string, 64), logFile: logFile}
	p.cmd = exec.Command(path, args...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pr, pw := io.Pipe()
	p.cmd.Stdout, p.cmd.Stderr = pw, pw
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	drained := make(chan struct{})
	go func() {
		p.collect(pr)
		if p.logFile != nil {
			_ = p.logFile.Close()
		}
		close(drained)
	}()
	go func() {
		_ = p.cmd.Wait()
		_ = pw.Close()
		<-drained // keep every line a dying process printed
		close(p.done)
	}()
	return p, nil
}

func (p *Process) collect(r io.Reader) {
	scanner := bufio.NewScanner(r)
	scanner.Buffer(make([]byte, 64*1024), 1024*1024)
	for scanner.Scan() {
		line := scanner.Text()
		p.mu.Lock()
		p.logs.WriteString(line + "\n")
		p.mu.Unlock()
		if p.logFile != nil {
			_, _ = p.logFile.WriteString(line + "\n")
		}
		select {
		case p.lines <- line:
		default: // nobody is waiting for lines
		}
	}
}

// WaitForLine waits until an output line contains substr and returns that line.
func (p *Process) WaitForLine(ctx context.Context, substr string) (string, error) {
	for {
		select {
		case line := <-p.lines:
			if strings.Contains(line, substr) {
				return line, nil
			}
		case <-p.done:
			return "", fmt.Errorf("%s exited before printing %q:\n%s", p.Name, substr, p.Logs())
		case <-ctx.Done():
			return "", fmt.Errorf("%s did not print %q: %w\n%s", p.Name, substr, ctx.Err(), p.Logs())
		}
	}
}

// Logs returns everything the process printed so far.
func (p *Process) Logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

// Tail returns the last n lines the process printed.
func (p *Process) Tail(n int) string { return Tail(p.Logs(), n) }

// Tail returns the last n lines of text.
func Tail(text string, n int) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Pid is the process id, for reading what /proc knows about it.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stop sends SIGTERM, waits up to grace, then kills the process group.
func (p *Process) Stop(grace time.Duration) {
	if p == nil || p.Exited() {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// Kill sends SIGKILL at once, like a crash.
func (p *Process) Kill() {
	if p.Exited() {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

// StartSimulator starts the simulator binary on a free port and returns it with its base URL.
func StartSimulator(ctx context.Context, bin string, args ...string) (*Process, string, error) {
	p, err := StartProcess("simulator", bin, append([]string{"--addr", "127.0.0.1:0"}, args...))
	if err != nil {
		return nil, "", err
	}
	line, err := p.WaitForLine(ctx, "listening on ")
	if err != nil {
		p.Stop(5 * time.Second)
		return nil, "", err
	}
	return p, strings.TrimSpace(line[strings.Index(line, "listening on ")+len("listening on "):]), nil
}
