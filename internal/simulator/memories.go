// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"time"
)

// maxMemoryBytes is the largest memory content the API stores.
const maxMemoryBytes = 102400

type memory struct {
	id        string
	storeID   string
	path      string
	content   string
	sha       string
	versionID string
	createdAt time.Time
	updatedAt time.Time
}

func contentSHA(content string) string {
	sum := sha256.Sum256([]byte(content))
	return hex.EncodeToString(sum[:])
}

func (m *memory) render(full bool) map[string]any {
	var content any
	if full {
		content = m.content
	}
	return map[string]any{
		"type":               "memory",
		"id":                 m.id,
		"memory_store_id":    m.storeID,
		"path":               m.path,
		"content":            content,
		"content_sha256":     m.sha,
		"content_size_bytes": len(m.content),
		"memory_version_id":  m.versionID,
		"created_at":         stamp(m.createdAt),
		"updated_at":         stamp(m.updatedAt),
	}
}

// parseView reads the view query parameter ("basic" or "full").
func parseView(q url.Values, def string) (full bool, _ *apiError) {
	switch v := q.Get("view"); v {
	case "":
		return def == "full", nil
	case "basic", "full":
		return v == "full", nil
	default:
		return false, errBadRequest("view: input should be \"basic\" or \"full\"")
	}
}

func memoryContent(body jobj, required bool) (string, bool, *apiError) {
	c, ok, err := body.str("content")
	if err != nil {
		return "", false, err
	}
	if !ok && required {
		return "", false, errBadRequest("content: field required")
	}
	if len(c) > maxMemoryBytes {
		return "", false, errBadRequest("content: at most %d bytes are allowed, got %d", maxMemoryBytes, len(c))
	}
	return c, ok, nil
}

func pathConflict(path string, other *memory) *apiError {
	return (&apiError{status: http.StatusConflict, typ: "memory_path_conflict_error",
		msg: "a memory already exists at path " + path}).with("conflicting_memory_id", other.id)
}

func preconditionFailed() *apiError {
	return &apiError{status: http.StatusConflict, typ: "memory_precondition_failed_error",
		msg: "the memory's content_sha256 does not match the precondition; read it again and retry"}
}

// writeMemoryLocked creates or changes a memory; every change is a new
// memory version.
func (s *Server) writeMemoryLocked(st *memoryStore, m *memory, path, content string) *memory {
	now := s.now()
	if m == nil {
		m = &memory{id: s.ids.next("mem_"), storeID: st.id, createdAt: now}
		st.memories[m.id] = m
	} else {
		delete(st.byPath, m.path)
	}
	m.path, m.content, m.sha = path, content, contentSHA(content)
	m.versionID, m.updatedAt = s.ids.next("memver_"), now
	st.byPath[path] = m
	return m
}

// readMemoryRequest reads a create or update body with the fields allowed,
// and the view of the answer (basic unless asked).
func readMemoryRequest(r *http.Request, allowed ...string) (jobj, bool, *apiError) {
	full, err := parseView(r.URL.Query(), "basic")
	if err != nil {
		return jobj{}, false, err
	}
	body, err := readBodyOnly(r, allowed...)
	return body, full, err
}

func (s *Server) createMemory(r *http.Request) (any, *apiError) {
	body, full, err := readMemoryRequest(r, "path", "content")
	if err != nil {
		return nil, err
	}
	path, err := body.reqStr("path")
	if err != nil {
		return nil, err
	}
	if err := checkMemoryPath("path", path); err != nil {
		return nil, err
	}
	content, _, err := memoryContent(body, true)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.writableMemoryStoreLocked(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if other := st.byPath[path]; other != nil {
		return nil, pathConflict(path, other)
	}
	return s.writeMemoryLocked(st, nil, path, content).render(full), nil
}

func (s *Server) memoryLocked(r *http.Request, writable bool) (*memoryStore, *memory, *apiError) {
	find := s.memoryStoreLocked
	if writable {
		find = s.writableMemoryStoreLocked
	}
	st, err := find(r.PathValue("id"))
	if err != nil {
		return nil, nil, err
	}
	id := r.PathValue("mid")
	m := st.memories[id]
	if m == nil {
		return nil, nil, errNotFound("memory %s not found in memory store %s", id, st.id)
	}
	return st, m, nil
}

func (s *Server) getMemory(r *http.Request) (any, *apiError) {
	full, err := parseView(r.URL.Query(), "full")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, m, err := s.memoryLocked(r, false)
	if err != nil {
		return nil, err
	}
	return m.render(full), nil
}

func (s *Server) updateMemory(r *http.Request) (any, *apiError) {
	body, full, err := readMemoryRequest(r, "path", "content", "precondition")
	if err != nil {
		return nil, err
	}
	path, hasPath, err := body.str("path")
	if err != nil {
		return nil, err
	}
	if hasPath {
		if err := checkMemoryPath("path", path); err != nil {
			return nil, err
		}
	}
	content, hasContent, err := memoryContent(body, false)
	if err != nil {
		return nil, err
	}
	expect, err := parsePrecondition(body)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, m, err := s.memoryLocked(r, true)
	if err != nil {
		return nil, err
	}
	if expect != "" && expect != m.sha {
		return nil, preconditionFailed()
	}
	if !hasPath {
		path = m.path
	}
	if !hasContent {
		content = m.content
	}
	if other := st.byPath[path]; other != nil && other != m {
		return nil, pathConflict(path, other)
	}
	if path != m.path || content != m.content {
		s.writeMemoryLocked(st, m, path, content)
	}
	return m.render(full), nil
}

// parsePrecondition reads {type: "content_sha256", content_sha256}.
func parsePrecondition(body jobj) (string, *apiError) {
	p, ok, err := body.obj("precondition")
	if err != nil || !ok {
		return "", err
	}
	if err := p.only("type", "content_sha256"); err != nil {
		return "", err
	}
	if _, _, err := p.enum("type", "content_sha256"); err != nil {
		return "", err
	}
	sha, err := p.reqStr("content_sha256")
	if err != nil {
		return "", err
	}
	if !sha256Hex.MatchString(sha) {
		return "", errBadRequest("%s: must be 64 lowercase hexadecimal characters", p.at("content_sha256"))
	}
	return sha, nil
}

func (s *Server) deleteMemory(r *http.Request) (any, *apiError) {
	expect := r.URL.Query().Get("expected_content_sha256")
	if expect != "" && !sha256Hex.MatchString(expect) {
		return nil, errBadRequest("expected_content_sha256: must be 64 lowercase hexadecimal characters")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, m, err := s.memoryLocked(r, false)
	if err != nil {
		return nil, err
	}
	if expect != "" && expect != m.sha {
		return nil, preconditionFailed()
	}
	delete(st.memories, m.id)
	delete(st.byPath, m.path)
	return map[string]any{"id": m.id, "type": "memory_deleted"}, nil
}
