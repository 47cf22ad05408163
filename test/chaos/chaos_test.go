// SPDX-License-Identifier: Apache-2.0

package chaos

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anthropics/managed-agents-operator/internal/testenv"
)

// TestManagerKilledAndRestarted runs long conversations while the manager is SIGKILLed and
// restarted every few seconds: after the run settles nothing is lost (every status counts its whole
// remote history, every notable event has its Kubernetes Event) and nothing is duplicated (one
// remote session per Session, one Event per remote event, the follow-up sent once).
func TestManagerKilledAndRestarted(t *testing.T) {
	s := newScenario(t, "chaos-kill")
	mgr := s.startManager()
	s.waitReady(time.Minute)
	names := s.createSessions(cfg.sessions, cfg.firstTurn, cfg.followUp)
	kills := s.killLoop(mgr)
	t.Logf("SIGKILLed the manager %d times in %s: %d mid-turn, %d while follow-ups were being sent; %d of %d follow-ups sent during the chaos",
		kills.Total, kills.Lasted, kills.MidTurn, kills.DuringSends, kills.FollowUpsSent, len(names))
	f := s.settle(cfg.settle)
	stats := s.stats()
	// Without faults every create reaches the simulator once: a restarted manager finds the session
	// it launched before it died instead of creating another.
	if got := stats["POST /v1/sessions"]; got != int64(len(names)) {
		t.Errorf("POST /v1/sessions = %d for %d Sessions; a restart created a second session", got, len(names))
	}
	t.Logf("RESULT kill: %+v, %s; API requests: %d session creates, %d event sends, %d stream connects, %d history pages, %d total",
		kills, f, stats["POST /v1/sessions"], stats["POST /v1/sessions/{id}/events"], stats["GET /v1/sessions/{id}/events/stream"],
		stats["GET /v1/sessions/{id}/events"], sumStats(stats, " /v1/"))
}

// chaosFaults are the fault rules of TestManagerKilledUnderFaults: 5xx and 529 at a rate, scattered
// 429s with retry-after, half of the streams cut mid-turn, half of the session creates and of the
// sends committed with their response lost (the worst case for exactly-once).
var chaosFaults = []string{
	`{"kind":"error","status":500,"rate":0.03}`,
	`{"kind":"error","status":529,"rate":0.03}`,
	`{"kind":"error","status":429,"rate":0.02,"retry_after":"1s"}`,
	`{"kind":"drop_stream","after_events":12,"rate":0.5}`,
	`{"kind":"lose_response","endpoint":"POST /v1/sessions","rate":0.5}`,
	`{"kind":"lose_response","endpoint":"POST /v1/sessions/{id}/events","rate":0.5,"mode":"error"}`,
}

// burst429 is a burst of 429s with retry-after, posted every few seconds during the chaos.
const burst429 = `{"kind":"error","status":429,"count":10,"retry_after":"2s"}`

// TestManagerKilledUnderFaults is TestManagerKilledAndRestarted with the simulator injecting faults
// the whole time.
func TestManagerKilledUnderFaults(t *testing.T) {
	s := newScenario(t, "chaos-faults")
	mgr := s.startManager()
	s.waitReady(time.Minute)
	s.postFaults(chaosFaults...)
	s.createSessions(cfg.sessions, cfg.firstTurn, cfg.followUp)
	stop := make(chan struct{})
	var bursts int
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Second):
				if s.tryPostFaults(burst429) == nil {
					bursts++
				}
			}
		}
	})
	kills := s.killLoop(mgr)
	// Faults stay on until every follow-up went out, so that lost send responses are exercised.
	for deadline := time.Now().Add(cfg.chaosMax); !s.followUpsSent() && time.Now().Before(deadline); {
		time.Sleep(time.Second)
	}
	close(stop)
	wg.Wait()
	triggered := s.faultsTriggered()
	s.clearFaults()
	t.Logf("SIGKILLed the manager %+v; %d bursts of 10 429s; rate-based faults fired: %v", kills, bursts, triggered)
	f := s.settle(cfg.settle)
	stats := s.stats()
	t.Logf("RESULT faults: %+v, %d 429 bursts of 10, faults fired %v, %s; API requests: %d session creates, %d event sends, %d stream connects, %d total",
		kills, bursts, triggered, f, stats["POST /v1/sessions"], stats["POST /v1/sessions/{id}/events"],
		stats["GET /v1/sessions/{id}/events/stream"], sumStats(stats, " /v1/"))
}

// Leader election timing of controller-runtime's defaults, which the manager keeps.
const (
	leaseDuration = 15 * time.Second
	retryPeriod   = 2 * time.Second
)

