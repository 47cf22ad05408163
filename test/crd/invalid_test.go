// SPDX-License-Identifier: Apache-2.0

package crd

import (
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// Minimal valid objects; each case breaks one of them in one way.
const (
	baseAgent = `
apiVersion: claude.anthropic.com/v1alpha1
kind: Agent
metadata: {name: agent}
spec:
  model: {id: claude-opus-4-8}
`
	baseEnvironment = `
apiVersion: claude.anthropic.com/v1alpha1
kind: Environment
metadata: {name: env}
spec:
  networking: {type: Limited, allowPackageManagers: true}
`
	baseSelfHostedEnvironment = `
apiVersion: claude.anthropic.com/v1alpha1
kind: Environment
metadata: {name: sandboxes}
spec:
  type: SelfHosted
  selfHosted:
    environmentKeySecretRef: {name: environment-key}
    sandboxTemplate: {image: "debian:bookworm"}
`
	baseSession = `
apiVersion: claude.anthropic.com/v1alpha1
kind: Session
metadata: {name: session}
spec:
  agentRef: {name: coder}
  environmentRef: {name: python-dev}
  prompt: hello
  messages: ["first"]
  budget: {maxListCostUSD: "5"}
`
)

type mutation func(obj map[string]any)

func set(path string, value any) mutation {
	return func(obj map[string]any) { setPath(obj, path, value) }
}

func del(path string) mutation {
	return func(obj map[string]any) { deletePath(obj, path) }
}

func yamlValue(doc string) any {
	obj := map[string]any{}
	if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
		panic(err)
	}
	return obj["v"]
}

// invalidCase is a manifest that admission must reject. When update is set, create succeeds with
// the base object plus create, and the update must be rejected.
type invalidCase struct {
	name   string
	why    string
	base   string
	create []mutation
	update []mutation
	// wantField is a substring of the rejection that names the offending field.
	wantField string
}

