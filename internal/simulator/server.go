// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"
)

// BetaHeader is the anthropic-beta value every Managed Agents request must carry.
const BetaHeader = "managed-agents-2026-04-01"

// Defaults applied by New when the corresponding Options field is zero.
const (
	DefaultStepDelay    = 5 * time.Millisecond
	DefaultPingInterval = 15 * time.Second
	DefaultStreamBuffer = 256
)

// Options configures a Server. The zero value is usable.
type Options struct {
	// APIKey, if non-empty, is the only credential accepted (as
	// "authorization: Bearer <key>" or "x-api-key: <key>"). If empty, any
	// non-empty key is accepted.
	APIKey string
	// StepDelay is the pause between consecutive scripted events of a turn.
	// Zero means DefaultStepDelay; a negative value means no pause at all.
	StepDelay time.Duration
	// PingInterval is how often an idle SSE stream gets an "event: ping" frame.
	// Zero means DefaultPingInterval.
	PingInterval time.Duration
	// StreamBuffer is how many undelivered events one stream may lag behind
	// before the simulator drops its connection (a slow reader must never block
	// a session). Zero means DefaultStreamBuffer.
	StreamBuffer int
	// Seed seeds the random source behind rate-based faults, so a run with
	// the same seed and the same request sequence injects the same faults.
	Seed int64
	// Now is the clock used for timestamps. Nil means time.Now.
	Now func() time.Time
	// EnvironmentKey, if non-empty, is an environment key that every self-hosted environment
	// accepts, so a demo or a test can put it in a Secret before the environment exists. Either way
	// each self-hosted environment also gets its own key at creation (see Server.EnvironmentKey).
	EnvironmentKey string
	// WorkLeaseTTL is the lease of an acknowledged work item when a heartbeat asks for no other TTL:
	// a starting or active item that goes this long without a heartbeat goes back to the queue.
	// Zero means DefaultWorkLeaseTTL.
	WorkLeaseTTL time.Duration
	// ScheduleTick is how often deployment schedules are checked against Now (deployment_scheduler.go).
	// Zero means DefaultScheduleTick; a negative value starts no scheduler (tests call FireSchedules).
	ScheduleTick time.Duration
}

// Server is the simulator. It is an http.Handler, so httptest.NewServer(sim)
// serves it. All methods are safe for concurrent use.
type Server struct {
	opts   Options
	mux    *http.ServeMux
	admin  *http.ServeMux
	ids    idGen
	stats  *stats
	faults *faults

	// keysMu guards the keys accepted besides Options.APIKey and the revoked ones (keys.go).
	keysMu      sync.Mutex
	extraKeys   map[string]bool
	revokedKeys map[string]bool

	// mu guards every resource below, each session's events, subscribers and
	// turn state. One lock keeps the lifecycle rules (a running session cannot
	// be deleted, an event is persisted before it is delivered) simple to get
	// right; nothing slow (network writes, sleeps) ever happens under it.
	mu       sync.Mutex
	agents   map[string]*agent
	agentSeq []*agent
	envs     map[string]*environment
	envSeq   []*environment
	sessions map[string]*session
	sessSeq  []*session

	vaults    registry[*vault]
	skills    registry[*skill]
	memStores registry[*memoryStore]

	deployments    registry[*deployment]
	deploymentRuns registry[*deploymentRun]

	// The work queues of self-hosted environments (work.go): every item by id, the live items by
	// their sessions token, and each environment's own key.
	workItems map[string]*workItem
	tokens    map[string]*workItem
	envKeys   map[string]*environment

	closed  bool
	closing chan struct{}
	turns   sync.WaitGroup

	// load is the benchmark load generator (load.go).
	load loadGen
	// validations scripts MCPOAuthValidate (credential_validate.go).
	validations validationRules
}

