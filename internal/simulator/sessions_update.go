// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"net/http"
)

func (s *Server) updateSession(r *http.Request) (any, *apiError) {
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if err := body.only("title", "metadata", "agent", "budget", "vault_ids"); err != nil {
		return nil, err
	}
	if body.present("vault_ids") {
		return nil, errBadRequest("vault_ids: vault_ids can only be set when a session is created")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, err := s.sessionLocked(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if sess.archivedAt != nil {
		return nil, errBadRequest("session %s is archived and read-only", sess.id)
	}
	u := newSessionUpdate(sess)
	for _, apply := range []func(jobj) *apiError{u.applyTitle, u.applyMetadata, u.applyBudget, u.applyAgent} {
		if err := apply(body); err != nil {
			return nil, err
		}
	}
	if len(u.changed) == 0 {
		return sess.render(s.now()), nil
	}
	return s.commitSessionUpdateLocked(u), nil
}

// sessionUpdate is the state an update body asks for, and which fields of it
// differ from the session's (the session.updated event's payload).
type sessionUpdate struct {
	sess        *session
	title       string
	metadata    map[string]string
	budget      map[string]any
	budgetMinor int64
	snapshot    map[string]any
	changed     map[string]any
}

func newSessionUpdate(sess *session) *sessionUpdate {
	return &sessionUpdate{sess: sess, title: sess.title, metadata: sess.metadata, budget: sess.budget,
		budgetMinor: sess.budgetMinor, snapshot: sess.snapshot, changed: map[string]any{}}
}

func (u *sessionUpdate) applyTitle(body jobj) *apiError {
	if !body.present("title") {
		return nil
	}
	title, _, err := body.strLen("title", 0, 512)
	if err != nil {
		return err
	}
	u.title = title
	if title != u.sess.title {
		u.changed["title"] = title
	}
	return nil
}

func (u *sessionUpdate) applyMetadata(body jobj) *apiError {
	md, mdChanged, err := body.metadataPatch(u.sess.metadata, false)
	if err != nil {
		return err
	}
	u.metadata = md
	if mdChanged {
		u.changed["metadata"] = copyStrings(md)
	}
	return nil
}

// applyBudget raises or removes the budget. A budget can only be added at
// creation, and a new one must exceed what was already spent.
func (u *sessionUpdate) applyBudget(body jobj) *apiError {
	if !body.present("budget") {
		return nil
	}
	sess := u.sess
	if sess.status == StatusTerminated {
		return errBadRequest("budget: a terminated session's budget cannot change")
	}
	if sess.budget == nil {
		return errBadRequest("budget: a budget can only be added when a session is created").withCode("budget_create_only")
	}
	var budget map[string]any
	var budgetMinor int64
	if body.has("budget") {
		var err *apiError
		if budget, budgetMinor, err = parseBudget(body.m["budget"], "budget"); err != nil {
			return err
		}
		if budgetMinor <= sess.usage.costMinor {
			return errBadRequest("budget.max_list_cost.amount: must exceed the %d already consumed", sess.usage.costMinor).withCode("budget_not_raised")
		}
	}
	u.budget, u.budgetMinor = budget, budgetMinor
	if !jsonEqual(budget, sess.budget) {
		u.changed["budget"] = budget
	}
	return nil
}

// applyAgent replaces the snapshot's tools and/or mcp_servers, which only an
// idle session allows.
func (u *sessionUpdate) applyAgent(body jobj) *apiError {
	if !body.has("agent") {
		return nil
	}
	ao, err := body.reqObj("agent")
	if err != nil {
		return err
	}
	if err := ao.only("tools", "mcp_servers"); err != nil {
		return err
	}
	if u.sess.busy() || u.sess.turn != nil {
		return errBadRequest("agent: a running session's agent cannot change; interrupt it first")
	}
	snapshot, err := updateSnapshotTools(ao, u.sess.snapshot)
	if err != nil {
		return err
	}
	u.snapshot = snapshot
	if !jsonEqual(snapshot, u.sess.snapshot) {
		u.changed["agent"] = snapshot
	}
	return nil
}

// commitSessionUpdateLocked stores a changed update and publishes session.updated.
func (s *Server) commitSessionUpdateLocked(u *sessionUpdate) map[string]any {
	sess := u.sess
	now := s.now()
	sess.title, sess.metadata, sess.budget, sess.budgetMinor, sess.snapshot = u.title, u.metadata, u.budget, u.budgetMinor, u.snapshot
	if sess.budgetPaused && (u.budget == nil || u.budgetMinor > sess.usage.costMinor) {
		sess.budgetPaused = false
	}
	sess.updatedAt = now
	u.changed["type"] = "session.updated"
	s.appendEventLocked(sess, u.changed)
	return sess.render(now)
}

// updateSnapshotTools replaces the snapshot's tools and/or mcp_servers.
func updateSnapshotTools(ao jobj, snap map[string]any) (map[string]any, *apiError) {
	tools, _ := snap["tools"].([]any)
	servers, _ := snap["mcp_servers"].([]any)
	var err *apiError
	if ao.present("tools") {
		list, _, e := ao.arr("tools")
		if e != nil {
			return nil, e
		}
		if tools, err = resolveTools(list, "agent.tools"); err != nil {
			return nil, err
		}
	}
	if ao.present("mcp_servers") {
		list, _, e := ao.arr("mcp_servers")
		if e != nil {
			return nil, e
		}
		if servers, err = resolveMCPServers(list, "agent.mcp_servers"); err != nil {
			return nil, err
		}
	}
	if err := checkMCPReferences(tools, servers); err != nil {
		return nil, err
	}
	out := map[string]any{}
	for k, v := range snap {
		out[k] = v
	}
	out["tools"], out["mcp_servers"] = orEmpty(tools), orEmpty(servers)
	return out, nil
}
