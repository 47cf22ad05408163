// SPDX-License-Identifier: Apache-2.0

package simulator

// SessionInfo summarizes a session for tests and benchmarks.
type SessionInfo struct {
	ID            string
	Status        string // idle, running, rescheduling or terminated
	AgentID       string
	AgentVersion  int64
	EnvironmentID string
	Title         string
	Metadata      map[string]string
	Archived      bool
	Events        int // persisted events
	Streams       int // open event streams
}

func (sess *session) info() SessionInfo {
	return SessionInfo{ID: sess.id, Status: sess.status, AgentID: sess.agentID, AgentVersion: sess.agentVersion,
		EnvironmentID: sess.envID, Title: sess.title, Metadata: copyStrings(sess.metadata),
		Archived: sess.archivedAt != nil, Events: len(sess.events), Streams: len(sess.subs)}
}

// Sessions lists every session (archived ones included), oldest first.
func (s *Server) Sessions() []SessionInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SessionInfo, len(s.sessSeq))
	for i, sess := range s.sessSeq {
		out[i] = sess.info()
	}
	return out
}

// Session returns one session's summary, and false if it does not exist.
func (s *Server) Session(id string) (SessionInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.sessions[id]
	if sess == nil {
		return SessionInfo{}, false
	}
	return sess.info(), true
}