func invalidCases() []invalidCase {
	long := func(n int) string { return strings.Repeat("x", n) }
	many := func(n int) map[string]any {
		m := map[string]any{}
		for i := range n {
			m["k"+strings.Repeat("x", i)] = "v"
		}
		return m
	}
	return append([]invalidCase{
		// Agent: required fields, enums, patterns, CEL and sizes.
		{name: "agent without model", why: "model is required by the API", base: baseAgent,
			create: []mutation{del("spec.model")}, wantField: "spec.model"},
		{name: "agent with empty model id", why: "an empty id cannot name a model", base: baseAgent,
			create: []mutation{set("spec.model.id", "")}, wantField: "spec.model.id"},
		{name: "agent with unknown effort", why: "effort is an API enum", base: baseAgent,
			create: []mutation{set("spec.model.effort", "extreme")}, wantField: "spec.model.effort"},
		{name: "agent with unknown speed", why: "speed is an API enum", base: baseAgent,
			create: []mutation{set("spec.model.speed", "warp")}, wantField: "spec.model.speed"},
		{name: "agent with system and systemFrom", why: "one source of the system prompt", base: baseAgent,
			create:    []mutation{set("spec.system", "a"), set("spec.systemFrom", map[string]any{"name": "cm", "key": "k"})},
			wantField: "spec.system and spec.systemFrom"},
		{name: "agent with oversized system prompt", why: "the API caps system at 100,000 characters", base: baseAgent,
			create: []mutation{set("spec.system", long(100001))}, wantField: "spec.system"},
		{name: "agent with oversized name", why: "the API caps names at 256 characters", base: baseAgent,
			create: []mutation{set("spec.name", long(257))}, wantField: "spec.name"},
		{name: "agent tool with two members", why: "a tools entry is exactly one kind of tool", base: baseAgent,
			create:    []mutation{set("spec.tools", yamlValue(`v: [{agentToolset: {}, custom: {name: t, description: d, inputSchema: {type: object}}}]`))},
			wantField: "spec.tools[0]"},
		{name: "agent tool with no member", why: "an empty tools entry means nothing", base: baseAgent,
			create: []mutation{set("spec.tools", yamlValue(`v: [{}]`))}, wantField: "spec.tools[0]"},
		{name: "agent with two agent toolsets", why: "the API takes one built-in toolset", base: baseAgent,
			create:    []mutation{set("spec.tools", yamlValue(`v: [{agentToolset: {}}, {agentToolset: {}}]`))},
			wantField: "at most one agentToolset"},
		{name: "agent with unknown builtin tool", why: "built-in tool names are an enum", base: baseAgent,
			create:    []mutation{set("spec.tools", yamlValue(`v: [{agentToolset: {configs: [{name: rm}]}}]`))},
			wantField: "spec.tools[0].agentToolset.configs[0].name"},
		{name: "agent with unknown permission policy", why: "permission policies are an enum", base: baseAgent,
			create:    []mutation{set("spec.tools", yamlValue(`v: [{agentToolset: {defaultConfig: {permissionPolicy: Sometimes}}}]`))},
			wantField: "spec.tools[0].agentToolset.defaultConfig.permissionPolicy"},
		{name: "web_fetch with allowed and blocked domains", why: "the API rejects both lists together", base: baseAgent,
			create:    []mutation{set("spec.tools", yamlValue(`v: [{agentToolset: {configs: [{name: web_fetch, allowedDomains: [a.com], blockedDomains: [b.com]}]}}]`))},
			wantField: "allowedDomains and blockedDomains are mutually exclusive"},
		{name: "allowedDomains on bash", why: "domain lists apply only to the web tools", base: baseAgent,
			create:    []mutation{set("spec.tools", yamlValue(`v: [{agentToolset: {configs: [{name: bash, allowedDomains: [a.com]}]}}]`))},
			wantField: "spec.tools[0].agentToolset.configs[0]"},
		{name: "empty allowedDomains", why: "the API rejects an empty domain list", base: baseAgent,
			create:    []mutation{set("spec.tools", yamlValue(`v: [{agentToolset: {configs: [{name: web_fetch, allowedDomains: []}]}}]`))},
			wantField: "spec.tools[0].agentToolset.configs[0].allowedDomains"},
		{name: "userLocation on web_fetch", why: "userLocation belongs to web_search", base: baseAgent,
			create:    []mutation{set("spec.tools", yamlValue(`v: [{agentToolset: {configs: [{name: web_fetch, userLocation: {city: Paris}}]}}]`))},
			wantField: "userLocation applies only to web_search"},
		{name: "url source Only without tools", why: "Only needs the tools it admits", base: baseAgent,
			create:    []mutation{set("spec.tools", yamlValue(`v: [{agentToolset: {configs: [{name: web_fetch, urlSources: {userInput: {mode: Only}}}]}}]`))},
			wantField: "spec.tools[0].agentToolset.configs[0].urlSources.userInput"},
		{name: "url source Only for user input", why: "the API takes only all or none for user input", base: baseAgent,
			create:    []mutation{set("spec.tools", yamlValue(`v: [{agentToolset: {configs: [{name: web_fetch, urlSources: {userInput: {mode: Only, tools: [x]}}}]}}]`))},
			wantField: "urlSources.userInput.mode must be All or None"},
		{name: "custom tool with bad name", why: "names are [A-Za-z0-9_-]{1,128}", base: baseAgent,
			create:    []mutation{set("spec.tools", yamlValue(`v: [{custom: {name: "open ticket", description: d, inputSchema: {type: object}}}]`))},
			wantField: "spec.tools[0].custom.name"},
		{name: "custom tool without inputSchema", why: "the API requires an input schema", base: baseAgent,
			create:    []mutation{set("spec.tools", yamlValue(`v: [{custom: {name: t, description: d}}]`))},
			wantField: "spec.tools[0].custom.inputSchema"},
		{name: "mcp server not used by a toolset", why: "the API rejects servers without an mcp_toolset", base: baseAgent,
			create:    []mutation{set("spec.mcpServers", yamlValue(`v: [{name: gh, url: "https://mcp.example.com"}]`))},
			wantField: "spec.mcpServers: every MCP server must be used"},
		{name: "mcp toolset naming a missing server", why: "a toolset must point at a declared server", base: baseAgent,
			create:    []mutation{set("spec.tools", yamlValue(`v: [{mcpToolset: {mcpServerName: gh}}]`))},
			wantField: "spec.tools[].mcpToolset.mcpServerName"},
		{name: "mcp server with a non-URL", why: "servers are reached over HTTP(S)", base: baseAgent,
			create: []mutation{
				set("spec.mcpServers", yamlValue(`v: [{name: gh, url: "ftp://x"}]`)),
				set("spec.tools", yamlValue(`v: [{mcpToolset: {mcpServerName: gh}}]`))},
			wantField: "spec.mcpServers[0].url"},
		{name: "custom skill without skill_ id", why: "custom skills are referenced by id", base: baseAgent,
			create:    []mutation{set("spec.skills", yamlValue(`v: [{type: Custom, skillID: mine}]`))},
			wantField: "spec.skills[0]"},
		{name: "aws role without arn", why: "the role to assume must be named", base: baseAgent,
			create:    []mutation{set("spec.executionIdentity", map[string]any{"type": "AWSRole"})},
			wantField: "spec.executionIdentity"},
		{name: "advisor enabled without model", why: "the advisor needs a model", base: baseAgent,
			create:    []mutation{set("spec.multiagent", yamlValue(`v: {advisor: {enabled: true}}`))},
			wantField: "spec.multiagent.advisor"},
		{name: "too many metadata pairs", why: "the API allows 16 pairs and the operator reserves 3", base: baseAgent,
			create: []mutation{set("spec.metadata", many(14))}, wantField: "spec.metadata"},
		{name: "reserved metadata key", why: "the operator owns claude.anthropic.com/ keys", base: baseAgent,
			create:    []mutation{set("spec.metadata", map[string]any{"claude.anthropic.com/uid": "x"})},
			wantField: "spec.metadata"},
		{name: "metadata value too long", why: "the API caps values at 512 characters", base: baseAgent,
			create: []mutation{set("spec.metadata", map[string]any{"k": long(513)})}, wantField: "spec.metadata"},
		{name: "agent deletion policy Delete", why: "agents can only be archived", base: baseAgent,
			create: []mutation{set("spec.deletionPolicy", "Delete")}, wantField: "spec.deletionPolicy"},
		{name: "agent externalID with wrong prefix", why: "remote agent ids start with agent_", base: baseAgent,
			create: []mutation{set("spec.externalID", "env_123")}, wantField: "spec.externalID"},
		{name: "agent externalID changed", why: "an adopted agent cannot be swapped for another", base: baseAgent,
			create: []mutation{set("spec.externalID", "agent_1")}, update: []mutation{set("spec.externalID", "agent_2")},
			wantField: "spec.externalID is immutable"},

		// Environment.
		{name: "unknown networking type", why: "networking type is an enum", base: baseEnvironment,
			create: []mutation{set("spec.networking.type", "Open")}, wantField: "spec.networking.type"},
		{name: "allowedHosts with unrestricted networking", why: "limited-only fields mean nothing when unrestricted", base: baseEnvironment,
			create:    []mutation{set("spec.networking", yamlValue(`v: {type: Unrestricted, allowedHosts: [a.com]}`))},
			wantField: "spec.networking"},
		{name: "packages under limited networking without package managers", why: "the container could not reach the registries",
			base:      baseEnvironment,
			create:    []mutation{set("spec.networking.allowPackageManagers", false), set("spec.packages", yamlValue(`v: {pip: [pandas]}`))},
			wantField: "spec.packages needs spec.networking.allowPackageManagers"},
		{name: "empty package name", why: "an empty specifier installs nothing", base: baseEnvironment,
			create: []mutation{set("spec.packages", yamlValue(`v: {npm: [""]}`))}, wantField: "spec.packages.npm[0]"},
		{name: "environment deletion policy Destroy", why: "deletion policies are an enum", base: baseEnvironment,
			create: []mutation{set("spec.deletionPolicy", "Destroy")}, wantField: "spec.deletionPolicy"},
		{name: "environment externalID with wrong prefix", why: "remote environment ids start with env_", base: baseEnvironment,
			create: []mutation{set("spec.externalID", "agent_1")}, wantField: "spec.externalID"},

		// Environment type and the self-hosted block.
		{name: "unknown environment type", why: "an environment is Cloud or SelfHosted", base: baseEnvironment,
			create: []mutation{set("spec.type", "OnPrem")}, wantField: "spec.type"},
		{name: "environment type changed", why: "the API cannot change an environment's config type", base: baseEnvironment,
			update: []mutation{set("spec.type", "SelfHosted"), del("spec.networking"),
				set("spec.selfHosted", yamlValue(`v: {environmentKeySecretRef: {name: k}, sandboxTemplate: {image: busybox}}`))},
			wantField: "spec.type is immutable"},
		{name: "self-hosted environment changed to cloud", why: "the type is immutable in both directions", base: baseSelfHostedEnvironment,
			update: []mutation{set("spec.type", "Cloud"), del("spec.selfHosted")}, wantField: "spec.type is immutable"},
		{name: "self-hosted without its block", why: "a self-hosted environment needs a sandbox template and a key", base: baseSelfHostedEnvironment,
			create: []mutation{del("spec.selfHosted")}, wantField: "spec.selfHosted is required when spec.type is SelfHosted"},
		{name: "self-hosted block on a cloud environment", why: "sandbox Pods mean nothing to a cloud environment", base: baseEnvironment,
			create:    []mutation{set("spec.selfHosted", yamlValue(`v: {environmentKeySecretRef: {name: k}, sandboxTemplate: {image: busybox}}`))},
			wantField: "spec.selfHosted is only allowed when spec.type is SelfHosted"},
		{name: "self-hosted block on an environment with the default type", why: "the default type is Cloud", base: baseSelfHostedEnvironment,
			create: []mutation{del("spec.type")}, wantField: "spec.selfHosted is only allowed when spec.type is SelfHosted"},
		{name: "packages on a self-hosted environment", why: "the API installs packages only in cloud containers", base: baseSelfHostedEnvironment,
			create: []mutation{set("spec.packages", yamlValue(`v: {pip: [pandas]}`))}, wantField: "spec.packages is Cloud-only"},
		{name: "networking on a self-hosted environment", why: "the API enforces networking only in cloud containers", base: baseSelfHostedEnvironment,
			create: []mutation{set("spec.networking", yamlValue(`v: {type: Unrestricted}`))}, wantField: "spec.networking is Cloud-only"},
		{name: "self-hosted without an environment key", why: "the work queue is polled with the environment key", base: baseSelfHostedEnvironment,
			create: []mutation{del("spec.selfHosted.environmentKeySecretRef")}, wantField: "spec.selfHosted.environmentKeySecretRef"},
		{name: "sandbox without an image", why: "the sandbox container needs an image with the agent's toolchain", base: baseSelfHostedEnvironment,
			create: []mutation{del("spec.selfHosted.sandboxTemplate.image")}, wantField: "spec.selfHosted.sandboxTemplate.image"},
		{name: "zero concurrent sandboxes", why: "an environment that may run no sandbox serves no session", base: baseSelfHostedEnvironment,
			create: []mutation{set("spec.selfHosted.maxConcurrentSandboxes", 0)}, wantField: "spec.selfHosted.maxConcurrentSandboxes"},
		{name: "zero active deadline", why: "a deadline counts forward", base: baseSelfHostedEnvironment,
			create: []mutation{set("spec.selfHosted.activeDeadlineSeconds", 0)}, wantField: "spec.selfHosted.activeDeadlineSeconds"},
		{name: "zero idle timeout", why: "a sandbox must wait at least a second for a follow-up", base: baseSelfHostedEnvironment,
			create: []mutation{set("spec.selfHosted.idleTimeoutSeconds", 0)}, wantField: "spec.selfHosted.idleTimeoutSeconds"},
		{name: "sandbox env in the runner's namespace", why: "ANTHROPIC_ variables configure the runner and are hidden from the agent", base: baseSelfHostedEnvironment,
			create:    []mutation{set("spec.selfHosted.sandboxTemplate.env", yamlValue(`v: [{name: ANTHROPIC_API_KEY, value: x}]`))},
			wantField: "spec.selfHosted.sandboxTemplate.env: names starting with ANTHROPIC_ are reserved"},
		{name: "sandbox volume named like the workspace", why: "the operator injects the workspace volume", base: baseSelfHostedEnvironment,
			create:    []mutation{set("spec.selfHosted.sandboxTemplate.volumes", yamlValue(`v: [{name: workspace, emptyDir: {}}]`))},
			wantField: "spec.selfHosted.sandboxTemplate.volumes: the name workspace"},
		{name: "sandbox volume with the operator's prefix", why: "claude- volumes carry the runner and the work item's credentials", base: baseSelfHostedEnvironment,
			create:    []mutation{set("spec.selfHosted.sandboxTemplate.volumes", yamlValue(`v: [{name: claude-runner, emptyDir: {}}]`))},
			wantField: "spec.selfHosted.sandboxTemplate.volumes: the name workspace"},
		{name: "sandbox label with the operator's prefix", why: "the operator finds its sandbox Pods by these labels", base: baseSelfHostedEnvironment,
			create:    []mutation{set("spec.selfHosted.sandboxTemplate.metadata", yamlValue(`v: {labels: {claude.anthropic.com/session: x}}`))},
			wantField: "spec.selfHosted.sandboxTemplate.metadata.labels"},
		{name: "sandbox image pull policy Sometimes", why: "pull policies are an enum", base: baseSelfHostedEnvironment,
			create: []mutation{set("spec.selfHosted.sandboxTemplate.imagePullPolicy", "Sometimes")}, wantField: "spec.selfHosted.sandboxTemplate.imagePullPolicy"},
		{name: "workspace both emptyDir and claim", why: "the workspace is one volume", base: baseSelfHostedEnvironment,
			create: []mutation{set("spec.selfHosted.workspace", yamlValue(
				`v: {emptyDir: {}, volumeClaimTemplate: {spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}}}`))},
			wantField: "spec.selfHosted.workspace: set at most one of emptyDir and volumeClaimTemplate"},
		{name: "workspace with a relative mount path", why: "a mount path is absolute", base: baseSelfHostedEnvironment,
			create: []mutation{set("spec.selfHosted.workspace", yamlValue(`v: {mountPath: work}`))}, wantField: "spec.selfHosted.workspace.mountPath"},

		// Session: one-of pairs, immutability, append-only messages and sizes.
		{name: "session with agentRef and agentID", why: "one agent per session", base: baseSession,
			create: []mutation{set("spec.agentID", "agent_1")}, wantField: "spec.agentRef or spec.agentID"},
		{name: "session without an agent", why: "a session runs an agent", base: baseSession,
			create: []mutation{del("spec.agentRef")}, wantField: "spec.agentRef or spec.agentID"},
		{name: "session without an environment", why: "a session runs in an environment", base: baseSession,
			create: []mutation{del("spec.environmentRef")}, wantField: "spec.environmentRef or spec.environmentID"},
		{name: "session agentRef version zero", why: "agent versions start at 1", base: baseSession,
			create: []mutation{set("spec.agentRef.version", 0)}, wantField: "spec.agentRef.version"},
		{name: "session with empty prompt", why: "an empty first message is rejected by the API", base: baseSession,
			create: []mutation{set("spec.prompt", "")}, wantField: "spec.prompt"},
		{name: "session message too long", why: "messages are bounded to keep the object small", base: baseSession,
			create: []mutation{set("spec.messages", []any{long(8193)})}, wantField: "spec.messages[0]"},
		{name: "session resource with two members", why: "a resource is one thing", base: baseSession,
			create:    []mutation{set("spec.resources", yamlValue(`v: [{file: {fileID: file_1}, memoryStore: {memoryStoreID: memstore_1}}]`))},
			wantField: "spec.resources[0]"},
		{name: "repository with branch and commit", why: "one checkout target", base: baseSession,
			create:    []mutation{set("spec.resources", yamlValue(`v: [{githubRepository: {url: "https://github.com/a/b", branch: main, commit: abcdef1}}]`))},
			wantField: "spec.resources[0].githubRepository"},
		{name: "repository outside github", why: "only GitHub repositories are supported", base: baseSession,
			create:    []mutation{set("spec.resources", yamlValue(`v: [{githubRepository: {url: "https://gitlab.com/a/b"}}]`))},
			wantField: "spec.resources[0].githubRepository.url"},
		{name: "vault id with wrong prefix", why: "vault ids start with vlt_", base: baseSession,
			create: []mutation{set("spec.vaultIDs", []any{"vault1"})}, wantField: "spec.vaultIDs[0]"},
		{name: "budget with three decimals", why: "the API counts cents", base: baseSession,
			create: []mutation{set("spec.budget.maxListCostUSD", "1.005")}, wantField: "spec.budget.maxListCostUSD"},
		{name: "deny message on an allow", why: "only a denial carries a message", base: baseSession,
			create:    []mutation{set("spec.toolConfirmations", yamlValue(`v: [{toolUseID: sevt_1, decision: Allow, message: why}]`))},
			wantField: "spec.toolConfirmations[0]"},
		{name: "confirmation with unknown decision", why: "decisions are Allow or Deny", base: baseSession,
			create:    []mutation{set("spec.toolConfirmations", yamlValue(`v: [{toolUseID: sevt_1, decision: Maybe}]`))},
			wantField: "spec.toolConfirmations[0].decision"},
		{name: "unknown completion policy", why: "completion policies are an enum", base: baseSession,
			create: []mutation{set("spec.completionPolicy", "Sometimes")}, wantField: "spec.completionPolicy"},
		{name: "negative ttl", why: "a TTL counts forward", base: baseSession,
			create: []mutation{set("spec.ttlSecondsAfterFinished", -1)}, wantField: "spec.ttlSecondsAfterFinished"},
		{name: "agentRef changed after launch", why: "a session runs one agent for life", base: baseSession,
			update: []mutation{set("spec.agentRef.name", "other")}, wantField: "spec.agentRef is immutable"},
		{name: "environment switched to an id", why: "a session runs in one environment for life", base: baseSession,
			update:    []mutation{del("spec.environmentRef"), set("spec.environmentID", "env_1")},
			wantField: "spec.environmentRef is immutable"},
		{name: "prompt changed after launch", why: "the first message was already sent", base: baseSession,
			update: []mutation{set("spec.prompt", "other")}, wantField: "spec.prompt is immutable"},
		{name: "message rewritten", why: "sent messages cannot be unsent", base: baseSession,
			update: []mutation{set("spec.messages", []any{"changed", "second"})}, wantField: "spec.messages is append-only"},
		{name: "message removed", why: "sent messages cannot be unsent", base: baseSession,
			update: []mutation{set("spec.messages", []any{})}, wantField: "spec.messages is append-only"},
		{name: "budget removed", why: "the API cannot remove a budget and re-add it", base: baseSession,
			update: []mutation{del("spec.budget")}, wantField: "spec.budget cannot be removed"},
		{name: "budget lowered", why: "the API only raises a session's cap; a lower one would fail at every update", base: baseSession,
			update: []mutation{set("spec.budget.maxListCostUSD", "4.99")}, wantField: "spec.budget.maxListCostUSD cannot be lowered"},
		{name: "vault ids added after launch", why: "the API takes vaults at creation only", base: baseSession,
			update: []mutation{set("spec.vaultIDs", []any{"vlt_1"})}, wantField: "spec.vaultIDs is immutable"},
	}, append(append(credentialAndContentCases(), deploymentCases()...), attachmentCases()...)...)
}

