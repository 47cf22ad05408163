// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"net/http"
	"strings"
	"time"
	"unicode"
)

type memoryStore struct {
	id          string
	name        string
	description string
	metadata    map[string]string
	createdAt   time.Time
	updatedAt   time.Time
	archivedAt  *time.Time

	memories map[string]*memory // by id
	byPath   map[string]*memory
}

func (st *memoryStore) render() map[string]any {
	return map[string]any{
		"type":        "memory_store",
		"id":          st.id,
		"name":        st.name,
		"description": st.description,
		"metadata":    copyStrings(st.metadata),
		"created_at":  stamp(st.createdAt),
		"updated_at":  stamp(st.updatedAt),
		"archived_at": stampOrNull(st.archivedAt),
	}
}

// slug is the store's directory name under /mnt/memory/: the name
// lowercased, every run of characters other than ASCII letters and digits
// turned into one hyphen.
func (st *memoryStore) slug() string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(st.name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	if out := strings.TrimSuffix(b.String(), "-"); out != "" {
		return out
	}
	return "memory"
}

// storeName reads a 1-255 character name without control characters.
func storeName(body jobj, required bool) (string, bool, *apiError) {
	name, ok, err := body.strLen("name", 1, 255)
	if err != nil {
		return "", false, err
	}
	if !ok {
		if required || body.present("name") {
			return "", false, errBadRequest("name: field required")
		}
		return "", false, nil
	}
	if strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return "", false, errBadRequest("name: must not contain control characters")
	}
	return name, true, nil
}

func (s *Server) createMemoryStore(r *http.Request) (any, *apiError) {
	body, err := readBodyOnly(r, "name", "description", "metadata")
	if err != nil {
		return nil, err
	}
	name, _, err := storeName(body, true)
	if err != nil {
		return nil, err
	}
	desc, _, err := body.strLen("description", 0, 1024)
	if err != nil {
		return nil, err
	}
	md, err := body.metadata()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	st := &memoryStore{id: s.ids.next("memstore_"), name: name, description: desc, metadata: md,
		createdAt: now, updatedAt: now, memories: map[string]*memory{}, byPath: map[string]*memory{}}
	s.memStores.add(st.id, st)
	return st.render(), nil
}

func (s *Server) memoryStoreLocked(id string) (*memoryStore, *apiError) {
	return s.memStores.find("memory store", id)
}

// writableMemoryStoreLocked is memoryStoreLocked for requests that change the
// store or create and update its memories, which an archived store refuses.
func (s *Server) writableMemoryStoreLocked(id string) (*memoryStore, *apiError) {
	st, err := s.memoryStoreLocked(id)
	if err == nil && st.archivedAt != nil {
		err = errBadRequest("memory store %s is archived; its memories can be read and deleted but not written", id)
	}
	return st, err
}

func (s *Server) updateMemoryStore(r *http.Request) (any, *apiError) {
	body, err := readBodyOnly(r, "name", "description", "metadata")
	if err != nil {
		return nil, err
	}
	name, hasName, err := storeName(body, false)
	if err != nil {
		return nil, err
	}
	desc, hasDesc, err := body.strLen("description", 0, 1024)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.writableMemoryStoreLocked(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	md, mdChanged, err := body.metadataPatch(st.metadata, false)
	if err != nil {
		return nil, err
	}
	changed := mdChanged || (hasName && name != st.name) || (hasDesc && desc != st.description)
	if hasName {
		st.name = name
	}
	if hasDesc {
		st.description = desc
	}
	st.metadata = md
	if changed {
		st.updatedAt = s.now()
	}
	return st.render(), nil
}

// archive makes the store read-only for good.
func (st *memoryStore) archive(now time.Time) {
	if st.archivedAt == nil {
		st.archivedAt, st.updatedAt = &now, now
	}
}

func (s *Server) listMemoryStores(r *http.Request) (any, *apiError) {
	lq, includeArchived, err := archivedListQuery(r, 100)
	if err != nil {
		return nil, err
	}
	created, err := parseCreatedAt(r.URL.Query())
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	items := s.memStores.newestFirst(func(st *memoryStore) bool {
		return (includeArchived || st.archivedAt == nil) && created.match(st.createdAt)
	})
	return pageOf(items, func(st *memoryStore) string { return st.id }, lq, (*memoryStore).render), nil
}
