// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"net/http"
	"slices"
	"time"
)

type environment struct {
	id          string
	name        string
	description *string
	scope       string
	metadata    map[string]string
	config      map[string]any
	createdAt   time.Time
	updatedAt   time.Time
	archivedAt  *time.Time

	// key and queue are a self-hosted environment's own environment key and work queue; both are
	// unset for a cloud environment.
	key   string
	queue *workQueue
}

var packageManagers = []string{"apt", "cargo", "gem", "go", "npm", "pip"}

func (e *environment) render() map[string]any {
	var desc any
	if e.description != nil {
		desc = *e.description
	}
	return map[string]any{
		"type":        "environment",
		"id":          e.id,
		"name":        e.name,
		"description": desc,
		"scope":       e.scope,
		"metadata":    copyStrings(e.metadata),
		"config":      e.config,
		"created_at":  stamp(e.createdAt),
		"updated_at":  stamp(e.updatedAt),
		"archived_at": stampOrNull(e.archivedAt),
	}
}

func defaultCloudConfig() map[string]any {
	pk := map[string]any{"type": "packages"}
	for _, m := range packageManagers {
		pk[m] = []any{}
	}
	return map[string]any{"type": "cloud", "networking": map[string]any{"type": "unrestricted"}, "packages": pk}
}

// resolveEnvConfig resolves a config body. On update prev is the stored
// config: fields omitted inside config keep their stored values, and the
// config type cannot change.
func resolveEnvConfig(v any, prev map[string]any) (map[string]any, *apiError) {
	if v == nil {
		if prev != nil {
			return prev, nil
		}
		return defaultCloudConfig(), nil
	}
	o, err := asObject(v, "config")
	if err != nil {
		return nil, err
	}
	t, ok, err := o.enum("type", "cloud", "self_hosted")
	if err != nil {
		return nil, err
	}
	if !ok {
		if prev == nil {
			return nil, errBadRequest("config.type: field required")
		}
		t = prev["type"].(string)
	}
	if prev != nil && prev["type"] != t {
		return nil, errBadRequest("config.type: cannot change an environment's config type from %q to %q", prev["type"], t).
			withCode("invalid_config_type_change")
	}
	if t == "self_hosted" {
		if err := o.only("type"); err != nil {
			return nil, err
		}
		return map[string]any{"type": "self_hosted"}, nil
	}
	if err := o.only("type", "networking", "packages"); err != nil {
		return nil, err
	}
	base := defaultCloudConfig()
	if prev != nil {
		base = prev
	}
	networking, err := resolveNetworking(o, base["networking"].(map[string]any))
	if err != nil {
		return nil, err
	}
	packages, err := resolvePackages(o, base["packages"].(map[string]any))
	if err != nil {
		return nil, err
	}
	if networking["type"] == "limited" && networking["allow_package_managers"] == false {
		for _, m := range packageManagers {
			if len(packages[m].([]any)) > 0 {
				return nil, errBadRequest("config.networking.allow_package_managers: must be true when packages are specified under limited networking")
			}
		}
	}
	return map[string]any{"type": "cloud", "networking": networking, "packages": packages}, nil
}

func resolveNetworking(o jobj, prev map[string]any) (map[string]any, *apiError) {
	n, ok, err := o.obj("networking")
	if err != nil || !ok {
		return prev, err
	}
	t, ok, err := n.enum("type", "unrestricted", "limited")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errBadRequest("%s: field required", n.at("type"))
	}
	if t == "unrestricted" {
		if err := n.only("type"); err != nil {
			return nil, err
		}
		return map[string]any{"type": "unrestricted"}, nil
	}
	if err := n.only("type", "allowed_hosts", "allow_mcp_servers", "allow_package_managers"); err != nil {
		return nil, err
	}
	out := map[string]any{"type": "limited", "allowed_hosts": []any{}, "allow_mcp_servers": false, "allow_package_managers": false}
	if prev["type"] == "limited" { // omitted fields keep their stored values
		for k, v := range prev {
			out[k] = v
		}
	}
	if hosts, ok, err := n.strList("allowed_hosts"); err != nil {
		return nil, err
	} else if ok {
		list := make([]any, len(hosts))
		for i, h := range hosts {
			list[i] = h
		}
		out["allowed_hosts"] = list
	}
	for _, k := range []string{"allow_mcp_servers", "allow_package_managers"} {
		if b, ok, err := n.boolean(k); err != nil {
			return nil, err
		} else if ok {
			out[k] = b
		}
	}
	return out, nil
}

func resolvePackages(o jobj, prev map[string]any) (map[string]any, *apiError) {
	p, ok, err := o.obj("packages")
	if err != nil || !ok {
		return prev, err
	}
	if err := p.only(append([]string{"type"}, packageManagers...)...); err != nil {
		return nil, err
	}
	if t, ok, err := p.str("type"); err != nil {
		return nil, err
	} else if ok && t != "packages" {
		return nil, errBadRequest("%s: input should be \"packages\"", p.at("type"))
	}
	out := map[string]any{"type": "packages"}
	for _, m := range packageManagers {
		out[m] = prev[m]
		list, ok, err := p.strList(m)
		if err != nil {
			return nil, err
		}
		if ok {
			items := make([]any, len(list))
			for i, s := range list {
				if s == "" {
					return nil, errBadRequest("%s: package names must be non-empty", index(p.at(m), i))
				}
				items[i] = s
			}
			out[m] = items
		}
	}
	return out, nil
}

