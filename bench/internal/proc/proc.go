// Package proc starts the benchmark's processes and reads what Linux knows about them: CPU time,
// resident memory, its peak, and open sockets. Everything comes from /proc, so the numbers are the
// kernel's, not the program's own view.
package proc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat. It is 100 on every
// Linux architecture Go supports.
const clockTicks = 100

// Process is a started program whose output goes to a log file.
type Process struct {
	Name    string
	LogPath string
	cmd     *exec.Cmd
	done    chan struct{}

	mu      sync.Mutex
	waiters []waiter
}

type waiter struct {
	substr string
	ch     chan string
}

// Start runs bin with args and extra environment variables; its output goes to dir/name.log.
func Start(dir, name, bin string, args []string, env ...string) (*Process, error) {
	logPath := filepath.Join(dir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	p := &Process{Name: name, LogPath: logPath, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pr, pw := io.Pipe()
	p.cmd.Stdout, p.cmd.Stderr = pw, pw
	if err := p.cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			line := sc.Text()
			_, _ = logFile.WriteString(line + "\n")
			p.mu.Lock()
			kept := p.waiters[:0]
			for _, w := range p.waiters {
				if strings.Contains(line, w.substr) {
					w.ch <- line
				} else {
					kept = append(kept, w)
				}
			}
			p.waiters = kept
			p.mu.Unlock()
		}
		_ = logFile.Close()
	}()
	go func() {
		_ = p.cmd.Wait()
		_ = pw.Close()
		close(p.done)
	}()
	return p, nil
}

// Pid is the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// WaitForLine waits until an output line contains substr. Only lines printed after the call count.
func (p *Process) WaitForLine(ctx context.Context, substr string) (string, error) {
	ch := make(chan string, 1)
	p.mu.Lock()
	p.waiters = append(p.waiters, waiter{substr: substr, ch: ch})
	p.mu.Unlock()
	select {
	case line := <-ch:
		return line, nil
	case <-p.done:
		return "", fmt.Errorf("%s exited before printing %q; see %s", p.Name, substr, p.LogPath)
	case <-ctx.Done():
		return "", fmt.Errorf("%s did not print %q: %w; see %s", p.Name, substr, ctx.Err(), p.LogPath)
	}
}

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

// Tail returns the last n lines of the process's log.
func (p *Process) Tail(n int) string {
	data, err := os.ReadFile(p.LogPath)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// CPUSeconds is the user plus system CPU time the process has used.
func CPUSeconds(pid int) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name is in parentheses and may hold spaces; the fields after it are fixed.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("proc: malformed stat")
	}
	f := strings.Fields(s[i+1:])
	// f[0] is the state (field 3); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, errors.New("proc: short stat")
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return float64(utime+stime) / clockTicks, nil
}

// Memory is a process's resident set and its peak, in bytes.
type Memory struct {
	RSS, Peak int64
}

// ReadMemory reads VmRSS and VmHWM from /proc/<pid>/status.
func ReadMemory(pid int) (Memory, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, err
	}
	defer f.Close()
	var m Memory
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(value)
		if len(fields) == 0 {
			continue
		}
		kib, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			continue
		}
		switch name {
		case "VmRSS":
			m.RSS = kib * 1024
		case "VmHWM":
			m.Peak = kib * 1024
		}
	}
	return m, sc.Err()
}

// Sockets counts the process's open socket file descriptors (TCP connections and listeners).
func Sockets(pid int) (int, error) {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		if target, err := os.Readlink(filepath.Join(dir, e.Name())); err == nil && strings.HasPrefix(target, "socket:") {
			n++
		}
	}
	return n, nil
}

// FindChild returns the pid of a child of parent whose executable's base name is name, or 0.
func FindChild(parent int, name string) int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		s := string(data)
		open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || closing < open {
			continue
		}
		f := strings.Fields(s[closing+1:])
		if len(f) < 2 || f[1] != strconv.Itoa(parent) {
			continue
		}
		// comm is truncated to 15 bytes, so compare the executable's name instead.
		if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); err == nil && filepath.Base(exe) == name {
			return pid
		}
	}
	return 0
}

// LoadAverage is the 1-minute load average and the number of CPUs, to judge how quiet the machine was.
func LoadAverage() (float64, int) {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0, 0
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return 0, 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v, numCPU()
}

func numCPU() int {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	return strings.Count(string(data), "\nprocessor") + boolInt(strings.HasPrefix(string(data), "processor"))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
