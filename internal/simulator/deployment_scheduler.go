// SPDX-License-Identifier: Apache-2.0

package simulator

import "time"

// DefaultScheduleTick is how often the scheduler looks at the clock when Options.ScheduleTick is zero.
const DefaultScheduleTick = 100 * time.Millisecond

// maxFireLookahead bounds the occurrences one scheduler pass steps through per deployment, so a
// clock jumped far ahead costs bounded work.
const maxFireLookahead = 10000

// runScheduler fires due schedules every tick until the server closes. It reads the server's clock
// (Options.Now), so a test that advances a Clock sees runs fire within a tick.
func (s *Server) runScheduler(tick time.Duration) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-s.closing:
			return
		case <-t.C:
			s.FireSchedules()
		}
	}
}

// FireSchedules fires every active deployment whose schedule came due since it was last looked at,
// once: when several fire times passed (the clock jumped, or the server was busy), only the latest
// fires, as a scheduler that fell behind does. A paused deployment's missed times never fire. It
// returns how many runs it started.
func (s *Server) FireSchedules() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0
	}
	now := s.now()
	fired := 0
	for _, d := range s.deployments.oldestFirst(nil) {
		sc := d.schedule
		if sc == nil || d.archivedAt != nil || !now.After(sc.checkedUntil) {
			continue
		}
		due := sc.parsed.Last(sc.checkedUntil, now, maxFireLookahead)
		sc.checkedUntil = now
		if d.status != DeploymentActive || due.IsZero() {
			continue
		}
		s.fireLocked(d, TriggerSchedule, due)
		fired++
	}
	return fired
}