func resolveScope(o jobj) (string, bool, *apiError) {
	scope, ok, err := o.enum("scope", "organization", "account")
	if err != nil {
		return "", false, err
	}
	if scope == "account" {
		return "", false, errBadRequest("scope: API organizations support only \"organization\"")
	}
	return scope, ok, nil
}

// nameTakenLocked reports whether a live (non-archived) environment other than
// self already uses name.
func (s *Server) nameTakenLocked(name string, self *environment) bool {
	for _, e := range s.envSeq {
		if e != self && e.archivedAt == nil && e.name == name {
			return true
		}
	}
	return false
}

func (s *Server) createEnvironment(r *http.Request) (any, *apiError) {
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if err := body.only("name", "description", "config", "scope", "metadata"); err != nil {
		return nil, err
	}
	name, ok, err := body.strLen("name", 1, 256)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errBadRequest("name: field required")
	}
	var desc *string
	if d, ok, err := body.strLen("description", 0, 2048); err != nil {
		return nil, err
	} else if ok {
		desc = &d
	}
	scope, ok, err := resolveScope(body)
	if err != nil {
		return nil, err
	}
	if !ok {
		scope = "organization"
	}
	md, err := body.metadata()
	if err != nil {
		return nil, err
	}
	cfg, err := resolveEnvConfig(body.m["config"], nil)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.nameTakenLocked(name, nil) {
		return nil, errConflict("an environment named %q already exists", name)
	}
	now := s.now()
	e := &environment{id: s.ids.next("env_"), name: name, description: desc, scope: scope, metadata: md,
		config: cfg, createdAt: now, updatedAt: now}
	if cfg["type"] == "self_hosted" {
		e.key, e.queue = randomToken(environmentKeyPrefix), newWorkQueue()
		s.envKeys[e.key] = e
	}
	s.envs[e.id] = e
	s.envSeq = append(s.envSeq, e)
	return e.render(), nil
}

func (s *Server) envLocked(id string) (*environment, *apiError) {
	e := s.envs[id]
	if e == nil {
		return nil, errNotFound("environment %s not found", id)
	}
	return e, nil
}

func (s *Server) getEnvironment(r *http.Request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.envLocked(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return e.render(), nil
}

func (s *Server) updateEnvironment(r *http.Request) (any, *apiError) {
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if err := body.only("name", "description", "config", "scope", "metadata"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.envLocked(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if e.archivedAt != nil {
		return nil, errBadRequest("environment %s is archived and cannot be updated", e.id).withCode("environment_archived")
	}
	upd := *e
	if body.present("name") {
		name, ok, err := body.strLen("name", 1, 256)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errBadRequest("name: cannot be cleared")
		}
		if name != e.name && s.nameTakenLocked(name, e) {
			return nil, errConflict("an environment named %q already exists", name)
		}
		upd.name = name
	}
	if body.present("description") {
		d, ok, err := body.strLen("description", 0, 2048)
		if err != nil {
			return nil, err
		}
		upd.description = nil
		if ok {
			upd.description = &d
		}
	}
	if scope, ok, err := resolveScope(body); err != nil {
		return nil, err
	} else if ok {
		upd.scope = scope
	}
	if upd.metadata, _, err = body.metadataPatch(e.metadata, true); err != nil {
		return nil, err
	}
	if body.has("config") {
		if upd.config, err = resolveEnvConfig(body.m["config"], e.config); err != nil {
			return nil, err
		}
	}
	if !jsonEqual(upd.render(), e.render()) {
		upd.updatedAt = s.now()
		*e = upd
	}
	return e.render(), nil
}

func (s *Server) archiveEnvironment(r *http.Request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.envLocked(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if e.archivedAt == nil {
		now := s.now()
		e.archivedAt, e.updatedAt = &now, now
	}
	return e.render(), nil
}

func (s *Server) deleteEnvironment(r *http.Request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.envLocked(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if e.queue != nil {
		for _, w := range e.queue.items {
			s.stopWorkLocked(e, w)
		}
		delete(s.envKeys, e.key)
	}
	delete(s.envs, e.id)
	s.envSeq = slices.DeleteFunc(s.envSeq, func(x *environment) bool { return x == e })
	return map[string]any{"id": e.id, "type": "environment_deleted"}, nil
}

func (s *Server) listEnvironments(r *http.Request) (any, *apiError) {
	q := r.URL.Query()
	lq, err := parseListQuery(q, 20, 100, "desc", false)
	if err != nil {
		return nil, err
	}
	includeArchived, err := parseIncludeArchived(q)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	items := make([]*environment, 0, len(s.envSeq))
	for i := len(s.envSeq) - 1; i >= 0; i-- { // newest first
		if e := s.envSeq[i]; includeArchived || e.archivedAt == nil {
			items = append(items, e)
		}
	}
	page, next, _ := paginate(items, func(e *environment) string { return e.id }, lq)
	data := make([]any, len(page))
	for i, e := range page {
		data[i] = e.render()
	}
	return map[string]any{"data": data, "next_page": nullIfEmpty(next)}, nil
}
