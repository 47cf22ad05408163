// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"errors"
	"maps"
	"net/http"
	"time"
)

// This file is the tests-only view of what the API never shows: the secret
// values that reached a credential or a repository resource, and the files
// of a skill version. The same data is served under /_simulator/, which
// needs no credentials, so never expose a simulator holding real secrets.

// CredentialInfo is a credential as stored, secret values included.
type CredentialInfo struct {
	ID           string `json:"id"`
	VaultID      string `json:"vault_id"`
	Type         string `json:"type"` // mcp_oauth, static_bearer or environment_variable
	MCPServerURL string `json:"mcp_server_url,omitempty"`
	SecretName   string `json:"secret_name,omitempty"`
	// Secrets holds the secret values by field path within auth:
	// access_token, refresh.refresh_token,
	// refresh.token_endpoint_auth.client_secret, token, secret_value.
	// Archiving purges them.
	Secrets map[string]string `json:"secrets"`
	// Updates counts the accepted update requests; SecretUpdates those of
	// them that changed a secret value.
	Updates       int       `json:"updates"`
	SecretUpdates int       `json:"secret_updates"`
	UpdatedAt     time.Time `json:"updated_at"`
	Archived      bool      `json:"archived"`
}

func (c *credential) info() CredentialInfo {
	return CredentialInfo{ID: c.id, VaultID: c.vaultID, Type: c.auth.typ, MCPServerURL: c.auth.mcpServerURL,
		SecretName: c.auth.secretName, Secrets: c.auth.secrets(), Updates: c.updates,
		SecretUpdates: c.secretUpdates, UpdatedAt: c.updatedAt, Archived: c.archivedAt != nil}
}

// ErrNoVault is returned for an unknown vault id.
var ErrNoVault = errors.New("simulator: no such vault")

// VaultCredentials returns every credential of a vault (archived ones
// included), oldest first.
func (s *Server) VaultCredentials(vaultID string) ([]CredentialInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.vaults.get(vaultID)
	if !ok {
		return nil, ErrNoVault
	}
	var out []CredentialInfo
	for _, c := range v.creds.oldestFirst(nil) {
		out = append(out, c.info())
	}
	return out, nil
}

// Credential returns one credential by id, from whichever vault holds it.
func (s *Server) Credential(id string) (CredentialInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range s.vaults.oldestFirst(nil) {
		if c, ok := v.creds.get(id); ok {
			return c.info(), true
		}
	}
	return CredentialInfo{}, false
}

// ResourceInfo is a session resource as stored, with a repository's
// authorization token.
type ResourceInfo struct {
	ID   string `json:"id"`
	Type string `json:"type"` // github_repository, file or memory_store
	// Token is a repository's authorization token ("" if none was given);
	// TokenUpdates counts how often it was rotated.
	Token        string         `json:"token,omitempty"`
	TokenUpdates int            `json:"token_updates"`
	Resource     map[string]any `json:"resource"` // as the API renders it
}

// SessionResources returns a session's resources in mount order, and false
// if the session does not exist.
func (s *Server) SessionResources(sessionID string) ([]ResourceInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.sessions[sessionID]
	if sess == nil {
		return nil, false
	}
	out := make([]ResourceInfo, len(sess.resources))
	for i, res := range sess.resources {
		id, _ := res["id"].(string)
		out[i] = ResourceInfo{ID: id, Type: res["type"].(string), Resource: maps.Clone(res)}
		if tok := sess.tokens[id]; tok != nil {
			out[i].Token, out[i].TokenUpdates = tok.token, tok.updates
		}
	}
	return out, true
}

// SkillVersionFiles returns the files of a skill version by path (as
// uploaded, e.g. "my-skill/SKILL.md"), and false if there is no such version.
func (s *Server) SkillVersionFiles(skillID, versionID string) (map[string][]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sk, ok := s.skills.get(skillID)
	if !ok {
		return nil, false
	}
	v, ok := sk.versions.get(versionID)
	if !ok {
		return nil, false
	}
	out := make(map[string][]byte, len(v.files))
	for k, b := range v.files {
		out[k] = append([]byte(nil), b...)
	}
	return out, true
}

// ErrNoMemoryStore is returned for an unknown memory store id.
var ErrNoMemoryStore = errors.New("simulator: no such memory store")

// Memories returns a memory store's contents by path.
func (s *Server) Memories(storeID string) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.memStores.get(storeID)
	if !ok {
		return nil, ErrNoMemoryStore
	}
	out := make(map[string]string, len(st.byPath))
	for p, m := range st.byPath {
		out[p] = m.content
	}
	return out, nil
}

// WriteMemory writes content at path in a store the way an agent writing to
// its mounted store does (outside the memories API, so archived stores
// refuse it too). It is how tests make the remote copy diverge.
func (s *Server) WriteMemory(storeID, path, content string) error {
	if err := checkMemoryPath("path", path); err != nil {
		return err
	}
	if len(content) > maxMemoryBytes {
		return errors.New("simulator: memory content over 100 kB")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.writableMemoryStoreLocked(storeID)
	if err != nil {
		return err
	}
	s.writeMemoryLocked(st, st.byPath[path], path, content)
	return nil
}

func (s *Server) inspectRoutes(a *http.ServeMux) {
	a.HandleFunc("GET /_simulator/vaults/{id}/credentials", func(w http.ResponseWriter, r *http.Request) {
		creds, err := s.VaultCredentials(r.PathValue("id"))
		if err != nil {
			writeError(w, errNotFound("vault %s not found", r.PathValue("id")))
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"credentials": creds})
	})
	a.HandleFunc("GET /_simulator/sessions/{id}/resources", func(w http.ResponseWriter, r *http.Request) {
		res, ok := s.SessionResources(r.PathValue("id"))
		if !ok {
			writeError(w, errNotFound("session %s not found", r.PathValue("id")))
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"resources": res})
	})
	a.HandleFunc("GET /_simulator/skills/{id}/versions/{version}/files", func(w http.ResponseWriter, r *http.Request) {
		files, ok := s.SkillVersionFiles(r.PathValue("id"), r.PathValue("version"))
		if !ok {
			writeError(w, errNotFound("skill %s has no version %s", r.PathValue("id"), r.PathValue("version")))
			return
		}
		text := make(map[string]string, len(files))
		for k, b := range files {
			text[k] = string(b)
		}
		writeJSON(w, http.StatusOK, map[string]any{"files": text})
	})
	a.HandleFunc("/_simulator/credential_validations", s.handleValidationRules)
}
