// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"net/http"
	"time"
)

// maxCredentialsPerVault is how many active credentials one vault may hold.
const maxCredentialsPerVault = 20

type vault struct {
	id          string
	displayName string
	metadata    map[string]string
	createdAt   time.Time
	updatedAt   time.Time
	archivedAt  *time.Time
	creds       registry[*credential]
}

func (v *vault) render() map[string]any {
	return map[string]any{
		"type":         "vault",
		"id":           v.id,
		"display_name": v.displayName,
		"metadata":     copyStrings(v.metadata),
		"created_at":   stamp(v.createdAt),
		"updated_at":   stamp(v.updatedAt),
		"archived_at":  stampOrNull(v.archivedAt),
	}
}

// displayName reads a required-on-create, never-clearable display_name.
func displayName(body jobj, create bool) (string, bool, *apiError) {
	name, ok, err := body.strLen("display_name", 1, 255)
	if err != nil {
		return "", false, err
	}
	if !ok && (create || body.present("display_name")) {
		if create {
			return "", false, errBadRequest("display_name: field required")
		}
		return "", false, errBadRequest("display_name: cannot be cleared")
	}
	return name, ok, nil
}

func (s *Server) createVault(r *http.Request) (any, *apiError) {
	body, err := readBodyOnly(r, "display_name", "metadata")
	if err != nil {
		return nil, err
	}
	name, _, err := displayName(body, true)
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
	v := &vault{id: s.ids.next("vlt_"), displayName: name, metadata: md, createdAt: now, updatedAt: now,
		creds: newRegistry[*credential]()}
	s.vaults.add(v.id, v)
	return v.render(), nil
}

func (s *Server) vaultLocked(id string) (*vault, *apiError) { return s.vaults.find("vault", id) }

// writableVaultLocked is vaultLocked for requests that change the vault or
// its credentials, which an archived vault refuses.
func (s *Server) writableVaultLocked(id string) (*vault, *apiError) {
	v, err := s.vaultLocked(id)
	if err == nil && v.archivedAt != nil {
		err = errBadRequest("vault %s is archived and read-only", id)
	}
	return v, err
}

func (s *Server) updateVault(r *http.Request) (any, *apiError) {
	body, err := readBodyOnly(r, "display_name", "metadata")
	if err != nil {
		return nil, err
	}
	name, hasName, err := displayName(body, false)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, err := s.writableVaultLocked(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	md, mdChanged, err := body.metadataPatch(v.metadata, false)
	if err != nil {
		return nil, err
	}
	if (hasName && name != v.displayName) || mdChanged {
		if hasName {
			v.displayName = name
		}
		v.metadata, v.updatedAt = md, s.now()
	}
	return v.render(), nil
}

// archive makes the vault read-only. Its credentials are archived with it,
// which purges their secrets: an archived vault can authenticate nothing.
func (v *vault) archive(now time.Time) {
	if v.archivedAt == nil {
		v.archivedAt, v.updatedAt = &now, now
		for _, c := range v.creds.oldestFirst(nil) {
			c.archive(now)
		}
	}
}

func (s *Server) listVaults(r *http.Request) (any, *apiError) {
	lq, includeArchived, err := archivedListQuery(r, 100)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	items := s.vaults.newestFirst(func(v *vault) bool { return includeArchived || v.archivedAt == nil })
	return pageOf(items, func(v *vault) string { return v.id }, lq, (*vault).render), nil
}

// checkSessionVaultsLocked checks that a new session may use the vaults.
func (s *Server) checkSessionVaultsLocked(ids []string) *apiError {
	for i, id := range ids {
		v, ok := s.vaults.get(id)
		if !ok {
			return errNotFound("vault_ids[%d]: vault %s not found", i, id)
		}
		if v.archivedAt != nil {
			return errBadRequest("vault_ids[%d]: vault %s is archived; new sessions cannot use it", i, id)
		}
	}
	return nil
}