// TestLeaderFailover runs two replicas with leader election and SIGKILLs the leader mid-turn. The
// standby must take over within the lease time and resume every stream with no gap.
func TestLeaderFailover(t *testing.T) {
	s := newScenario(t, "chaos-leader")
	le := []string{"--leader-elect", "--leader-election-namespace=" + s.ns}
	leader := s.startManager(le...)
	waitLeader(t, leader, time.Minute)
	s.waitReady(time.Minute)
	standby := s.startManager(le...)
	waitLine(t, standby, "attempting to acquire leader lease", time.Minute)
	names := s.createSessions(cfg.sessions, cfg.firstTurn, cfg.followUp)
	var takeovers []time.Duration
	for round := range cfg.failovers {
		if round == 0 {
			s.waitMidTurn(names, time.Minute)
		} else {
			time.Sleep(4 * time.Second)
		}
		if strings.Contains(standby.Logs(), "Starting workers") {
			t.Fatalf("the standby %s started its controllers while %s led:\n%s", standby.Name, leader.Name, standby.Tail(30))
		}
		killed := time.Now()
		leader.Kill()
		waitLeader(t, standby, leaseDuration+retryPeriod+30*time.Second)
		took := time.Since(killed)
		takeovers = append(takeovers, took.Round(100*time.Millisecond))
		// The standby sees the lease expire leaseDuration after it last saw it renewed; it looks
		// every retryPeriod plus up to 120% jitter (client-go's JitterUntil), both to notice the
		// last renewal and to acquire. So a takeover lands within leaseDuration plus two jittered
		// retry periods of the kill, plus a little for a loaded machine.
		if limit := leaseDuration + 2*retryPeriod*22/10 + 2*time.Second; took > limit {
			t.Errorf("round %d: %s took over %s after the leader died; want within %s", round+1, standby.Name, took, limit)
		}
		leader, standby = standby, s.startManager(le...)
	}
	f := s.settle(cfg.settle)
	t.Logf("RESULT leader: %d failovers, takeovers after %v (lease %s), %s", len(takeovers), takeovers, leaseDuration, f)
}

// TestAPIServerOutage stops kube-apiserver for 20 seconds in the middle of long turns and starts it
// again on the same port and data. The manager must ride it out and catch up.
func TestAPIServerOutage(t *testing.T) {
	const outage = 20 * time.Second
	// Slow turns that outlast the outage: about 30 s for the first turn.
	s := newScenario(t, "chaos-apiserver", "--step-delay=150ms")
	t.Cleanup(func() { saveArtifact(s.ns+"-kube-apiserver.log", cp.apiserver.Logs()) })
	mgr := s.startManager("--zap-log-level=debug")
	s.waitReady(time.Minute)
	names := s.createSessions(cfg.outageSessions, 200, 20)
	s.waitMidTurn(names, time.Minute)
	down := time.Now()
	cp.StopAPIServer()
	time.Sleep(outage - time.Since(down))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := cp.StartAPIServer(ctx); err != nil {
		t.Fatal(err)
	}
	downFor := time.Since(down)
	restarts := 0
	if mgr.Exited() {
		// A pod's manager would be restarted by the kubelet; do the same, but say so.
		t.Logf("the manager exited during the outage:\n%s", mgr.Tail(20))
		s.startManager()
		restarts++
	}
	f := s.settle(cfg.settle)
	if mgr.Exited() && restarts == 0 {
		t.Errorf("the manager exited after the outage:\n%s", mgr.Tail(20))
	}
	t.Logf("RESULT apiserver: unavailable for %s, manager restarts %d, %s", downFor.Round(100*time.Millisecond), restarts, f)
}

// waitMidTurn waits until every Session streams its first turn: launched, running, with events.
func (s *scenario) waitMidTurn(names []string, timeout time.Duration) {
	s.t.Helper()
	testenv.WaitFor(s.t, timeout, "every Session to be mid-turn", func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		list, err := s.sessions(ctx)
		if err != nil {
			return false, err.Error()
		}
		var waiting []string
		for _, sess := range list {
			if sess.Status.Phase != "Running" || sess.Status.EventCount < 5 {
				waiting = append(waiting, fmt.Sprintf("%s %s/%d", sess.Name, sess.Status.Phase, sess.Status.EventCount))
			}
		}
		return len(list) == len(names) && len(waiting) == 0, strings.Join(waiting, ", ")
	})
}

// waitLeader waits until the manager logs that it acquired the leader lease.
func waitLeader(t *testing.T, p *testenv.Process, timeout time.Duration) {
	t.Helper()
	waitLine(t, p, "successfully acquired lease", timeout)
}

// waitLine waits until a process printed a line containing substr, ignoring case.
func waitLine(t *testing.T, p *testenv.Process, substr string, timeout time.Duration) {
	t.Helper()
	testenv.WaitFor(t, timeout, p.Name+" to log "+substr, func() (bool, string) {
		if p.Exited() {
			t.Fatalf("%s exited:\n%s", p.Name, p.Tail(30))
		}
		return strings.Contains(strings.ToLower(p.Logs()), strings.ToLower(substr)), p.Tail(3)
	})
}
