// SPDX-License-Identifier: Apache-2.0

package crd

import "strings"

// Minimal valid Vault, Skill and MemoryStore objects, and a Session that uses all three.
const (
	baseVault = `
apiVersion: claude.anthropic.com/v1alpha1
kind: Vault
metadata: {name: vault}
spec:
  credentials:
  - name: linear
    staticBearer: {mcpServerURL: "https://mcp.linear.app/mcp", tokenSecretRef: {name: linear, key: token}}
`
	baseSkill = `
apiVersion: claude.anthropic.com/v1alpha1
kind: Skill
metadata: {name: skill}
spec:
  files:
    configMapRef: {name: skill-files}
`
	baseMemoryStore = `
apiVersion: claude.anthropic.com/v1alpha1
kind: MemoryStore
metadata: {name: memory}
spec:
  seed: {configMapRef: {name: seed}}
`
	baseDeployment = `
apiVersion: claude.anthropic.com/v1alpha1
kind: AgentDeployment
metadata: {name: deployment}
spec:
  agentRef: {name: coder}
  environmentRef: {name: python-dev}
  prompt: review yesterday's changes
  schedule: {cron: "0 9 * * 1-5", timeZone: Europe/Berlin}
`
	baseSessionWithResources = `
apiVersion: claude.anthropic.com/v1alpha1
kind: Session
metadata: {name: session-resources}
spec:
  agentRef: {name: coder}
  environmentRef: {name: python-dev}
  vaultRefs: [{name: team-credentials}]
  resources:
  - githubRepository: {url: "https://github.com/acme/app", tokenSecretRef: {name: github, key: token}}
  - memoryStore: {memoryStoreRef: {name: team-memory}}
  - file: {fileID: file_1}
`
)

