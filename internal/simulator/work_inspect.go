// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"errors"
	"net/http"
)

// WorkInfo summarizes a work item for tests and benchmarks.
type WorkInfo struct {
	ID            string
	EnvironmentID string
	SessionID     string
	State         string // queued, starting, active, stopping or stopped
	// Deliveries counts the polls that returned the item; LeaseRequeues the leases that lapsed and
	// put it back in the queue.
	Deliveries    int
	LeaseRequeues int
	// Heartbeated reports whether the current lease has had a heartbeat.
	Heartbeated bool
}

func (w *workItem) info() WorkInfo {
	return WorkInfo{ID: w.id, EnvironmentID: w.envID, SessionID: w.sessionID, State: w.state,
		Deliveries: w.deliveries, LeaseRequeues: w.leaseRequeues, Heartbeated: w.lastHeartbeat != ""}
}

// ErrNoWork is returned by Server methods given an unknown work item or a cloud environment.
var ErrNoWork = errors.New("simulator: no such work item or work queue")

// EnvironmentKey returns the environment key that a self-hosted environment accepts (besides
// Options.EnvironmentKey), and false for a cloud or unknown environment.
func (s *Server) EnvironmentKey(envID string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	env := s.envs[envID]
	if env == nil || env.queue == nil {
		return "", false
	}
	return env.key, true
}

// WorkItems lists a self-hosted environment's work items, oldest first, with the leases that
// lapsed by now applied.
func (s *Server) WorkItems(envID string) ([]WorkInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	env := s.envs[envID]
	if env == nil || env.queue == nil {
		return nil, ErrNoWork
	}
	s.sweepLocked(env)
	out := make([]WorkInfo, len(env.queue.items))
	for i, w := range env.queue.items {
		out[i] = w.info()
	}
	return out, nil
}

// ExpireLease ends a work item's lease now, as if it had run out: a starting or active item goes
// back to the queue (its holder's next heartbeat answers 412), a stopping one stops.
func (s *Server) ExpireLease(workID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.workItems[workID]
	if w == nil {
		return ErrNoWork
	}
	if w.leased() {
		s.lapseLocked(s.envs[w.envID], w)
	}
	return nil
}

// handleEnvironmentKey serves GET /_simulator/environments/{id}/environment-key, so that a demo
// or an end-to-end test can put a self-hosted environment's key into a Secret.
func (s *Server) handleEnvironmentKey(w http.ResponseWriter, r *http.Request) {
	key, ok := s.EnvironmentKey(r.PathValue("id"))
	if !ok {
		writeError(w, errNotFound("no self-hosted environment %s", r.PathValue("id")))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"environment_id": r.PathValue("id"), "environment_key": key})
}