// New returns a Server with no resources.
func New(opts Options) *Server {
	if opts.StepDelay == 0 {
		opts.StepDelay = DefaultStepDelay
	} else if opts.StepDelay < 0 {
		opts.StepDelay = 0
	}
	if opts.PingInterval <= 0 {
		opts.PingInterval = DefaultPingInterval
	}
	if opts.StreamBuffer <= 0 {
		opts.StreamBuffer = DefaultStreamBuffer
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.WorkLeaseTTL <= 0 {
		opts.WorkLeaseTTL = DefaultWorkLeaseTTL
	}
	s := &Server{
		opts:     opts,
		stats:    newStats(),
		faults:   newFaults(opts.Seed),
		agents:   map[string]*agent{},
		envs:     map[string]*environment{},
		sessions: map[string]*session{},
		closing:  make(chan struct{}),

		vaults:    newRegistry[*vault](),
		skills:    newRegistry[*skill](),
		memStores: newRegistry[*memoryStore](),

		deployments:    newRegistry[*deployment](),
		deploymentRuns: newRegistry[*deploymentRun](),

		workItems: map[string]*workItem{},
		tokens:    map[string]*workItem{},
		envKeys:   map[string]*environment{},
	}
	s.routes()
	if opts.ScheduleTick == 0 {
		opts.ScheduleTick = DefaultScheduleTick
	}
	if opts.ScheduleTick > 0 {
		go s.runScheduler(opts.ScheduleTick)
	}
	return s
}

// Close stops every running turn and ends every open event stream, so that an
// httptest.Server wrapping s can shut down promptly. The stored state stays
// readable; requests that would start new turns after Close are still
// accepted but their turns do not run.
func (s *Server) Close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.closing)
		for _, sess := range s.sessions {
			sess.stopTurnLocked()
			for sub := range sess.subs {
				sub.end(endShutdown)
			}
			sess.subs = map[*subscriber]struct{}{}
		}
	}
	s.mu.Unlock()
	s.turns.Wait()
}

func (s *Server) now() time.Time { return s.opts.Now().UTC() }

// apiFunc is an endpoint that answers with a JSON object or an *apiError.
type apiFunc func(r *http.Request) (any, *apiError)

func (s *Server) routes() {
	m := http.NewServeMux()
	handle := func(pattern string, f apiFunc) { m.Handle(pattern, s.jsonEndpoint(f)) }

	handle("POST /v1/agents", s.createAgent)
	handle("GET /v1/agents", s.listAgents)
	handle("GET /v1/agents/{id}", s.getAgent)
	handle("POST /v1/agents/{id}", s.updateAgent)
	handle("POST /v1/agents/{id}/archive", s.archiveAgent)
	handle("GET /v1/agents/{id}/versions", s.listAgentVersions)

	handle("POST /v1/environments", s.createEnvironment)
	handle("GET /v1/environments", s.listEnvironments)
	handle("GET /v1/environments/{id}", s.getEnvironment)
	handle("POST /v1/environments/{id}", s.updateEnvironment)
	handle("DELETE /v1/environments/{id}", s.deleteEnvironment)
	handle("POST /v1/environments/{id}/archive", s.archiveEnvironment)
	handle("GET /v1/environments/{id}/work/poll", s.pollWork)
	handle("GET /v1/environments/{id}/work/stats", s.workStats)
	handle("GET /v1/environments/{id}/work", s.listWork)
	handle("GET /v1/environments/{id}/work/{work_id}", s.getWork)
	handle("POST /v1/environments/{id}/work/{work_id}", s.updateWork)
	handle("POST /v1/environments/{id}/work/{work_id}/ack", s.ackWork)
	handle("POST /v1/environments/{id}/work/{work_id}/heartbeat", s.heartbeatWork)
	handle("POST /v1/environments/{id}/work/{work_id}/stop", s.stopWork)

	handle("POST /v1/sessions", s.createSession)
	handle("GET /v1/sessions", s.listSessions)
	handle("GET /v1/sessions/{id}", s.getSession)
	handle("POST /v1/sessions/{id}", s.updateSession)
	handle("DELETE /v1/sessions/{id}", s.deleteSession)
	handle("POST /v1/sessions/{id}/archive", s.archiveSession)
	handle("GET /v1/sessions/{id}/events", s.listEvents)
	handle("POST /v1/sessions/{id}/events", s.sendEvents)
	m.HandleFunc("GET /v1/sessions/{id}/events/stream", s.streamEvents)
	s.resourceRoutes(handle)
	s.deploymentRoutes(handle)
	m.HandleFunc("GET /v1/skills/{id}/versions/{version}/content", s.downloadSkillVersion)

	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errNotFound("no route for %s %s", r.Method, r.URL.Path))
	})
	s.mux = m

	a := http.NewServeMux()
	a.HandleFunc("GET /_simulator/stats", s.handleStats)
	a.HandleFunc("DELETE /_simulator/stats", s.handleResetStats)
	a.HandleFunc("GET /_simulator/faults", s.handleFaults)
	a.HandleFunc("POST /_simulator/faults", s.handleFaults)
	a.HandleFunc("DELETE /_simulator/faults", s.handleFaults)
	s.loadRoutes(a)
	s.inspectRoutes(a)
	a.HandleFunc("GET /_simulator/environments/{id}/environment-key", s.handleEnvironmentKey)
	a.HandleFunc("GET /_simulator/health", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
	})
	a.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errNotFound("no route for %s %s", r.Method, r.URL.Path))
	})
	s.admin = a
}

