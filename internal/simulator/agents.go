// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// agentConfig is the resolved, versioned part of an agent.
type agentConfig struct {
	name, description, system string
	model                     map[string]any
	tools                     []any
	mcpServers                []any
	skills                    []any
	multiagent                any
	executionIdentity         any
	metadata                  map[string]string
}

// agentVersion is one immutable snapshot of an agent.
type agentVersion struct {
	agentConfig
	version int64
	savedAt time.Time
}

type agent struct {
	id         string
	createdAt  time.Time
	archivedAt *time.Time
	versions   []*agentVersion // versions[i].version == i+1
}

func (a *agent) latest() *agentVersion { return a.versions[len(a.versions)-1] }

func (a *agent) version(v int64) *agentVersion {
	if v < 1 || v > int64(len(a.versions)) {
		return nil
	}
	return a.versions[v-1]
}

func orEmpty(list []any) []any {
	if list == nil {
		return []any{}
	}
	return list
}

// definition is the agent body shared by agent responses and session snapshots.
func (a *agent) definition(v *agentVersion) map[string]any {
	return map[string]any{
		"type":               "agent",
		"id":                 a.id,
		"version":            v.version,
		"name":               v.name,
		"description":        v.description,
		"system":             v.system,
		"model":              v.model,
		"tools":              orEmpty(v.tools),
		"mcp_servers":        orEmpty(v.mcpServers),
		"skills":             orEmpty(v.skills),
		"execution_identity": v.executionIdentity,
	}
}

func (a *agent) render(v *agentVersion) map[string]any {
	out := a.definition(v)
	out["multiagent"] = v.multiagent
	out["metadata"] = copyStrings(v.metadata)
	out["created_at"] = stamp(a.createdAt)
	out["updated_at"] = stamp(v.savedAt)
	out["archived_at"] = stampOrNull(a.archivedAt)
	return out
}

var agentCreateFields = []string{"name", "model", "description", "system", "tools", "mcp_servers",
	"skills", "multiagent", "execution_identity", "metadata"}