// credentialAndContentCases covers the Vault, Skill and MemoryStore kinds, the Agent's skillRef and
// the Session's vaultRefs, memoryStoreRef and what may change of its resources after launch.
func credentialAndContentCases() []invalidCase {
	credentials := func(n int) any {
		list := make([]any, n)
		for i := range n {
			list[i] = map[string]any{"name": "c" + strings.Repeat("x", i), "environmentVariable": map[string]any{
				"variableName": "V" + strings.Repeat("X", i), "valueSecretRef": map[string]any{"name": "s", "key": "k"}}}
		}
		return list
	}
	return []invalidCase{
		// Vault credentials: one kind each, API keys unique, every secret by Secret key.
		{name: "credential with two kinds", why: "a credential has one auth type", base: baseVault,
			create:    []mutation{set("spec.credentials", yamlValue(`v: [{name: x, staticBearer: {mcpServerURL: "https://a", tokenSecretRef: {name: s, key: k}}, environmentVariable: {variableName: A, valueSecretRef: {name: s, key: k}}}]`))},
			wantField: "each spec.credentials entry must set exactly one of mcpOAuth, staticBearer or environmentVariable"},
		{name: "credential with no kind", why: "a credential without auth authenticates nothing", base: baseVault,
			create: []mutation{set("spec.credentials", yamlValue(`v: [{name: x}]`))}, wantField: "each spec.credentials entry must set exactly one"},
		{name: "two credentials with one name", why: "names identify credentials in status", base: baseVault,
			create:    []mutation{set("spec.credentials", yamlValue(`v: [{name: x, environmentVariable: {variableName: A, valueSecretRef: {name: s, key: k}}}, {name: x, environmentVariable: {variableName: B, valueSecretRef: {name: s, key: k}}}]`))},
			wantField: "spec.credentials[1]"},
		{name: "two credentials for one MCP server", why: "the API keeps one credential per mcp_server_url in a vault", base: baseVault,
			create:    []mutation{set("spec.credentials", yamlValue(`v: [{name: a, staticBearer: {mcpServerURL: "https://m", tokenSecretRef: {name: s, key: k}}}, {name: b, mcpOAuth: {mcpServerURL: "https://m", accessTokenSecretRef: {name: s, key: k}}}]`))},
			wantField: "two credentials use the same mcpServerURL"},
		{name: "two credentials for one variable", why: "the API keeps one credential per secret_name in a vault", base: baseVault,
			create:    []mutation{set("spec.credentials", yamlValue(`v: [{name: a, environmentVariable: {variableName: K, valueSecretRef: {name: s, key: k}}}, {name: b, environmentVariable: {variableName: K, valueSecretRef: {name: t, key: k}}}]`))},
			wantField: "two credentials set the same environmentVariable.variableName"},
		{name: "token reference without a key", why: "a credential names exactly the value it sends", base: baseVault,
			create: []mutation{set("spec.credentials", yamlValue(`v: [{name: x, staticBearer: {mcpServerURL: "https://a", tokenSecretRef: {name: s}}}]`))}, wantField: "spec.credentials[0].staticBearer.tokenSecretRef.key"},
		{name: "credential name with capitals", why: "names are DNS labels", base: baseVault,
			create: []mutation{set("spec.credentials", yamlValue(`v: [{name: Linear, staticBearer: {mcpServerURL: "https://a", tokenSecretRef: {name: s, key: k}}}]`))}, wantField: "spec.credentials[0].name"},
		{name: "relative MCP server URL", why: "the API keys credentials by absolute URL", base: baseVault,
			create: []mutation{set("spec.credentials", yamlValue(`v: [{name: x, staticBearer: {mcpServerURL: "mcp.linear.app", tokenSecretRef: {name: s, key: k}}}]`))}, wantField: "spec.credentials[0].staticBearer.mcpServerURL"},
		{name: "variable name starting with a digit", why: "it must be an environment variable name", base: baseVault,
			create:    []mutation{set("spec.credentials", yamlValue(`v: [{name: x, environmentVariable: {variableName: 1KEY, valueSecretRef: {name: s, key: k}}}]`))},
			wantField: "spec.credentials[0].environmentVariable.variableName"},
		{name: "allowed host with a scheme", why: "allowed hosts are hosts, not URLs", base: baseVault,
			create:    []mutation{set("spec.credentials", yamlValue(`v: [{name: x, environmentVariable: {variableName: K, valueSecretRef: {name: s, key: k}, allowedHosts: ["https://api.example.com"]}}]`))},
			wantField: "spec.credentials[0].environmentVariable.allowedHosts[0]"},
		{name: "no injection location", why: "at least one location must stay enabled", base: baseVault,
			create:    []mutation{set("spec.credentials", yamlValue(`v: [{name: x, environmentVariable: {variableName: K, valueSecretRef: {name: s, key: k}, injectInto: []}}]`))},
			wantField: "spec.credentials[0].environmentVariable.injectInto"},
		{name: "client secret auth without a secret", why: "ClientSecretBasic sends a client secret", base: baseVault,
			create:    []mutation{set("spec.credentials", yamlValue(`v: [{name: x, mcpOAuth: {mcpServerURL: "https://m", accessTokenSecretRef: {name: s, key: a}, refresh: {clientID: c, tokenEndpoint: "https://t", refreshTokenSecretRef: {name: s, key: r}, tokenEndpointAuth: ClientSecretBasic}}}]`))},
			wantField: "refresh.clientSecretSecretRef is required"},
		{name: "client secret for a public client", why: "a None token endpoint takes no secret", base: baseVault,
			create:    []mutation{set("spec.credentials", yamlValue(`v: [{name: x, mcpOAuth: {mcpServerURL: "https://m", accessTokenSecretRef: {name: s, key: a}, refresh: {clientID: c, tokenEndpoint: "https://t", refreshTokenSecretRef: {name: s, key: r}, clientSecretSecretRef: {name: s, key: c}}}}]`))},
			wantField: "refresh.clientSecretSecretRef is required"},
		{name: "too many credentials", why: "the API holds at most 20 credentials in a vault", base: baseVault,
			create: []mutation{set("spec.credentials", credentials(21))}, wantField: "spec.credentials"},
		{name: "vault deletion policy Destroy", why: "deletion policies are an enum", base: baseVault,
			create: []mutation{set("spec.deletionPolicy", "Destroy")}, wantField: "spec.deletionPolicy"},

		// Skill: where its files come from.
		{name: "skill without files", why: "a skill is its files", base: baseSkill,
			create: []mutation{del("spec.files")}, wantField: "spec.files"},
		{name: "skill items without SKILL.md", why: "the API requires SKILL.md at the skill's root", base: baseSkill,
			create:    []mutation{set("spec.files.items", yamlValue(`v: [{key: run, path: scripts/run.py}]`))},
			wantField: "spec.files.items must map a key to the path SKILL.md"},
		{name: "skill item escaping the directory", why: "files stay inside the skill's directory", base: baseSkill,
			create:    []mutation{set("spec.files.items", yamlValue(`v: [{key: md, path: SKILL.md}, {key: x, path: ../x}]`))},
			wantField: "path must be a clean relative path"},
		{name: "two skill items on one path", why: "a path holds one file", base: baseSkill,
			create:    []mutation{set("spec.files.items", yamlValue(`v: [{key: a, path: SKILL.md}, {key: b, path: SKILL.md}]`))},
			wantField: "two items map to the same path"},
		{name: "skill archived on deletion", why: "the API cannot archive skills", base: baseSkill,
			create: []mutation{set("spec.deletionPolicy", "Archive")}, wantField: "spec.deletionPolicy"},
		{name: "skill display name on two lines", why: "the API takes a single-line label", base: baseSkill,
			create: []mutation{set("spec.displayName", "a\nb")}, wantField: "spec.displayName"},

		// MemoryStore.
		{name: "seed prefix without a trailing slash", why: "memory paths under the prefix are built by appending keys", base: baseMemoryStore,
			create: []mutation{set("spec.seed.pathPrefix", "/team")}, wantField: "seed.pathPrefix must start and end with /"},
		{name: "seed prefix with an empty segment", why: "the API rejects empty path segments", base: baseMemoryStore,
			create: []mutation{set("spec.seed.pathPrefix", "/a//b/")}, wantField: "seed.pathPrefix"},
		{name: "memory store description too long", why: "the API caps descriptions at 1024 characters", base: baseMemoryStore,
			create: []mutation{set("spec.description", strings.Repeat("x", 1025))}, wantField: "spec.description"},

		// Agent skills by reference.
		{name: "skill with skillID and skillRef", why: "a skills entry names one skill", base: baseAgent,
			create:    []mutation{set("spec.skills", yamlValue(`v: [{type: Custom, skillID: skill_1, skillRef: {name: s}}]`))},
			wantField: "exactly one of skillID or skillRef"},
		{name: "skill with neither", why: "an empty skills entry means nothing", base: baseAgent,
			create: []mutation{set("spec.skills", yamlValue(`v: [{version: "1"}]`))}, wantField: "exactly one of skillID or skillRef"},
		{name: "skillRef as an Anthropic skill", why: "Skill objects are custom skills", base: baseAgent,
			create:    []mutation{set("spec.skills", yamlValue(`v: [{type: Anthropic, skillRef: {name: s}}]`))},
			wantField: "type must be Custom or unset"},
		{name: "skillID without a type", why: "the API needs to know who publishes the skill", base: baseAgent,
			create: []mutation{set("spec.skills", yamlValue(`v: [{skillID: xlsx}]`))}, wantField: "spec.skills[].type is required with skillID"},
		{name: "one skillID twice", why: "the API loads each skill once", base: baseAgent,
			create:    []mutation{set("spec.skills", yamlValue(`v: [{type: Anthropic, skillID: xlsx}, {type: Anthropic, skillID: xlsx, version: "1"}]`))},
			wantField: "a skillID appears twice"},
		{name: "one Skill twice", why: "the API loads each skill once", base: baseAgent,
			create:    []mutation{set("spec.skills", yamlValue(`v: [{skillRef: {name: s}}, {skillRef: {name: s}}]`))},
			wantField: "a skillRef names the same Skill twice"},

		// Session: vaults by reference, memory stores by reference, what a running session may change.
		{name: "memory store by id and by reference", why: "a memoryStore resource names one store", base: baseSession,
			create:    []mutation{set("spec.resources", yamlValue(`v: [{memoryStore: {memoryStoreID: memstore_1, memoryStoreRef: {name: m}}}]`))},
			wantField: "exactly one of memoryStoreID or memoryStoreRef"},
		{name: "more than 20 vaults", why: "the API takes at most 20 vaults per session", base: baseSession,
			create: []mutation{set("spec.vaultIDs", []any{"vlt_1", "vlt_2", "vlt_3", "vlt_4", "vlt_5", "vlt_6", "vlt_7", "vlt_8", "vlt_9", "vlt_10", "vlt_11"}),
				set("spec.vaultRefs", yamlValue(`v: [{name: a}, {name: b}, {name: c}, {name: d}, {name: e}, {name: f}, {name: g}, {name: h}, {name: i}, {name: j}]`))},
			wantField: "spec.vaultIDs and spec.vaultRefs together name at most 20 vaults"},
		{name: "vault refs changed after launch", why: "the API takes a session's vaults at creation only", base: baseSessionWithResources,
			update: []mutation{set("spec.vaultRefs", yamlValue(`v: [{name: other}]`))}, wantField: "spec.vaultRefs is immutable"},
		{name: "repository added after launch", why: "the API mounts repositories for the session's life", base: baseSessionWithResources,
			update:    []mutation{set("spec.resources", yamlValue(`v: [{githubRepository: {url: "https://github.com/acme/app", tokenSecretRef: {name: github, key: token}}}, {githubRepository: {url: "https://github.com/acme/lib"}}, {memoryStore: {memoryStoreRef: {name: team-memory}}}]`))},
			wantField: "GitHub repositories cannot be added, removed or changed after the Session is created"},
		{name: "repository branch changed after launch", why: "the checkout happened when the session started", base: baseSessionWithResources,
			update:    []mutation{set("spec.resources", yamlValue(`v: [{githubRepository: {url: "https://github.com/acme/app", branch: dev, tokenSecretRef: {name: github, key: token}}}, {memoryStore: {memoryStoreRef: {name: team-memory}}}]`))},
			wantField: "GitHub repositories cannot be added"},
		{name: "memory store removed after launch", why: "the API attaches memory stores at creation only", base: baseSessionWithResources,
			update:    []mutation{set("spec.resources", yamlValue(`v: [{githubRepository: {url: "https://github.com/acme/app", tokenSecretRef: {name: github, key: token}}}]`))},
			wantField: "memory stores cannot be added, removed or changed after the Session is created"},
		{name: "repository token reference removed after launch", why: "the API can replace a running session's repository token, never take it away", base: baseSessionWithResources,
			update:    []mutation{set("spec.resources", yamlValue(`v: [{githubRepository: {url: "https://github.com/acme/app"}}, {memoryStore: {memoryStoreRef: {name: team-memory}}}]`))},
			wantField: "spec.resources[].githubRepository.tokenSecretRef cannot be removed once set"},
		{name: "resource kind changed in place", why: "a memory store turned into a file would detach the store, which the API does not allow", base: baseSessionWithResources,
			update:    []mutation{set("spec.resources", yamlValue(`v: [{githubRepository: {url: "https://github.com/acme/app", tokenSecretRef: {name: github, key: token}}}, {file: {fileID: file_1}}]`))},
			wantField: "memory stores cannot be added, removed or changed after the Session is created"},
		{name: "memory store access changed after launch", why: "the mount's access is fixed at creation", base: baseSessionWithResources,
			update:    []mutation{set("spec.resources", yamlValue(`v: [{githubRepository: {url: "https://github.com/acme/app", tokenSecretRef: {name: github, key: token}}}, {memoryStore: {memoryStoreRef: {name: team-memory}, access: ReadOnly}}]`))},
			wantField: "memory stores cannot be added"},
	}
}
