// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Session statuses.
const (
	StatusIdle         = "idle"
	StatusRunning      = "running"
	StatusRescheduling = "rescheduling"
	StatusTerminated   = "terminated"
)

type usageCounters struct {
	input, output, cacheRead, cache1h, cache5m int64
	costMinor                                  int64
	hasCost                                    bool
	webFetch, webSearch                        int64
}

type session struct {
	id            string
	agentID       string
	agentVersion  int64
	snapshot      map[string]any // the agent as the session sees it
	envID         string
	title         string
	metadata      map[string]string
	resources     []map[string]any
	tokens        map[string]*resourceToken // by resource id; write-only
	vaultIDs      []string
	budget        map[string]any // nil when the session has no budget
	budgetMinor   int64
	status        string
	createdAt     time.Time
	updatedAt     time.Time
	archivedAt    *time.Time
	terminatedAt  *time.Time
	runningSince  time.Time
	activeSeconds float64
	usage         usageCounters
	outcomes      []map[string]any

	events []*event
	subs   map[*subscriber]struct{}

	turn   *turn // the turn whose goroutine is running, if any
	paused *turn // a turn idling with requires_action, waiting for answers
	// sandboxWaits are the built-in tool calls of a self-hosted session waiting for the worker's
	// user.tool_result, by tool use id (sandbox.go).
	sandboxWaits map[string]*sandboxWait
	// threadWaits are sub-agents' tool calls waiting for an answer, by tool use id (threads.go).
	threadWaits  map[string]*threadWait
	queue        []turnInput
	budgetPaused bool // idled with budget_reached; user.message is refused
	// deploymentID is the deployment whose run created the session, if any.
	deploymentID string
}

func (sess *session) busy() bool {
	return sess.status == StatusRunning || sess.status == StatusRescheduling
}

// setStatusLocked changes status and keeps active_seconds: time spent running
// or rescheduling.
func (sess *session) setStatusLocked(status string, now time.Time) {
	wasActive := sess.busy()
	sess.status = status
	isActive := sess.busy()
	switch {
	case wasActive && !isActive:
		sess.activeSeconds += now.Sub(sess.runningSince).Seconds()
	case !wasActive && isActive:
		sess.runningSince = now
	}
	if status == StatusTerminated && sess.terminatedAt == nil {
		sess.terminatedAt = &now
	}
	sess.updatedAt = now
}

func (sess *session) activeAt(now time.Time) float64 {
	a := sess.activeSeconds
	if sess.busy() {
		a += now.Sub(sess.runningSince).Seconds()
	}
	return a
}

func (sess *session) usageJSON(now time.Time) map[string]any {
	u := sess.usage
	var cost, serverTools any
	if u.hasCost {
		cost = map[string]any{"amount": strconv.FormatInt(u.costMinor, 10), "currency": "USD"}
	}
	if u.webFetch+u.webSearch > 0 {
		serverTools = map[string]any{"web_fetch_requests": u.webFetch, "web_search_requests": u.webSearch}
	}
	return map[string]any{
		"input_tokens":            u.input,
		"output_tokens":           u.output,
		"cache_read_input_tokens": u.cacheRead,
		"cache_creation":          map[string]any{"ephemeral_1h_input_tokens": u.cache1h, "ephemeral_5m_input_tokens": u.cache5m},
		"active_seconds":          sess.activeAt(now),
		"list_cost":               cost,
		"server_tool_use":         serverTools,
	}
}

