// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"net/http"
	"net/url"
	"slices"
)

var sessionStatuses = []string{StatusIdle, StatusRunning, StatusRescheduling, StatusTerminated}

func (s *Server) listSessions(r *http.Request) (any, *apiError) {
	q := r.URL.Query()
	lq, err := parseListQuery(q, 20, 100, "desc", true)
	if err != nil {
		return nil, err
	}
	f, err := parseSessionFilter(q)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	items := make([]*session, 0, len(s.sessSeq))
	for _, sess := range s.sessSeq {
		if f.match(sess) {
			items = append(items, sess)
		}
	}
	if lq.order == "desc" {
		slices.Reverse(items)
	}
	page, next, prev := paginate(items, func(x *session) string { return x.id }, lq)
	data := make([]any, len(page))
	for i, sess := range page {
		data[i] = sess.render(now)
	}
	return map[string]any{"data": data, "next_page": nullIfEmpty(next), "prev_page": nullIfEmpty(prev)}, nil
}

// sessionFilter is the filter part of a list-sessions request.
type sessionFilter struct {
	includeArchived bool
	created         timeFilter
	statuses        []string
	agentID         string
	agentVersion    int64 // 0: any
	deploymentID    string
	memoryStoreID   string
}

func parseSessionFilter(q url.Values) (sessionFilter, *apiError) {
	var f sessionFilter
	var err *apiError
	if f.includeArchived, err = parseIncludeArchived(q); err != nil {
		return f, err
	}
	if f.created, err = parseCreatedAt(q); err != nil {
		return f, err
	}
	f.statuses = queryList(q, "statuses")
	for _, st := range f.statuses {
		if !slices.Contains(sessionStatuses, st) {
			return f, errBadRequest("statuses: input should be %s", quoteList(sessionStatuses))
		}
	}
	f.agentID, f.deploymentID, f.memoryStoreID = q.Get("agent_id"), q.Get("deployment_id"), q.Get("memory_store_id")
	if v := q.Get("agent_version"); v != "" {
		if f.agentVersion, err = parseInt(v, "agent_version"); err != nil {
			return f, err
		}
	}
	return f, nil
}

func (f sessionFilter) match(sess *session) bool {
	switch {
	case !f.includeArchived && sess.archivedAt != nil,
		!f.created.match(sess.createdAt),
		f.agentID != "" && sess.agentID != f.agentID,
		f.agentVersion != 0 && sess.agentVersion != f.agentVersion,
		len(f.statuses) > 0 && !slices.Contains(f.statuses, sess.status),
		f.deploymentID != "" && sess.deploymentID != f.deploymentID:
		return false
	}
	return f.memoryStoreID == "" || sess.usesMemoryStore(f.memoryStoreID)
}

func (sess *session) usesMemoryStore(id string) bool {
	for _, r := range sess.resources {
		if r["type"] == "memory_store" && r["memory_store_id"] == id {
			return true
		}
	}
	return false
}
