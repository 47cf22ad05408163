// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/anthropics/managed-agents-operator/bench/internal/proc"
)

// sampler reads the manager's resident memory, and that of every sandbox runner process (the
// process node runs them as local processes), every 200 ms while the sandbox scenario runs.
type sampler struct {
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	// peak is the manager's highest RSS; runnerPeaks the highest RSS of each runner, by pid.
	peak        int64
	runnerPeaks map[int]int64
}

func startSampler(ctx context.Context, managerPid int) *sampler {
	ctx, cancel := context.WithCancel(ctx)
	s := &sampler{cancel: cancel, done: make(chan struct{}), runnerPeaks: map[int]int64{}}
	go func() {
		defer close(s.done)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			s.sample(managerPid)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *sampler) sample(managerPid int) {
	m, err := proc.ReadMemory(managerPid)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		s.peak = max(s.peak, m.RSS)
	}
	for _, pid := range runnerPids() {
		if rm, err := proc.ReadMemory(pid); err == nil {
			s.runnerPeaks[pid] = max(s.runnerPeaks[pid], rm.RSS)
		}
	}
}

// stop ends the sampling and returns the manager's peak RSS in bytes and the runners' average peak
// RSS in MiB.
func (s *sampler) stop() (managerPeak int64, runnerPeakMiB float64) {
	s.cancel()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	var sum int64
	for _, p := range s.runnerPeaks {
		sum += p
	}
	if n := len(s.runnerPeaks); n > 0 {
		runnerPeakMiB = mib(sum / int64(n))
	}
	return s.peak, runnerPeakMiB
}

// runnerPids lists the running sandbox-runner processes.
func runnerPids() []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if exe, err := os.Readlink("/proc/" + e.Name() + "/exe"); err == nil && filepath.Base(exe) == "sandbox-runner" {
			out = append(out, pid)
		}
	}
	return out
}
