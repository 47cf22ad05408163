// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"archive/zip"
	"bytes"
	"maps"
	"net/http"
	"slices"
	"time"
)

type skill struct {
	id          string
	displayName string
	name        string // the immutable slug every version must keep
	createdAt   time.Time
	updatedAt   time.Time
	versions    registry[*skillVersion]
}

type skillVersion struct {
	id          string
	skillID     string
	name        string
	description string
	directory   string
	createdAt   time.Time
	files       map[string][]byte
}

func (sk *skill) latest() *skillVersion {
	if sk.versions.len() == 0 {
		return nil
	}
	return sk.versions.newestFirst(nil)[0]
}

func (sk *skill) render() map[string]any {
	var latest any
	if v := sk.latest(); v != nil {
		latest = v.id
	}
	return map[string]any{
		"type":              "skill",
		"id":                sk.id,
		"display_name":      sk.displayName,
		"latest_version_id": latest,
		"source":            map[string]any{"type": "custom"},
		"created_at":        stamp(sk.createdAt),
		"updated_at":        stamp(sk.updatedAt),
	}
}

func (v *skillVersion) render() map[string]any {
	return map[string]any{
		"type":        "skill_version",
		"id":          v.id,
		"skill_id":    v.skillID,
		"name":        v.name,
		"description": v.description,
		"created_at":  stamp(v.createdAt),
	}
}

func (s *Server) newSkillVersionLocked(sk *skill, up skillUpload) *skillVersion {
	now := s.now()
	v := &skillVersion{id: s.ids.next("skillver_"), skillID: sk.id, name: up.name, description: up.description,
		directory: up.directory, createdAt: now, files: up.files}
	sk.versions.add(v.id, v)
	sk.updatedAt = now
	return v
}

func (s *Server) createSkill(r *http.Request) (any, *apiError) {
	up, err := readSkillUpload(r, true)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	sk := &skill{id: s.ids.next("skill_"), displayName: up.displayName, name: up.name, createdAt: now,
		updatedAt: now, versions: newRegistry[*skillVersion]()}
	if sk.displayName == "" {
		sk.displayName = up.name
	}
	s.newSkillVersionLocked(sk, up)
	s.skills.add(sk.id, sk)
	return sk.render(), nil
}

func (s *Server) skillLocked(id string) (*skill, *apiError) { return s.skills.find("skill", id) }

// deleteSkill deletes a skill that has no versions left.
func (s *Server) deleteSkill(r *http.Request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sk, err := s.skillLocked(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if n := sk.versions.len(); n > 0 {
		return nil, errBadRequest("skill %s still has %d version(s); delete them before the skill", sk.id, n)
	}
	s.skills.remove(sk.id)
	return map[string]any{"id": sk.id, "type": "skill_deleted"}, nil
}

func (s *Server) listSkills(r *http.Request) (any, *apiError) {
	q := r.URL.Query()
	lq, err := parseListQuery(q, 20, 1000, "desc", false)
	if err != nil {
		return nil, err
	}
	source := q.Get("source")
	if source != "" && source != "custom" && source != "anthropic" {
		return nil, errBadRequest("source: input should be \"custom\" or \"anthropic\"")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Every simulated skill is custom; Anthropic's own skills are not listed.
	var items []*skill
	if source != "anthropic" {
		items = s.skills.newestFirst(nil)
	}
	return withHasMore(pageOf(items, func(sk *skill) string { return sk.id }, lq, (*skill).render)), nil
}

// withHasMore adds the has_more flag the Skills API's lists carry beside
// next_page.
func withHasMore(page map[string]any) map[string]any {
	page["has_more"] = page["next_page"] != nil
	return page
}

func (s *Server) createSkillVersion(r *http.Request) (any, *apiError) {
	up, err := readSkillUpload(r, false)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sk, err := s.skillLocked(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if up.name != sk.name {
		return nil, errBadRequest("files: SKILL.md names the skill %q but this skill is %q; the name cannot change", up.name, sk.name)
	}
	return s.newSkillVersionLocked(sk, up).render(), nil
}

func (s *Server) skillVersionLocked(r *http.Request) (*skill, *skillVersion, *apiError) {
	sk, err := s.skillLocked(r.PathValue("id"))
	if err != nil {
		return nil, nil, err
	}
	id := r.PathValue("version")
	v, ok := sk.versions.get(id)
	if !ok {
		return nil, nil, errNotFound("skill %s has no version %s", sk.id, id)
	}
	return sk, v, nil
}

// skillVersionOf finds the skill version the path names.
func (s *Server) skillVersionOf(r *http.Request) (*skillVersion, *apiError) {
	_, v, err := s.skillVersionLocked(r)
	return v, err
}

func (s *Server) deleteSkillVersion(r *http.Request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sk, v, err := s.skillVersionLocked(r)
	if err != nil {
		return nil, err
	}
	sk.versions.remove(v.id)
	sk.updatedAt = s.now()
	return map[string]any{"id": v.id, "type": "skill_version_deleted"}, nil
}

func (s *Server) listSkillVersions(r *http.Request) (any, *apiError) {
	lq, err := parseListQuery(r.URL.Query(), 20, 1000, "desc", false)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sk, err := s.skillLocked(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return withHasMore(pageOf(sk.versions.newestFirst(nil), func(v *skillVersion) string { return v.id }, lq, (*skillVersion).render)), nil
}

// downloadSkillVersion answers a version's files as a zip archive.
func (s *Server) downloadSkillVersion(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	_, v, aerr := s.skillVersionLocked(r)
	var files map[string][]byte
	if aerr == nil {
		files = v.files
	}
	s.mu.Unlock()
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		f, err := zw.Create(name)
		if err == nil {
			_, err = f.Write(files[name])
		}
		if err != nil {
			writeError(w, &apiError{status: http.StatusInternalServerError, typ: "api_error", msg: "building the archive failed"})
			return
		}
	}
	if err := zw.Close(); err != nil {
		writeError(w, &apiError{status: http.StatusInternalServerError, typ: "api_error", msg: "building the archive failed"})
		return
	}
	w.Header().Set("content-type", "application/zip")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// resolveSkillsLocked validates an agent's skills and resolves each version
// to a concrete string. A custom skill must exist; omitting its version or
// asking for "latest" pins the newest version id, so a new skill version
// takes an agent update to reach the agent.
func (s *Server) resolveSkillsLocked(list []any, path string) ([]any, *apiError) {
	out, err := resolveSkills(list, path)
	if err != nil {
		return nil, err
	}
	for i, item := range out {
		sk := item.(map[string]any)
		if sk["type"] != "custom" {
			continue
		}
		p := index(path, i)
		id, version := sk["skill_id"].(string), sk["version"].(string)
		stored, ok := s.skills.get(id)
		if !ok {
			return nil, errNotFound("%s.skill_id: skill %s not found", p, id)
		}
		if version == "" || version == "latest" {
			latest := stored.latest()
			if latest == nil {
				return nil, errBadRequest("%s.skill_id: skill %s has no versions", p, id)
			}
			sk["version"] = latest.id
		} else if _, ok := stored.versions.get(version); !ok {
			return nil, errNotFound("%s.version: skill %s has no version %s", p, id, version)
		}
	}
	return out, nil
}
