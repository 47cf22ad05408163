// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"sync"
	"time"
)

// Load generation for benchmarks. A load emits events into every session with
// a given status at a steady total rate, round robin, and can record when each
// event was emitted so that a benchmark can time how long a client takes to
// see it. Everything here is also reachable over HTTP:
//
//	GET    /_simulator/sessions            every session with its created_at, status, metadata, events, streams
//	POST   /_simulator/sessions/{id}/emit  EmitEvent over HTTP; answers {"id","sequence","emitted_at"}
//	POST   /_simulator/load                StartLoad (LoadSpec as JSON); answers the LoadStatus
//	GET    /_simulator/load[?records=true] the LoadStatus, optionally with every EmitRecord
//	DELETE /_simulator/load                StopLoad; answers the final LoadStatus

// LoadSpec describes a load.
type LoadSpec struct {
	// Rate is the total number of events per second, spread round robin over the sessions.
	Rate float64 `json:"rate"`
	// Duration ends the load after this long; 0 runs until StopLoad.
	Duration time.Duration `json:"-"`
	// Events are the event JSON objects to emit, cycled in order (each needs a "type").
	Events []json.RawMessage `json:"events"`
	// Status limits the load to sessions with this status ("running"); empty means every session
	// that is not terminated. The set is re-read every second.
	Status string `json:"status"`
	// SessionIDs, when set, limits the load to these sessions.
	SessionIDs []string `json:"session_ids"`
	// Record keeps an EmitRecord per event.
	Record bool `json:"record"`
}

// EmitRecord is when one event was emitted, and its position in its session's history (1-based:
// the number of events the session had once it was appended).
type EmitRecord struct {
	SessionID string    `json:"session_id"`
	EventID   string    `json:"event_id"`
	Type      string    `json:"type"`
	Sequence  int       `json:"sequence"`
	At        time.Time `json:"at"`
}

// LoadStatus describes the current or last load.
type LoadStatus struct {
	Running  bool         `json:"running"`
	Rate     float64      `json:"rate"`
	Emitted  int64        `json:"emitted"`
	Sessions int          `json:"sessions"`
	Started  *time.Time   `json:"started,omitempty"`
	Ended    *time.Time   `json:"ended,omitempty"`
	Records  []EmitRecord `json:"records,omitempty"`
}

// loadGen is the Server's load generator; one load runs at a time.
type loadGen struct {
	mu       sync.Mutex
	stop     chan struct{}
	done     chan struct{}
	status   LoadStatus
	records  []EmitRecord
	sessions int
}

// loadTick is how often a load emits the events that are due.
const loadTick = 5 * time.Millisecond

// StartLoad starts emitting events per spec. It fails if a load is running or the spec is invalid.
func (s *Server) StartLoad(spec LoadSpec) error {
	if spec.Rate <= 0 || spec.Rate > 1e6 {
		return errors.New("simulator: load rate must be in (0, 1e6] events per second")
	}
	if len(spec.Events) == 0 {
		return errors.New("simulator: a load needs at least one event")
	}
	templates := make([]map[string]any, len(spec.Events))
	for i, raw := range spec.Events {
		if err := json.Unmarshal(raw, &templates[i]); err != nil {
			return fmt.Errorf("simulator: load event %d: %w", i, err)
		}
		if t, _ := templates[i]["type"].(string); t == "" {
			return fmt.Errorf("simulator: load event %d needs a string \"type\"", i)
		}
	}
	g := &s.load
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.status.Running {
		return errors.New("simulator: a load is already running")
	}
	now := time.Now()
	g.status = LoadStatus{Running: true, Rate: spec.Rate, Started: &now}
	g.records = nil
	g.stop, g.done = make(chan struct{}), make(chan struct{})
	go s.runLoad(spec, templates, g.stop, g.done)
	return nil
}

// StopLoad stops the running load, if any, and returns the final status without records.
func (s *Server) StopLoad() LoadStatus {
	g := &s.load
	g.mu.Lock()
	stop, done := g.stop, g.done
	g.mu.Unlock()
	if stop != nil {
		select {
		case <-stop:
		default:
			close(stop)
		}
		<-done
	}
	return s.LoadStatus(false)
}

// LoadStatus returns the current or last load's status, with its records when asked.
func (s *Server) LoadStatus(withRecords bool) LoadStatus {
	g := &s.load
	g.mu.Lock()
	defer g.mu.Unlock()
	st := g.status
	st.Sessions = g.sessions
	if withRecords {
		st.Records = append([]EmitRecord(nil), g.records...)
	}
	return st
}

// runLoad emits the events that are due every tick, until the duration passes or stop closes.
func (s *Server) runLoad(spec LoadSpec, templates []map[string]any, stop, done chan struct{}) {
	g := &s.load
	defer func() {
		end := time.Now()
		g.mu.Lock()
		g.status.Running, g.status.Ended = false, &end
		g.mu.Unlock()
		close(done)
	}()
	start := time.Now()
	ticker := time.NewTicker(loadTick)
	defer ticker.Stop()
	var (
		emitted   int64
		next      int // round-robin position
		tmpl      int // template position
		targets   []*session
		refreshed time.Time
	)
	for {
		select {
		case <-stop:
			return
		case <-s.closing:
			return
		case now := <-ticker.C:
			elapsed := now.Sub(start)
			if spec.Duration > 0 && elapsed >= spec.Duration {
				elapsed = spec.Duration
			}
			due := int64(spec.Rate*elapsed.Seconds()) - emitted
			if now.Sub(refreshed) >= time.Second {
				targets, refreshed = s.loadTargets(spec), now
				g.mu.Lock()
				g.sessions = len(targets)
				g.mu.Unlock()
			}
			if due > 0 && len(targets) > 0 {
				recs := s.emitLoad(targets, templates, &next, &tmpl, int(due), spec.Record)
				emitted += due
				g.mu.Lock()
				g.status.Emitted = emitted
				g.records = append(g.records, recs...)
				g.mu.Unlock()
			}
			if spec.Duration > 0 && now.Sub(start) >= spec.Duration {
				return
			}
		}
	}
}