// applyAgentFieldsLocked applies a create or update body onto cfg (a copy of
// the stored config on update). Fields are applied in a fixed order, so the
// first invalid one is the one reported; cross-field rules (MCP references)
// are checked last.
func (s *Server) applyAgentFieldsLocked(body jobj, cfg *agentConfig, create bool) *apiError {
	steps := []func() *apiError{
		func() *apiError { return applyAgentName(body, cfg, create) },
		func() *apiError { return applyOptionalString(body, "description", 2048, &cfg.description) },
		func() *apiError { return applyOptionalString(body, "system", 100000, &cfg.system) },
		func() *apiError { return applyAgentModel(body, cfg, create) },
		func() *apiError { return applyResolvedList(body, "tools", resolveTools, &cfg.tools) },
		func() *apiError { return applyResolvedList(body, "mcp_servers", resolveMCPServers, &cfg.mcpServers) },
		func() *apiError { return applyResolvedList(body, "skills", s.resolveSkillsLocked, &cfg.skills) },
		func() *apiError { return s.applyAgentMultiagentLocked(body, cfg) },
		func() *apiError { return applyAgentExecutionIdentity(body, cfg, create) },
		func() *apiError { return applyAgentMetadata(body, cfg, create) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return checkMCPReferences(cfg.tools, cfg.mcpServers)
}

// applyAgentName sets the required name; an update may omit it but not clear it.
func applyAgentName(body jobj, cfg *agentConfig, create bool) *apiError {
	if !create && !body.present("name") {
		return nil
	}
	name, ok, err := body.strLen("name", 1, 256)
	if err != nil {
		return err
	}
	if !ok {
		if create {
			return errBadRequest("name: field required")
		}
		return errBadRequest("name: cannot be cleared")
	}
	cfg.name = name
	return nil
}

// applyOptionalString sets a clearable string field of at most maxLen
// characters when the body mentions it (null or "" clears it).
func applyOptionalString(body jobj, key string, maxLen int, dst *string) *apiError {
	if !body.present(key) {
		return nil
	}
	v, _, err := body.strLen(key, 0, maxLen)
	if err != nil {
		return err
	}
	*dst = v
	return nil
}

// applyAgentModel sets the required model. On update an omitted effort keeps
// the stored one.
func applyAgentModel(body jobj, cfg *agentConfig, create bool) *apiError {
	if !create && !body.present("model") {
		return nil
	}
	if !body.has("model") {
		if create {
			return errBadRequest("model: field required")
		}
		return errBadRequest("model: cannot be cleared")
	}
	var prevEffort any
	if !create {
		prevEffort = cfg.model["effort"]
	}
	m, err := resolveModel(body.m["model"], "model", prevEffort)
	if err != nil {
		return err
	}
	cfg.model = m
	return nil
}

// applyResolvedList replaces a list field (tools, mcp_servers, skills) whole
// when the body mentions it; resolve validates it and fills in defaults.
func applyResolvedList(body jobj, key string, resolve func([]any, string) ([]any, *apiError), dst *[]any) *apiError {
	if !body.present(key) {
		return nil
	}
	list, _, err := body.arr(key)
	if err != nil {
		return err
	}
	resolved, err := resolve(list, key)
	if err != nil {
		return err
	}
	*dst = resolved
	return nil
}

func (s *Server) applyAgentMultiagentLocked(body jobj, cfg *agentConfig) *apiError {
	if !body.present("multiagent") {
		return nil
	}
	ma, err := s.resolveMultiagentLocked(body.m["multiagent"], "multiagent", cfg.multiagent)
	if err != nil {
		return err
	}
	cfg.multiagent = ma
	return nil
}

// applyAgentExecutionIdentity resolves execution_identity; create always
// resolves it so an omitted one gets the default.
func applyAgentExecutionIdentity(body jobj, cfg *agentConfig, create bool) *apiError {
	if !create && !body.present("execution_identity") {
		return nil
	}
	ei, err := resolveExecutionIdentity(body.m["execution_identity"], "execution_identity")
	if err != nil {
		return err
	}
	cfg.executionIdentity = ei
	return nil
}

// applyAgentMetadata sets metadata on create and patches it on update.
func applyAgentMetadata(body jobj, cfg *agentConfig, create bool) *apiError {
	if create {
		md, err := body.metadata()
		if err != nil {
			return err
		}
		cfg.metadata = md
		return nil
	}
	md, _, err := body.metadataPatch(cfg.metadata, false)
	if err != nil {
		return err
	}
	cfg.metadata = md
	return nil
}

func (s *Server) createAgent(r *http.Request) (any, *apiError) {
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if err := body.only(agentCreateFields...); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var cfg agentConfig
	if err := s.applyAgentFieldsLocked(body, &cfg, true); err != nil {
		return nil, err
	}
	now := s.now()
	a := &agent{id: s.ids.next("agent_"), createdAt: now}
	a.versions = []*agentVersion{{agentConfig: cfg, version: 1, savedAt: now}}
	s.agents[a.id] = a
	s.agentSeq = append(s.agentSeq, a)
	return a.render(a.latest()), nil
}

func (s *Server) agentLocked(id string) (*agent, *apiError) {
	a := s.agents[id]
	if a == nil {
		return nil, errNotFound("agent %s not found", id)
	}
	return a, nil
}

func (s *Server) getAgent(r *http.Request) (any, *apiError) {
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.agentLocked(id)
	if err != nil {
		return nil, err
	}
	v := a.latest()
	if q := r.URL.Query().Get("version"); q != "" {
		n, perr := strconv.ParseInt(q, 10, 64)
		if perr != nil || n < 1 {
			return nil, errBadRequest("version: input should be an integer of at least 1")
		}
		if v = a.version(n); v == nil {
			return nil, errNotFound("agent %s has no version %d", id, n)
		}
	}
	return a.render(v), nil
}

func (s *Server) updateAgent(r *http.Request) (any, *apiError) {
	id := r.PathValue("id")
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if err := body.only(append(agentCreateFields, "version")...); err != nil {
		return nil, err
	}
	expected, hasVersion, err := body.integer("version")
	if err != nil {
		return nil, err
	}
	if hasVersion && expected < 1 {
		return nil, errBadRequest("version: input should be greater than or equal to 1")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.agentLocked(id)
	if err != nil {
		return nil, err
	}
	if a.archivedAt != nil {
		return nil, errBadRequest("agent %s is archived and cannot be modified", id)
	}
	cur := a.latest()
	if hasVersion && expected != cur.version {
		return nil, errConflict("version %d does not match the agent's current version %d", expected, cur.version)
	}
	cfg := cur.agentConfig
	if err := s.applyAgentFieldsLocked(body, &cfg, false); err != nil {
		return nil, err
	}
	// Only a real change makes a new version; re-sending the same
	// configuration is idempotent.
	next := &agentVersion{agentConfig: cfg, version: cur.version + 1, savedAt: s.now()}
	if jsonEqual(a.render(next), a.render(&agentVersion{agentConfig: cur.agentConfig, version: next.version, savedAt: next.savedAt})) {
		return a.render(cur), nil
	}
	a.versions = append(a.versions, next)
	return a.render(next), nil
}

func (s *Server) archiveAgent(r *http.Request) (any, *apiError) {
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.agentLocked(id)
	if err != nil {
		return nil, err
	}
	if a.archivedAt == nil {
		now := s.now()
		a.archivedAt = &now
	}
	return a.render(a.latest()), nil
}

func (s *Server) listAgents(r *http.Request) (any, *apiError) {
	q := r.URL.Query()
	lq, err := parseListQuery(q, 20, 100, "desc", false)
	if err != nil {
		return nil, err
	}
	includeArchived, err := parseIncludeArchived(q)
	if err != nil {
		return nil, err
	}
	tf, err := parseCreatedAt(q)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	items := make([]*agent, 0, len(s.agentSeq))
	for i := len(s.agentSeq) - 1; i >= 0; i-- { // newest first
		a := s.agentSeq[i]
		if (includeArchived || a.archivedAt == nil) && tf.match(a.createdAt) {
			items = append(items, a)
		}
	}
	page, next, _ := paginate(items, func(a *agent) string { return a.id }, lq)
	data := make([]any, len(page))
	for i, a := range page {
		data[i] = a.render(a.latest())
	}
	return map[string]any{"data": data, "next_page": nullIfEmpty(next)}, nil
}

func (s *Server) listAgentVersions(r *http.Request) (any, *apiError) {
	id := r.PathValue("id")
	lq, err := parseListQuery(r.URL.Query(), 20, 100, "desc", false)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.agentLocked(id)
	if err != nil {
		return nil, err
	}
	items := make([]*agentVersion, 0, len(a.versions))
	for i := len(a.versions) - 1; i >= 0; i-- { // newest version first
		items = append(items, a.versions[i])
	}
	key := func(v *agentVersion) string { return fmt.Sprintf("%019d", v.version) }
	page, next, _ := paginate(items, key, lq)
	data := make([]any, len(page))
	for i, v := range page {
		data[i] = a.render(v)
	}
	return map[string]any{"data": data, "next_page": nullIfEmpty(next)}, nil
}
