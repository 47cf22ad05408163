// SPDX-License-Identifier: Apache-2.0

package simulator

import "maps"

// resourceRoutes registers the endpoints beyond agents, environments,
// sessions and events: session resources, vaults and credentials, skills and
// their versions, memory stores and memories.
func (s *Server) resourceRoutes(handle func(pattern string, f apiFunc)) {
	handle("GET /v1/sessions/{id}/resources", s.listSessionResources)
	handle("POST /v1/sessions/{id}/resources", s.addSessionResource)
	handle("GET /v1/sessions/{id}/resources/{rid}", readOne(s, s.resourceOf, maps.Clone[map[string]any]))
	handle("POST /v1/sessions/{id}/resources/{rid}", s.updateSessionResource)
	handle("DELETE /v1/sessions/{id}/resources/{rid}", s.deleteSessionResource)

	handle("POST /v1/vaults", s.createVault)
	handle("GET /v1/vaults", s.listVaults)
	handle("GET /v1/vaults/{id}", readOne(s, pathID(s.vaultLocked), (*vault).render))
	handle("POST /v1/vaults/{id}", s.updateVault)
	handle("DELETE /v1/vaults/{id}", deleteOne(s, &s.vaults, "vault", "vault_deleted"))
	handle("POST /v1/vaults/{id}/archive", archiveOne(s, pathID(s.vaultLocked), (*vault).render))
	handle("POST /v1/vaults/{id}/credentials", s.createCredential)
	handle("GET /v1/vaults/{id}/credentials", s.listCredentials)
	handle("GET /v1/vaults/{id}/credentials/{cred}", readOne(s, s.credentialOf, (*credential).render))
	handle("POST /v1/vaults/{id}/credentials/{cred}", s.updateCredential)
	handle("DELETE /v1/vaults/{id}/credentials/{cred}", s.deleteCredential)
	handle("POST /v1/vaults/{id}/credentials/{cred}/archive", archiveOne(s, s.credentialOf, (*credential).render))
	handle("POST /v1/vaults/{id}/credentials/{cred}/mcp_oauth_validate", s.validateCredential)

	handle("POST /v1/skills", s.createSkill)
	handle("GET /v1/skills", s.listSkills)
	handle("GET /v1/skills/{id}", readOne(s, pathID(s.skillLocked), (*skill).render))
	handle("DELETE /v1/skills/{id}", s.deleteSkill)
	handle("POST /v1/skills/{id}/versions", s.createSkillVersion)
	handle("GET /v1/skills/{id}/versions", s.listSkillVersions)
	handle("GET /v1/skills/{id}/versions/{version}", readOne(s, s.skillVersionOf, (*skillVersion).render))
	handle("DELETE /v1/skills/{id}/versions/{version}", s.deleteSkillVersion)

	handle("POST /v1/memory_stores", s.createMemoryStore)
	handle("GET /v1/memory_stores", s.listMemoryStores)
	handle("GET /v1/memory_stores/{id}", readOne(s, pathID(s.memoryStoreLocked), (*memoryStore).render))
	handle("POST /v1/memory_stores/{id}", s.updateMemoryStore)
	handle("DELETE /v1/memory_stores/{id}", deleteOne(s, &s.memStores, "memory store", "memory_store_deleted"))
	handle("POST /v1/memory_stores/{id}/archive", archiveOne(s, pathID(s.memoryStoreLocked), (*memoryStore).render))
	handle("POST /v1/memory_stores/{id}/memories", s.createMemory)
	handle("GET /v1/memory_stores/{id}/memories", s.listMemories)
	handle("GET /v1/memory_stores/{id}/memories/{mid}", s.getMemory)
	// The SDK updates with POST; the HTTP reference documents PATCH.
	handle("POST /v1/memory_stores/{id}/memories/{mid}", s.updateMemory)
	handle("PATCH /v1/memory_stores/{id}/memories/{mid}", s.updateMemory)
	handle("DELETE /v1/memory_stores/{id}/memories/{mid}", s.deleteMemory)
}
