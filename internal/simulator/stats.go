// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"net/http"
	"sync"
	"sync/atomic"
)

// stats counts API requests per endpoint ("METHOD /path/template", e.g.
// "POST /v1/sessions/{id}/events"), so tests and benchmarks can assert what a
// reconcile costs. Every request that reaches the API surface counts,
// including ones answered by an injected fault or an auth error: those are
// calls the client paid for too.
type stats struct {
	mu       sync.Mutex
	requests map[string]int64
	streams  atomic.Int64
}

func newStats() *stats { return &stats{requests: map[string]int64{}} }

func (st *stats) count(endpoint string) {
	st.mu.Lock()
	st.requests[endpoint]++
	st.mu.Unlock()
}

// Stats returns a copy of the request counters, keyed by "METHOD /path/template"
// (for example "POST /v1/sessions" or "GET /v1/sessions/{id}/events/stream").
// Requests that matched no route are counted as "METHOD (unmatched)".
func (s *Server) Stats() map[string]int64 {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	out := make(map[string]int64, len(s.stats.requests))
	for k, v := range s.stats.requests {
		out[k] = v
	}
	return out
}

// ResetStats zeroes the request counters.
func (s *Server) ResetStats() {
	s.stats.mu.Lock()
	s.stats.requests = map[string]int64{}
	s.stats.mu.Unlock()
}

// OpenStreams returns the number of event streams currently connected.
func (s *Server) OpenStreams() int { return int(s.stats.streams.Load()) }

func (s *Server) handleStats(w http.ResponseWriter, _ *http.Request) {
	reqs := s.Stats()
	var total int64
	for _, n := range reqs {
		total += n
	}
	s.mu.Lock()
	sessions := len(s.sessions)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"requests":     reqs,
		"total":        total,
		"open_streams": s.OpenStreams(),
		"sessions":     sessions,
	})
}

func (s *Server) handleResetStats(w http.ResponseWriter, r *http.Request) {
	s.ResetStats()
	s.handleStats(w, r)
}
