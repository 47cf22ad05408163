// SPDX-License-Identifier: Apache-2.0

package processnode

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// readerDrainTimeout bounds how long the output of an exited container is still read: a process that
// left the container's process group (setsid) can hold the pipe open forever.
const readerDrainTimeout = 2 * time.Second

// exitResult is how a container process ended.
type exitResult struct {
	// exitCode is the status, or 128+signal for a process a signal killed (as container runtimes report it).
	exitCode int32
	// signaled says a signal ended the process.
	signaled   bool
	finishedAt time.Time
}

// runSpec is a fully resolved container run: the real executable, arguments, environment and
// directory on this node.
type runSpec struct {
	path string   // the executable
	argv []string // argv[0] as the spec wrote it (after path mapping), then the arguments
	env  []string
	dir  string
	log  *logWriter
}

// process is one run of a container: a process in its own process group, whose output goes to the
// container's log file. Like a container's init process, its exit ends the whole group: whatever it
// left running in the group is killed.
type process struct {
	pid       int
	startedAt time.Time
	done      chan struct{}
	result    exitResult // set before done is closed

	mu sync.Mutex
	// exited is set once the process has exited and its group was killed. Until then the exited
	// process is a zombie (waitid with WNOWAIT does not reap it), so its pid, which is also its
	// process group id, cannot be reused and signalling the group cannot hit a stranger.
	exited bool
}

// startProcess starts spec through the spawner (see spawner for why). It owns spec.log: the log is
// closed when the process has ended or could not start.
func startProcess(sp *spawner, spec runSpec) (*process, error) {
	outR, outW, err := os.Pipe()
	if err != nil {
		spec.log.close()
		return nil, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		closeAll(outR, outW)
		spec.log.close()
		return nil, err
	}
	cmd := &exec.Cmd{
		Path:   spec.path,
		Args:   spec.argv,
		Env:    spec.env,
		Dir:    spec.dir,
		Stdout: outW,
		Stderr: errW,
		SysProcAttr: &syscall.SysProcAttr{
			Setpgid:   true,            // its own group, so that stopping it stops what it started
			Pdeathsig: syscall.SIGKILL, // the node's death (even SIGKILL) kills it
		},
	}
	startErr := sp.start(cmd)
	closeAll(outW, errW) // the child holds its own copies
	if startErr != nil {
		closeAll(outR, errR)
		spec.log.close()
		return nil, startErr
	}
	p := &process{pid: cmd.Process.Pid, startedAt: time.Now(), done: make(chan struct{})}
	var readers sync.WaitGroup
	for stream, r := range map[string]*os.File{"stdout": outR, "stderr": errR} {
		readers.Add(1)
		go func() {
			defer readers.Done()
			spec.log.copyLines(stream, r)
		}()
	}
	go p.wait(cmd, &readers, spec.log, outR, errR)
	return p, nil
}

// wait waits for the process to exit, kills the rest of its group, reaps it, drains its output
// into the log and closes the log.
func (p *process) wait(cmd *exec.Cmd, readers *sync.WaitGroup, log *logWriter, pipes ...*os.File) {
	waitExitedNoReap(p.pid)
	p.mu.Lock()
	p.exited = true
	_ = syscall.Kill(-p.pid, syscall.SIGKILL) // the container's init ended: so does the container
	p.mu.Unlock()
	_ = cmd.Wait()
	drained := make(chan struct{})
	go func() { readers.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(readerDrainTimeout):
		closeAll(pipes...) // unblocks the readers
		<-drained
	}
	closeAll(pipes...)
	log.close()
	p.result = exitResultOf(cmd.ProcessState)
	close(p.done)
}

// waitExitedNoReap blocks until pid has exited, leaving it a zombie (WNOWAIT).
func waitExitedNoReap(pid int) {
	for {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if !errors.Is(err, unix.EINTR) {
			return
		}
	}
}

func exitResultOf(state *os.ProcessState) exitResult {
	res := exitResult{finishedAt: time.Now(), exitCode: -1}
	if state == nil {
		return res
	}
	if ws, ok := state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		res.signaled = true
		res.exitCode = 128 + int32(ws.Signal())
		return res
	}
	res.exitCode = int32(state.ExitCode())
	return res
}

// signal sends sig to the process group unless the process has already exited, and reports
// whether it was sent.
func (p *process) signal(sig syscall.Signal) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.exited {
		return false
	}
	_ = syscall.Kill(-p.pid, sig)
	return true
}

func closeAll(files ...*os.File) {
	for _, f := range files {
		_ = f.Close()
	}
}

// spawner starts every container process from one OS thread that lives as long as the node.
// PR_SET_PDEATHSIG fires when the thread that forked a child ends, not the whole process; Go may
// run a goroutine on any thread, so without a dedicated thread a child could be killed early or,
// when its thread was reused, survive. When the spawner stops, its locked thread ends, and the
// kernel kills every container process that is still alive.
type spawner struct {
	reqs chan spawnRequest
	quit chan struct{}
	done chan struct{}
}

type spawnRequest struct {
	cmd   *exec.Cmd
	reply chan error
}

var errSpawnerStopped = errors.New("the process node is stopping")

func newSpawner() *spawner {
	s := &spawner{reqs: make(chan spawnRequest), quit: make(chan struct{}), done: make(chan struct{})}
	go s.loop()
	return s
}

func (s *spawner) loop() {
	runtime.LockOSThread()
	// No UnlockOSThread: returning while locked makes the runtime end the thread, which is the point.
	defer close(s.done)
	for {
		select {
		case req := <-s.reqs:
			req.reply <- req.cmd.Start()
		case <-s.quit:
			return
		}
	}
}

// start runs cmd.Start on the spawner's thread.
func (s *spawner) start(cmd *exec.Cmd) error {
	req := spawnRequest{cmd: cmd, reply: make(chan error, 1)}
	select {
	case s.reqs <- req:
	case <-s.quit:
		return errSpawnerStopped
	}
	if err := <-req.reply; err != nil {
		return fmt.Errorf("starting %s: %w", cmd.Path, err)
	}
	return nil
}

// stop ends the spawner's thread; call it after every container process was stopped.
func (s *spawner) stop() {
	close(s.quit)
	<-s.done
}
