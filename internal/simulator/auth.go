// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"net/http"
	"slices"
	"strings"
)

// Three credentials reach the API, as in the hosted one:
//   - an API key, for everything but the worker's side of the work queue;
//   - an environment key, which a self-hosted environment's workers poll, claim and heartbeat with,
//     and which also opens the sessions of that environment (their events and stream);
//   - a work item's sessions token (inside the item's secret), which opens only that item's
//     heartbeat and stop, its session, and the memory stores attached to that session, until the
//     item stops.
// Both worker credentials also download skills, which the SDK's worker installs for the session's
// agent.

type credentialKind int

const (
	credAPIKey credentialKind = iota
	credEnvironmentKey
	credSessionsToken
)

// principal is who a request authenticated as.
type principal struct {
	kind credentialKind
	env  *environment // credEnvironmentKey: the environment it opens; nil opens every self-hosted one
	item *workItem    // credSessionsToken
}

// Routes by the credentials they accept besides (or instead of) an API key.
var (
	// workerRoutes take an environment key and refuse an API key.
	workerRoutes = map[string]bool{
		"GET /v1/environments/{id}/work/poll":                 true,
		"POST /v1/environments/{id}/work/{work_id}/ack":       true,
		"POST /v1/environments/{id}/work/{work_id}/heartbeat": true,
		"GET /v1/environments/{id}/work":                      true,
	}
	// sharedWorkRoutes take an environment key or an API key.
	sharedWorkRoutes = map[string]bool{
		"POST /v1/environments/{id}/work/{work_id}/stop": true,
		"GET /v1/environments/{id}/work/stats":           true,
	}
	// itemRoutes take a work item's sessions token, for that item only.
	itemRoutes = map[string]bool{
		"POST /v1/environments/{id}/work/{work_id}/heartbeat": true,
		"POST /v1/environments/{id}/work/{work_id}/stop":      true,
	}
	// sessionWorkerRoutes are the session calls a worker makes, with the environment key or the
	// sessions token of the session's item.
	sessionWorkerRoutes = map[string]bool{
		"GET /v1/sessions/{id}":               true,
		"GET /v1/sessions/{id}/events":        true,
		"POST /v1/sessions/{id}/events":       true,
		"GET /v1/sessions/{id}/events/stream": true,
	}
	// skillDownloadRoutes install the session agent's skills, with either worker credential.
	skillDownloadRoutes = map[string]bool{
		"GET /v1/skills/{id}/versions/{version}":         true,
		"GET /v1/skills/{id}/versions/{version}/content": true,
	}
	// memoryRoutes sync a session's memory stores: the sessions token only (the API rejects the
	// environment key there), for the stores attached to its session.
	memoryRoutes = map[string]bool{
		"GET /v1/memory_stores/{id}/memories":          true,
		"POST /v1/memory_stores/{id}/memories":         true,
		"GET /v1/memory_stores/{id}/memories/{mid}":    true,
		"POST /v1/memory_stores/{id}/memories/{mid}":   true,
		"PATCH /v1/memory_stores/{id}/memories/{mid}":  true,
		"DELETE /v1/memory_stores/{id}/memories/{mid}": true,
	}
)

func bearer(r *http.Request) string {
	if key := r.Header.Get("x-api-key"); key != "" {
		return key
	}
	if auth := r.Header.Get("authorization"); len(auth) > 7 && strings.EqualFold(auth[:7], "bearer ") {
		return strings.TrimSpace(auth[7:])
	}
	return ""
}

func unauthorized(msg string) *apiError {
	return &apiError{status: http.StatusUnauthorized, typ: "authentication_error", msg: msg}
}

// authenticate resolves the request's credential and checks the beta header.
func (s *Server) authenticate(r *http.Request) (principal, *apiError) {
	key := bearer(r)
	if key == "" {
		return principal{}, unauthorized("x-api-key header or authorization bearer token is required")
	}
	p, err := s.resolveCredential(key)
	if err != nil {
		return p, err
	}
	accepted := betasFor(r.URL.Path)
	if len(accepted) == 0 {
		return p, nil
	}
	for _, v := range r.Header.Values("anthropic-beta") {
		for _, b := range strings.Split(v, ",") {
			if slices.Contains(accepted, strings.TrimSpace(b)) {
				return p, nil
			}
		}
	}
	return p, errBadRequest("this endpoint is in beta: the anthropic-beta header must include %s", quoteList(accepted))
}