// ServeHTTP counts the request, applies injected faults, authenticates it and
// dispatches it. /_simulator/* needs no credentials and is never faulted.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("request-id", s.ids.next("req_"))
	if strings.HasPrefix(r.URL.Path, "/_simulator/") {
		s.admin.ServeHTTP(w, r)
		return
	}
	_, pattern := s.mux.Handler(r)
	endpoint := pattern
	if pattern == "/" || pattern == "" {
		endpoint = r.Method + " (unmatched)"
	}
	s.stats.count(endpoint)

	plan := s.faults.plan(r.Method, r.URL.Path, endpoint)
	if plan.latency > 0 {
		t := time.NewTimer(plan.latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if plan.err != nil {
		if plan.retryAfter != "" {
			w.Header().Set("retry-after", plan.retryAfter)
		}
		writeError(w, plan.err)
		return
	}
	p, err := s.authenticate(r)
	if err == nil {
		err = s.authorize(p, pattern, r.URL.Path)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	if plan.dropStreamAfter >= 0 || plan.lose != nil || plan.loseLease {
		r = r.WithContext(context.WithValue(r.Context(), planKey{}, plan))
	}
	s.mux.ServeHTTP(w, r)
}

type planKey struct{}

func planFrom(r *http.Request) faultPlan {
	if p, ok := r.Context().Value(planKey{}).(faultPlan); ok {
		return p
	}
	return faultPlan{dropStreamAfter: -1}
}

// Beta headers of the API families besides Managed Agents.
const (
	// MemoryBetaHeader is what the SDK sends for memory stores and memories;
	// they also accept BetaHeader.
	MemoryBetaHeader = "agent-memory-2026-07-22"
)

// betasFor is the list of anthropic-beta values of which a request to path
// must carry one. The Skills API takes its beta header as optional (the SDK
// sends none), so it needs none here either.
func betasFor(path string) []string {
	switch {
	case strings.HasPrefix(path, "/v1/skills"):
		return nil
	case strings.HasPrefix(path, "/v1/memory_stores"):
		return []string{MemoryBetaHeader, BetaHeader}
	default:
		return []string{BetaHeader}
	}
}

// jsonEndpoint adapts an apiFunc: it writes the result as JSON, or the error
// in the API's error shape, and applies a lost-response fault to successes.
func (s *Server) jsonEndpoint(f apiFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := f(r)
		if err != nil {
			writeError(w, err)
			return
		}
		mode, lost := s.faults.claim(planFrom(r).lose)
		switch {
		case lost && mode == LoseByDroppingConnection:
			// The change is committed; the client never learns of it.
			abortConnection(w)
			return
		case lost && mode == LoseByError:
			writeError(w, &apiError{status: http.StatusInternalServerError, typ: "api_error",
				msg: "internal server error"})
			return
		}
		if _, empty := v.(noContent); empty {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		writeJSON(w, http.StatusOK, v)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"type":"error","error":{"type":"api_error","message":"encoding response failed"}}`)
	}
	w.Header().Set("content-type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// abortConnection closes the client connection without a complete response,
// which is what a crash or a network cut between commit and reply looks like.
func abortConnection(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	// A deadline in the past makes Hijack's flush of buffered bytes fail fast
	// instead of blocking on a peer that stopped reading.
	_ = rc.SetWriteDeadline(time.Now())
	if conn, _, err := rc.Hijack(); err == nil {
		_ = conn.Close()
		return
	}
	// HTTP/2 or a wrapped writer: the server aborts the stream for us.
	panic(http.ErrAbortHandler)
}