func (sess *session) render(now time.Time) map[string]any {
	end := now
	if sess.terminatedAt != nil {
		end = *sess.terminatedAt
	}
	resources := make([]any, len(sess.resources))
	for i, r := range sess.resources {
		resources[i] = maps.Clone(r) // rendered outside the lock; token rotation changes updated_at
	}
	outcomes := make([]any, len(sess.outcomes))
	for i, o := range sess.outcomes {
		cp := map[string]any{}
		for k, v := range o {
			cp[k] = v
		}
		outcomes[i] = cp
	}
	var budget any
	if sess.budget != nil {
		budget = sess.budget
	}
	return map[string]any{
		"type":                "session",
		"id":                  sess.id,
		"status":              sess.status,
		"agent":               sess.snapshot,
		"environment_id":      sess.envID,
		"title":               sess.title,
		"metadata":            copyStrings(sess.metadata),
		"resources":           resources,
		"vault_ids":           append([]string{}, sess.vaultIDs...),
		"budget":              budget,
		"usage":               sess.usageJSON(now),
		"stats":               map[string]any{"active_seconds": sess.activeAt(now), "duration_seconds": end.Sub(sess.createdAt).Seconds()},
		"outcome_evaluations": outcomes,
		"deployment_id":       nullIfEmpty(sess.deploymentID),
		"created_at":          stamp(sess.createdAt),
		"updated_at":          stamp(sess.updatedAt),
		"archived_at":         stampOrNull(sess.archivedAt),
	}
}

// resolveSessionAgentLocked turns the session's agent field into a snapshot.
func (s *Server) resolveSessionAgentLocked(v any) (*agent, *agentVersion, map[string]any, *apiError) {
	var o jobj
	switch a := v.(type) {
	case nil:
		return nil, nil, nil, errBadRequest("agent: field required")
	case string:
		o = jobj{path: "agent", m: map[string]any{"type": "agent", "id": a}}
	case map[string]any:
		o = jobj{path: "agent", m: a}
	default:
		return nil, nil, nil, errBadRequest("agent: input should be an agent id or agent object")
	}
	t, ok, err := o.enum("type", "agent", "agent_with_overrides")
	if err != nil {
		return nil, nil, nil, err
	}
	if !ok {
		return nil, nil, nil, errBadRequest("agent.type: field required")
	}
	if t == "agent" {
		err = o.only("type", "id", "version")
	} else {
		err = o.only("type", "id", "version", "model", "system", "tools", "mcp_servers", "skills")
	}
	if err != nil {
		return nil, nil, nil, err
	}
	id, err := o.reqStr("id")
	if err != nil {
		return nil, nil, nil, err
	}
	a := s.agents[id]
	if a == nil {
		return nil, nil, nil, errNotFound("agent %s not found", id)
	}
	if a.archivedAt != nil {
		return nil, nil, nil, errBadRequest("agent %s is archived; new sessions cannot reference it", id)
	}
	ver := a.latest()
	if n, ok, err := o.integer("version"); err != nil {
		return nil, nil, nil, err
	} else if ok {
		if ver = a.version(n); ver == nil {
			return nil, nil, nil, errNotFound("agent %s has no version %d", id, n)
		}
	}
	cfg := ver.agentConfig
	if t == "agent_with_overrides" {
		if err := s.applyAgentOverridesLocked(o, &cfg); err != nil {
			return nil, nil, nil, err
		}
	}
	snap := a.definition(&agentVersion{agentConfig: cfg, version: ver.version})
	snap["multiagent"] = s.snapshotMultiagentLocked(cfg.multiagent)
	return a, ver, snap, nil
}

