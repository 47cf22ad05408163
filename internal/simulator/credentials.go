// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"maps"
	"net/http"
	"time"
)

type credential struct {
	id          string
	vaultID     string
	displayName *string
	metadata    map[string]string
	auth        credentialAuth
	createdAt   time.Time
	updatedAt   time.Time
	archivedAt  *time.Time

	// For the inspection API: successful updates, and those that changed a
	// secret value.
	updates       int
	secretUpdates int
}

func (c *credential) render() map[string]any {
	return map[string]any{
		"type":         "vault_credential",
		"id":           c.id,
		"vault_id":     c.vaultID,
		"display_name": strOrNull(c.displayName),
		"auth":         c.auth.render(),
		"metadata":     copyStrings(c.metadata),
		"created_at":   stamp(c.createdAt),
		"updated_at":   stamp(c.updatedAt),
		"archived_at":  stampOrNull(c.archivedAt),
	}
}

// archive makes the credential read-only, purges its secrets and frees its
// key for a replacement.
func (c *credential) archive(now time.Time) {
	if c.archivedAt == nil {
		c.archivedAt, c.updatedAt = &now, now
		c.auth.purge()
	}
}

// activeCredentials are the vault's credentials that are not archived.
func (v *vault) activeCredentials() []*credential {
	return v.creds.oldestFirst(func(c *credential) bool { return c.archivedAt == nil })
}

func credentialDisplayName(body jobj) (*string, *apiError) {
	name, ok, err := body.strLen("display_name", 0, 255)
	if err != nil || !ok {
		return nil, err
	}
	return &name, nil
}

func (s *Server) createCredential(r *http.Request) (any, *apiError) {
	body, err := readBodyOnly(r, "auth", "display_name", "metadata")
	if err != nil {
		return nil, err
	}
	name, err := credentialDisplayName(body)
	if err != nil {
		return nil, err
	}
	md, err := body.metadata()
	if err != nil {
		return nil, err
	}
	ao, err := body.reqObj("auth")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	auth, err := parseCredentialAuth(ao, now)
	if err != nil {
		return nil, err
	}
	v, err := s.writableVaultLocked(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	active := v.activeCredentials()
	if len(active) >= maxCredentialsPerVault {
		return nil, errBadRequest("vault %s already holds %d credentials, the maximum", v.id, maxCredentialsPerVault)
	}
	for _, c := range active {
		if c.auth.key() == auth.key() {
			return nil, errConflict("auth: credential %s in vault %s already uses %s", c.id, v.id, auth.key())
		}
	}
	c := &credential{id: s.ids.next("vcrd_"), vaultID: v.id, displayName: name, metadata: md, auth: auth,
		createdAt: now, updatedAt: now}
	v.creds.add(c.id, c)
	return c.render(), nil
}

// credentialOf finds the credential the path names.
func (s *Server) credentialOf(r *http.Request) (*credential, *apiError) {
	_, c, err := s.credentialLocked(r)
	return c, err
}

// credentialLocked finds a credential of the vault named in the path.
func (s *Server) credentialLocked(r *http.Request) (*vault, *credential, *apiError) {
	v, err := s.vaultLocked(r.PathValue("id"))
	if err != nil {
		return nil, nil, err
	}
	id := r.PathValue("cred")
	c, ok := v.creds.get(id)
	if !ok {
		return nil, nil, errNotFound("credential %s not found in vault %s", id, v.id)
	}
	return v, c, nil
}

func (s *Server) updateCredential(r *http.Request) (any, *apiError) {
	body, err := readBodyOnly(r, "auth", "display_name", "metadata")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, c, err := s.credentialLocked(r)
	if err != nil {
		return nil, err
	}
	if v.archivedAt != nil || c.archivedAt != nil {
		return nil, errBadRequest("credential %s is archived and read-only", c.id)
	}
	next := *c
	if body.present("display_name") {
		if next.displayName, err = credentialDisplayName(body); err != nil {
			return nil, err
		}
	}
	if next.metadata, _, err = body.metadataPatch(c.metadata, false); err != nil {
		return nil, err
	}
	if body.has("auth") {
		ao, _ := body.reqObj("auth")
		if next.auth, err = applyAuthUpdate(ao, c.auth, s.now()); err != nil {
			return nil, err
		}
	}
	s.commitCredentialLocked(c, next)
	return c.render(), nil
}

// commitCredentialLocked stores an accepted update and counts it.
func (s *Server) commitCredentialLocked(c *credential, next credential) {
	secretsChanged := !maps.Equal(c.auth.secrets(), next.auth.secrets())
	changed := secretsChanged || !jsonEqual(next.render(), c.render())
	next.updates = c.updates + 1
	if secretsChanged {
		next.secretUpdates = c.secretUpdates + 1
	}
	if changed {
		next.updatedAt = s.now()
	}
	*c = next
}

func (s *Server) deleteCredential(r *http.Request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, c, err := s.credentialLocked(r)
	if err != nil {
		return nil, err
	}
	v.creds.remove(c.id)
	return map[string]any{"id": c.id, "type": "vault_credential_deleted"}, nil
}

func (s *Server) listCredentials(r *http.Request) (any, *apiError) {
	lq, includeArchived, err := archivedListQuery(r, 100)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, err := s.vaultLocked(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	items := v.creds.newestFirst(func(c *credential) bool { return includeArchived || c.archivedAt == nil })
	return pageOf(items, func(c *credential) string { return c.id }, lq, (*credential).render), nil
}