func (s *Server) resolveCredential(key string) (principal, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if env := s.envKeys[key]; env != nil {
		return principal{kind: credEnvironmentKey, env: env}, nil
	}
	if s.opts.EnvironmentKey != "" && key == s.opts.EnvironmentKey {
		return principal{kind: credEnvironmentKey}, nil
	}
	if item := s.tokens[key]; item != nil {
		return principal{kind: credSessionsToken, item: item}, nil
	}
	if strings.HasPrefix(key, sessionsTokenPrefix) {
		return principal{}, unauthorized("the work item of this sessions token has stopped")
	}
	if !s.keyAccepted(key) {
		return principal{}, unauthorized("invalid x-api-key")
	}
	return principal{kind: credAPIKey}, nil
}

// authorize checks that the principal may call the route on the resource its path names.
func (s *Server) authorize(p principal, route, path string) *apiError {
	if err := p.mayCall(route); err != nil || p.kind == credAPIKey {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opens(p, path) {
		return nil
	}
	return &apiError{status: http.StatusForbidden, typ: "permission_error",
		msg: "this credential does not grant access to " + path}
}

// mayCall checks the route against the kind of credential.
func (p principal) mayCall(route string) *apiError {
	switch p.kind {
	case credAPIKey:
		if workerRoutes[route] {
			return unauthorized("this endpoint accepts the environment key as a bearer token; it rejects an API key")
		}
	case credEnvironmentKey:
		if !workerRoutes[route] && !sharedWorkRoutes[route] && !sessionWorkerRoutes[route] && !skillDownloadRoutes[route] {
			return unauthorized("an environment key is accepted only by the work queue, session event and skill download endpoints")
		}
	case credSessionsToken:
		if !itemRoutes[route] && !sessionWorkerRoutes[route] && !skillDownloadRoutes[route] && !memoryRoutes[route] {
			return unauthorized("a work item's sessions token is accepted only by its heartbeat, its stop, its session, its memory stores and skill downloads")
		}
	}
	return nil
}

// opens reports whether an environment key or sessions token opens the resource the path names.
// An unknown resource is left to the handler's 404.
func (s *Server) opens(p principal, path string) bool {
	envID, workID, sessionID, storeID, skill := pathIDs(path)
	switch {
	case skill:
		return true
	case storeID != "":
		return p.kind == credSessionsToken && s.sessionHasStoreLocked(p.item.sessionID, storeID)
	case sessionID != "":
		sess := s.sessions[sessionID]
		if sess == nil {
			return true
		}
		envID = sess.envID
	}
	switch p.kind {
	case credSessionsToken:
		return workID == p.item.id || sessionID == p.item.sessionID
	case credEnvironmentKey:
		if p.env != nil {
			return envID == p.env.id
		}
		// The one configured key opens every self-hosted environment.
		env := s.envs[envID]
		return env == nil || env.queue != nil
	}
	return false
}

// pathIDs reads the environment, work item, session and memory store ids out of an API path, and
// whether it is a skill's.
func pathIDs(path string) (envID, workID, sessionID, storeID string, skill bool) {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(parts) < 3 || parts[0] != "v1" {
		return "", "", "", "", false
	}
	switch parts[1] {
	case "environments":
		envID = parts[2]
		if len(parts) >= 5 && parts[3] == "work" {
			workID = parts[4]
		}
	case "sessions":
		sessionID = parts[2]
	case "memory_stores":
		storeID = parts[2]
	case "skills":
		skill = true
	}
	return envID, workID, sessionID, storeID, skill
}

// sessionHasStoreLocked reports whether a memory store is attached to the session.
func (s *Server) sessionHasStoreLocked(sessionID, storeID string) bool {
	sess := s.sessions[sessionID]
	if sess == nil {
		return false
	}
	for _, r := range sess.resources {
		if r["type"] == "memory_store" && r["memory_store_id"] == storeID {
			return true
		}
	}
	return false
}