// applyAgentOverridesLocked applies agent_with_overrides fields, which are
// session-local and never change the agent.
func (s *Server) applyAgentOverridesLocked(o jobj, cfg *agentConfig) *apiError {
	sub := jobj{path: "agent", m: map[string]any{}}
	for _, k := range []string{"model", "system", "tools", "mcp_servers", "skills"} {
		if o.present(k) {
			sub.m[k] = o.m[k]
		}
	}
	if sub.has("model") {
		m, err := resolveModel(sub.m["model"], "agent.model", cfg.model["effort"])
		if err != nil {
			return err
		}
		cfg.model = m
	}
	if sub.present("system") {
		sys, _, err := sub.strLen("system", 0, 100000)
		if err != nil {
			return err
		}
		cfg.system = sys
	}
	var err *apiError
	if sub.present("tools") {
		list, _, e := sub.arr("tools")
		if e != nil {
			return e
		}
		if cfg.tools, err = resolveTools(list, "agent.tools"); err != nil {
			return err
		}
	}
	if sub.present("mcp_servers") {
		list, _, e := sub.arr("mcp_servers")
		if e != nil {
			return e
		}
		if cfg.mcpServers, err = resolveMCPServers(list, "agent.mcp_servers"); err != nil {
			return err
		}
	}
	if sub.present("skills") {
		list, _, e := sub.arr("skills")
		if e != nil {
			return e
		}
		if cfg.skills, err = s.resolveSkillsLocked(list, "agent.skills"); err != nil {
			return err
		}
	}
	return checkMCPReferences(cfg.tools, cfg.mcpServers)
}

// sessionCreate is a create-session body that passed the checks needing no
// stored state.
type sessionCreate struct {
	envID       string
	title       string
	metadata    map[string]string
	vaultIDs    []string
	budget      map[string]any // nil when the session has no budget
	budgetMinor int64
	resources   []parsedResource
	initial     []any // initial_events, validated against the new session
}

// parseSessionCreate validates a create-session body field by field, in the
// order the first error is reported.
func parseSessionCreate(body jobj) (sessionCreate, *apiError) {
	var c sessionCreate
	if err := body.only("agent", "environment_id", "title", "budget", "initial_events", "metadata", "resources", "vault_ids"); err != nil {
		return c, err
	}
	var err *apiError
	if c.envID, err = body.reqStr("environment_id"); err != nil {
		return c, err
	}
	if c.title, _, err = body.strLen("title", 0, 512); err != nil {
		return c, err
	}
	if c.metadata, err = body.metadata(); err != nil {
		return c, err
	}
	if c.vaultIDs, err = parseVaultIDs(body); err != nil {
		return c, err
	}
	if body.has("budget") {
		if c.budget, c.budgetMinor, err = parseBudget(body.m["budget"], "budget"); err != nil {
			return c, err
		}
	}
	rawRes, _, err := body.arr("resources")
	if err != nil {
		return c, err
	}
	if c.resources, err = parseResources(rawRes, "resources"); err != nil {
		return c, err
	}
	if c.initial, _, err = body.arr("initial_events"); err != nil {
		return c, err
	}
	if len(c.initial) > 50 {
		return c, errBadRequest("initial_events: at most 50 events are allowed")
	}
	return c, nil
}

// parseVaultIDs reads vault_ids, which must all be vault ids.
func parseVaultIDs(body jobj) ([]string, *apiError) {
	vaults, _, err := body.strList("vault_ids")
	if err != nil {
		return nil, err
	}
	for i, v := range vaults {
		if !strings.HasPrefix(v, "vlt_") {
			return nil, errBadRequest("vault_ids[%d]: %q is not a vault id", i, v)
		}
	}
	return vaults, nil
}

