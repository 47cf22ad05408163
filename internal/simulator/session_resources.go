// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"time"
)

// Session resource limits.
const (
	maxFileResources        = 999
	maxMemoryStoreResources = 8
)

// resourceToken is a repository resource's write-only authorization token
// and how often it was rotated (for the inspection API).
type resourceToken struct {
	token   string
	updates int
}

// attachResourceLocked gives a parsed resource its id and timestamps and
// mounts it in the session.
func (s *Server) attachResourceLocked(sess *session, pr parsedResource, now time.Time) map[string]any {
	res := pr.res
	res["id"] = s.ids.next("sesrsc_")
	res["created_at"], res["updated_at"] = stamp(now), stamp(now)
	sess.resources = append(sess.resources, res)
	if pr.token != "" {
		sess.tokens[res["id"].(string)] = &resourceToken{token: pr.token}
	}
	return res
}

// resolveMemoryStoresLocked checks the memory store resources of a new
// session against the stored stores and snapshots each store's name and
// description into its resource, with the mount path derived from the name.
func (s *Server) resolveMemoryStoresLocked(resources []parsedResource) *apiError {
	seen := map[string]bool{}
	mounts := map[string]bool{}
	for i, pr := range resources {
		if pr.res["type"] != "memory_store" {
			continue
		}
		p := index("resources", i) + ".memory_store_id"
		id := pr.res["memory_store_id"].(string)
		st, ok := s.memStores.get(id)
		if !ok {
			return errNotFound("%s: memory store %s not found", p, id)
		}
		if st.archivedAt != nil {
			return errBadRequest("%s: memory store %s is archived; new sessions cannot attach it", p, id)
		}
		if seen[id] {
			return errBadRequest("%s: memory store %s is attached twice", p, id)
		}
		seen[id] = true
		if len(seen) > maxMemoryStoreResources {
			return errBadRequest("resources: at most %d memory stores can be attached to a session", maxMemoryStoreResources)
		}
		mount := "/mnt/memory/" + st.slug()
		for n := 2; mounts[mount]; n++ {
			mount = fmt.Sprintf("/mnt/memory/%s-%d", st.slug(), n)
		}
		mounts[mount] = true
		pr.res["name"], pr.res["description"], pr.res["mount_path"] = st.name, st.description, mount
	}
	return nil
}

// sessionResourceLocked finds the resource named in the path.
func (s *Server) sessionResourceLocked(r *http.Request) (*session, map[string]any, *apiError) {
	sess, err := s.sessionLocked(r.PathValue("id"))
	if err != nil {
		return nil, nil, err
	}
	id := r.PathValue("rid")
	for _, res := range sess.resources {
		if res["id"] == id {
			return sess, res, nil
		}
	}
	return nil, nil, errNotFound("resource %s not found in session %s", id, sess.id)
}

// mutableSession refuses resource changes on a session that can no
// longer change.
func mutableSession(sess *session) *apiError {
	switch {
	case sess.archivedAt != nil:
		return errBadRequest("session %s is archived and read-only", sess.id)
	case sess.status == StatusTerminated:
		return errBadRequest("session %s is terminated; its resources can no longer change", sess.id)
	}
	return nil
}

func (s *Server) listSessionResources(r *http.Request) (any, *apiError) {
	q := r.URL.Query()
	// Without a limit the whole list comes back in one page.
	lq, err := parseListQuery(q, maxFileResources+maxMemoryStoreResources+1000, 1000, "asc", false)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, err := s.sessionLocked(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return pageOf(slices.Clone(sess.resources), func(res map[string]any) string { return res["id"].(string) }, lq,
		maps.Clone[map[string]any]), nil
}

// resourceOf finds the session resource the path names.
func (s *Server) resourceOf(r *http.Request) (map[string]any, *apiError) {
	_, res, err := s.sessionResourceLocked(r)
	return res, err
}

// mutableResourceLocked finds the resource the path names on a session whose
// resources may still change, and refuses it unless it has type typ.
func (s *Server) mutableResourceLocked(r *http.Request, typ, refusal string) (*session, map[string]any, *apiError) {
	sess, res, err := s.sessionResourceLocked(r)
	if err == nil {
		err = mutableSession(sess)
	}
	if err == nil && res["type"] != typ {
		err = errBadRequest("resource %s is a %s resource; %s", res["id"], res["type"], refusal)
	}
	return sess, res, err
}

// addSessionResource mounts a file into a session. Only files can be added
// after creation: repositories and memory stores are attached when the
// session is created and stay for its lifetime.
func (s *Server) addSessionResource(r *http.Request) (any, *apiError) {
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	t, _, err := body.enum("type", "file", "github_repository", "memory_store")
	if err != nil {
		return nil, err
	}
	if t != "" && t != "file" {
		return nil, errBadRequest("type: only file resources can be added to an existing session; %s resources are attached when the session is created", t)
	}
	res, err := parseFileResource(body)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, err := s.sessionLocked(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if err := mutableSession(sess); err != nil {
		return nil, err
	}
	files := 0
	for _, other := range sess.resources {
		if other["mount_path"] == res["mount_path"] {
			return nil, errBadRequest("mount_path: mount path %s is used by resource %s", res["mount_path"], other["id"])
		}
		if other["type"] == "file" {
			files++
		}
	}
	if files >= maxFileResources {
		return nil, errBadRequest("session %s already mounts %d files, the maximum", sess.id, maxFileResources)
	}
	now := s.now()
	sess.updatedAt = now
	return maps.Clone(s.attachResourceLocked(sess, parsedResource{res: res}, now)), nil
}

// updateSessionResource rotates a repository's authorization token, the only
// change the API allows on a mounted resource.
func (s *Server) updateSessionResource(r *http.Request) (any, *apiError) {
	body, err := readBodyOnly(r, "authorization_token")
	if err != nil {
		return nil, err
	}
	token, _, err := secretToken(body, "authorization_token", true)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, res, err := s.mutableResourceLocked(r, "github_repository", "only github_repository resources support token rotation")
	if err != nil {
		return nil, err
	}
	id := res["id"].(string)
	tok := sess.tokens[id]
	if tok == nil {
		tok = &resourceToken{}
		sess.tokens[id] = tok
	}
	tok.token = token
	tok.updates++
	res["updated_at"] = stamp(s.now())
	return maps.Clone(res), nil
}

// deleteSessionResource unmounts a file. Repositories and memory stores stay
// attached for the session's lifetime.
func (s *Server) deleteSessionResource(r *http.Request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, res, err := s.mutableResourceLocked(r, "file", "only file resources can be removed from a session")
	if err != nil {
		return nil, err
	}
	id := res["id"].(string)
	sess.resources = slices.DeleteFunc(sess.resources, func(x map[string]any) bool { return x["id"] == id })
	sess.updatedAt = s.now()
	return map[string]any{"id": id, "type": "session_resource_deleted"}, nil
}