// TestInvalidManifestsAreRejectedNamingTheField proves that admission, not the controller, stops bad
// input, and that each rejection names the field so the user knows what to fix.
func TestInvalidManifestsAreRejectedNamingTheField(t *testing.T) {
	cases := invalidCases()
	if len(cases) < 30 {
		t.Fatalf("the table must hold at least 30 cases, has %d", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testContext(t)
			obj := parseManifest(t, tc.base)
			obj.SetName(uniqueName(obj.GetName()))
			for _, m := range tc.create {
				m(obj.Object)
			}
			err := k8s.Create(ctx, obj)
			if tc.update != nil {
				if err != nil {
					t.Fatalf("create before the update was rejected: %v", err)
				}
				t.Cleanup(func() { _ = k8s.Delete(ctx, obj) })
				for _, m := range tc.update {
					m(obj.Object)
				}
				err = k8s.Update(ctx, obj)
			} else if err == nil {
				t.Cleanup(func() { _ = k8s.Delete(ctx, obj) })
			}
			if err == nil {
				t.Fatalf("accepted, want rejection naming %q (%s)", tc.wantField, tc.why)
			}
			if !strings.Contains(err.Error(), tc.wantField) {
				t.Errorf("rejection does not name %q (%s):\n%v", tc.wantField, tc.why, err)
			}
		})
	}
}