// loadTargets lists the sessions a load emits into.
func (s *Server) loadTargets(spec LoadSpec) []*session {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*session
	if len(spec.SessionIDs) > 0 {
		for _, id := range spec.SessionIDs {
			if sess := s.sessions[id]; sess != nil && sess.status != StatusTerminated {
				out = append(out, sess)
			}
		}
		return out
	}
	for _, sess := range s.sessSeq {
		if sess.archivedAt != nil || sess.status == StatusTerminated || (spec.Status != "" && sess.status != spec.Status) {
			continue
		}
		out = append(out, sess)
	}
	return out
}

// emitLoad emits n events round robin over targets, under one hold of s.mu.
func (s *Server) emitLoad(targets []*session, templates []map[string]any, next, tmpl *int, n int, record bool) []EmitRecord {
	var recs []EmitRecord
	if record {
		recs = make([]EmitRecord, 0, n)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	for range n {
		sess := targets[*next%len(targets)]
		*next++
		fields := maps.Clone(templates[*tmpl%len(templates)])
		*tmpl++
		if sess.status == StatusTerminated {
			continue
		}
		ev := s.appendEventLocked(sess, fields)
		if record {
			recs = append(recs, EmitRecord{SessionID: sess.id, EventID: ev.id, Type: ev.typ, Sequence: len(sess.events), At: ev.at})
		}
	}
	return recs
}

// AdminSession is one session as GET /_simulator/sessions lists it.
type AdminSession struct {
	ID        string            `json:"id"`
	Status    string            `json:"status"`
	AgentID   string            `json:"agent_id"`
	CreatedAt time.Time         `json:"created_at"`
	Metadata  map[string]string `json:"metadata"`
	Events    int               `json:"events"`
	Streams   int               `json:"streams"`
}

// AdminSessions lists every session with its creation time at full precision, oldest first.
func (s *Server) AdminSessions() []AdminSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]AdminSession, len(s.sessSeq))
	for i, sess := range s.sessSeq {
		out[i] = AdminSession{ID: sess.id, Status: sess.status, AgentID: sess.agentID, CreatedAt: sess.createdAt,
			Metadata: copyStrings(sess.metadata), Events: len(sess.events), Streams: len(sess.subs)}
	}
	return out
}

// loadRoutes registers the load-generation admin endpoints.
func (s *Server) loadRoutes(a *http.ServeMux) {
	a.HandleFunc("GET /_simulator/sessions", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"sessions": s.AdminSessions()})
	})
	a.HandleFunc("POST /_simulator/sessions/{id}/emit", s.handleEmit)
	a.HandleFunc("POST /_simulator/load", s.handleStartLoad)
	a.HandleFunc("GET /_simulator/load", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.LoadStatus(r.URL.Query().Get("records") == "true"))
	})
	a.HandleFunc("DELETE /_simulator/load", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.StopLoad())
	})
}

func (s *Server) handleEmit(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeError(w, errBadRequest("reading body: %v", err))
		return
	}
	id, err := s.EmitEvent(r.PathValue("id"), body)
	switch {
	case errors.Is(err, ErrNoSession):
		writeError(w, errNotFound("session %s not found", r.PathValue("id")))
		return
	case err != nil:
		writeError(w, errBadRequest("%v", err))
		return
	}
	s.mu.Lock()
	sess := s.sessions[r.PathValue("id")]
	seq, at := 0, time.Time{}
	for i := len(sess.events) - 1; i >= 0; i-- {
		if sess.events[i].id == id {
			seq, at = i+1, sess.events[i].at
			break
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "sequence": seq, "emitted_at": at})
}

func (s *Server) handleStartLoad(w http.ResponseWriter, r *http.Request) {
	var body struct {
		LoadSpec
		Duration json.RawMessage `json:"duration"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil {
		writeError(w, errBadRequest("load: %v", err))
		return
	}
	spec := body.LoadSpec
	if len(body.Duration) > 0 {
		d, err := parseLoadDuration(body.Duration)
		if err != nil {
			writeError(w, errBadRequest("duration: %v", err))
			return
		}
		spec.Duration = d
	}
	if err := s.StartLoad(spec); err != nil {
		writeError(w, errBadRequest("%v", err))
		return
	}
	writeJSON(w, http.StatusOK, s.LoadStatus(false))
}

// parseLoadDuration accepts a Go duration string ("30s") or a number of milliseconds.
func parseLoadDuration(raw json.RawMessage) (time.Duration, error) {
	var str string
	if json.Unmarshal(raw, &str) == nil {
		return time.ParseDuration(str)
	}
	var ms float64
	if err := json.Unmarshal(raw, &ms); err != nil {
		return 0, errors.New("want a duration string such as \"30s\" or a number of milliseconds")
	}
	return time.Duration(ms * float64(time.Millisecond)), nil
}