func (s *Server) createSession(r *http.Request) (any, *apiError) {
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	c, err := parseSessionCreate(body)
	if err != nil {
		return nil, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	sess, err := s.createSessionLocked(body.m["agent"], c)
	if err != nil {
		return nil, err
	}
	return sess.render(s.now()), nil
}

// createSessionLocked creates a session from a validated body: the agent reference as sent, and the
// fields that parseSessionCreate checked. A deployment's runs create their sessions through it too.
func (s *Server) createSessionLocked(agentRef any, c sessionCreate) (*session, *apiError) {
	a, ver, snap, err := s.resolveSessionAgentLocked(agentRef)
	if err != nil {
		return nil, err
	}
	if err := s.checkSessionEnvironmentLocked(c.envID); err != nil {
		return nil, err
	}
	if err := s.checkSessionVaultsLocked(c.vaultIDs); err != nil {
		return nil, err
	}
	if err := s.resolveMemoryStoresLocked(c.resources); err != nil {
		return nil, err
	}
	now := s.now()
	sess := &session{
		id: s.ids.next("sesn_"), agentID: a.id, agentVersion: ver.version, snapshot: snap, envID: c.envID,
		title: c.title, metadata: c.metadata, vaultIDs: c.vaultIDs, budget: c.budget, budgetMinor: c.budgetMinor,
		status: StatusIdle, createdAt: now, updatedAt: now, subs: map[*subscriber]struct{}{},
		tokens: map[string]*resourceToken{},
	}
	if sess.vaultIDs == nil {
		sess.vaultIDs = []string{}
	}
	for _, pr := range c.resources {
		s.attachResourceLocked(sess, pr, now)
	}
	inputs, err := s.parseInitialEventsLocked(c.initial, sess)
	if err != nil {
		return nil, err
	}
	s.sessions[sess.id] = sess
	s.sessSeq = append(s.sessSeq, sess)
	// A self-hosted environment's sessions are handed to a worker as soon as they exist.
	s.ensureWorkLocked(sess)
	for _, in := range inputs {
		s.applyUserEventLocked(sess, in)
	}
	return sess, nil
}

// checkSessionEnvironmentLocked checks that a new session may use the environment.
func (s *Server) checkSessionEnvironmentLocked(envID string) *apiError {
	env := s.envs[envID]
	if env == nil {
		return errNotFound("environment %s not found", envID)
	}
	if env.archivedAt != nil {
		return errBadRequest("environment %s is archived; new sessions cannot use it", envID).withCode("environment_archived")
	}
	return nil
}

// parseInitialEventsLocked validates initial events all-or-nothing, before
// the session exists.
func (s *Server) parseInitialEventsLocked(initial []any, sess *session) ([]userInput, *apiError) {
	inputs := make([]userInput, 0, len(initial))
	for i, item := range initial {
		in, err := s.parseUserEventLocked(item, index("initial_events", i), sess, true)
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, in)
	}
	return inputs, nil
}

func (s *Server) sessionLocked(id string) (*session, *apiError) {
	sess := s.sessions[id]
	if sess == nil {
		return nil, errNotFound("session %s not found", id)
	}
	return sess, nil
}

func (s *Server) getSession(r *http.Request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, err := s.sessionLocked(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return sess.render(s.now()), nil
}

func (s *Server) archiveSession(r *http.Request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, err := s.sessionLocked(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if sess.busy() {
		return nil, errBadRequest("session %s is %s; interrupt it and wait for idle before archiving", sess.id, sess.status)
	}
	if sess.archivedAt == nil {
		now := s.now()
		sess.archivedAt, sess.updatedAt = &now, now
		sess.paused, sess.queue = nil, nil
		s.stopSessionWorkLocked(sess)
	}
	return sess.render(s.now()), nil
}

func (s *Server) deleteSession(r *http.Request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, err := s.sessionLocked(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if sess.busy() {
		return nil, errBadRequest("session %s is %s; interrupt it and wait for idle before deleting", sess.id, sess.status)
	}
	sess.paused, sess.queue = nil, nil
	s.stopSessionWorkLocked(sess)
	// Open streams see session.deleted, then end.
	s.appendEventLocked(sess, map[string]any{"type": "session.deleted"})
	for sub := range sess.subs {
		sub.end(endGraceful)
	}
	sess.subs = map[*subscriber]struct{}{}
	delete(s.sessions, sess.id)
	s.sessSeq = slices.DeleteFunc(s.sessSeq, func(x *session) bool { return x == sess })
	return map[string]any{"id": sess.id, "type": "session_deleted"}, nil
}

func parseInt(v, name string) (int64, *apiError) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, errBadRequest("%s: input should be a valid integer", name)
	}
	return n, nil
}
