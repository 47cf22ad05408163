// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

func limitedEnvSpec() *v1alpha1.EnvironmentSpec {
	return &v1alpha1.EnvironmentSpec{
		Description: "python dev",
		Metadata:    v1alpha1.Metadata{"owner": "team-a"},
		Networking: &v1alpha1.Networking{Type: v1alpha1.NetworkingLimited, AllowedHosts: []string{"api.example.com", "pypi.org"},
			AllowMCPServers: ptr(true), AllowPackageManagers: ptr(true)},
		Packages: &v1alpha1.Packages{Apt: v1alpha1.PackageList{"ffmpeg"}, Pip: v1alpha1.PackageList{"pandas==2.2.3", "numpy"}},
	}
}

func TestNewEnvironmentParamsWireJSON(t *testing.T) {
	cases := []struct {
		name, why string
		spec      *v1alpha1.EnvironmentSpec
		want      map[string]string
		absent    []string
	}{{
		name: "limited with packages", spec: limitedEnvSpec(),
		why: "the JSON matches managed-agents-api.md §8 (create environment)",
		want: map[string]string{
			"name": `"team-a-python"`, "description": `"python dev"`,
			"metadata": `{"owner":"team-a","claude.anthropic.com/uid":"0f3c-uid","claude.anthropic.com/namespace":"team-a","claude.anthropic.com/name":"fixer"}`,
			"config": `{"type":"cloud",
			 "networking":{"type":"limited","allowed_hosts":["api.example.com","pypi.org"],"allow_mcp_servers":true,"allow_package_managers":true},
			 "packages":{"apt":["ffmpeg"],"pip":["pandas==2.2.3","numpy"]}}`,
		},
	}, {
		name: "defaults", spec: &v1alpha1.EnvironmentSpec{},
		why:    "unset networking is explicitly unrestricted; no packages and no description are sent",
		want:   map[string]string{"config": `{"type":"cloud","networking":{"type":"unrestricted"}}`},
		absent: []string{"description"},
	}, {
		name: "limited without extras", spec: &v1alpha1.EnvironmentSpec{Networking: &v1alpha1.Networking{Type: v1alpha1.NetworkingLimited}},
		why:  "limited networking always carries its fields, so nothing is left to the server's stored values",
		want: map[string]string{"config": `{"type":"cloud","networking":{"type":"limited","allowed_hosts":[],"allow_mcp_servers":false,"allow_package_managers":false}}`},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkFields(t, fields(t, NewEnvironmentParams(tc.spec, "team-a-python", testOwner)), tc.want, tc.absent)
		})
	}
}

func remoteEnv(t testing.TB, body obj) *anthropic.BetaEnvironment {
	t.Helper()
	b, _ := json.Marshal(body)
	var e anthropic.BetaEnvironment
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("decode environment: %v", err)
	}
	return &e
}

// echoEnvironment plays the API: the created environment with every package list present and a
// null description when none was sent (managed-agents-api.md §3.1, §8).
func echoEnvironment(t testing.TB, p anthropic.BetaEnvironmentNewParams) obj {
	t.Helper()
	b, _ := json.Marshal(p)
	var in obj
	_ = json.Unmarshal(b, &in)
	cfg := in["config"].(obj)
	pk, _ := cfg["packages"].(obj)
	packages := obj{"type": "packages"}
	for _, k := range []string{"apt", "cargo", "gem", "go", "npm", "pip"} {
		packages[k] = or(pk[k], []any{})
	}
	return obj{"type": "environment", "id": "env_01echo", "name": in["name"], "description": in["description"], "scope": "organization",
		"metadata": or(in["metadata"], obj{}), "config": obj{"type": "cloud", "networking": cfg["networking"], "packages": packages},
		"created_at": "2026-05-01T10:00:00Z", "updated_at": "2026-05-01T10:00:00Z", "archived_at": nil}
}

func TestEnvironmentDrift(t *testing.T) {
	net := func(r obj) obj { return r["config"].(obj)["networking"].(obj) }
	pkgs := func(r obj) obj { return r["config"].(obj)["packages"].(obj) }
	cases := []struct {
		name, why string
		spec      *v1alpha1.EnvironmentSpec
		edit      func(r obj)
		want      []string
	}{
		{name: "fresh limited", why: "a created environment as the API echoes it is in sync", spec: limitedEnvSpec()},
		{name: "fresh defaults", why: "unset networking is unrestricted, unset packages are empty lists", spec: &v1alpha1.EnvironmentSpec{}},
		{name: "reordered lists", why: "packages and hosts are sets", spec: limitedEnvSpec(), edit: func(r obj) {
			pkgs(r)["pip"], net(r)["allowed_hosts"] = []any{"numpy", "pandas==2.2.3"}, []any{"pypi.org", "api.example.com"}
		}},
		{name: "package added", spec: limitedEnvSpec(), edit: func(r obj) { pkgs(r)["npm"] = []any{"left-pad"} }, want: []string{"packages"}},
		{name: "packages when none wanted", spec: &v1alpha1.EnvironmentSpec{}, edit: func(r obj) { pkgs(r)["apt"] = []any{"curl"} }, want: []string{"packages"}},
		{name: "host added", spec: limitedEnvSpec(), edit: func(r obj) { net(r)["allowed_hosts"] = append(net(r)["allowed_hosts"].([]any), "evil.example") }, want: []string{"networking"}},
		{name: "opened up", spec: limitedEnvSpec(), edit: func(r obj) { r["config"].(obj)["networking"] = obj{"type": "unrestricted"} }, want: []string{"networking"}},
		{name: "flag flipped", spec: limitedEnvSpec(), edit: func(r obj) { net(r)["allow_mcp_servers"] = false }, want: []string{"networking"}},
		{name: "renamed", spec: limitedEnvSpec(), edit: func(r obj) { r["name"] = "other" }, want: []string{"name"}},
		{name: "description", spec: limitedEnvSpec(), edit: func(r obj) { r["description"] = nil }, want: []string{"description"}},
		{name: "metadata key added", spec: limitedEnvSpec(), edit: func(r obj) { r["metadata"].(obj)["x"] = "y" }, want: []string{"metadata"}},
		{name: "self hosted", why: "a cloud spec cannot match a self-hosted config", spec: &v1alpha1.EnvironmentSpec{},
			edit: func(r obj) { r["config"] = obj{"type": "self_hosted"} }, want: []string{"networking", "packages", "type"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			remote := echoEnvironment(t, NewEnvironmentParams(tc.spec, "env-name", testOwner))
			if tc.edit != nil {
				tc.edit(remote)
			}
			if got := EnvironmentDrift(tc.spec, "env-name", testOwner, remoteEnv(t, remote)); !slices.Equal(got, tc.want) {
				t.Errorf("EnvironmentDrift = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestUpdateEnvironmentParams(t *testing.T) {
	remote := echoEnvironment(t, NewEnvironmentParams(limitedEnvSpec(), "env-name", testOwner))
	remote["metadata"].(obj)["old.key"] = "1"
	c := newCapture(t, `{"type":"environment","id":"env_1","name":"env-name","config":{"type":"cloud"}}`)
	// The user removed everything optional: the update must clear it rather than leave it to the
	// server, which preserves config fields an update omits.
	p, opts := UpdateEnvironmentParams(&v1alpha1.EnvironmentSpec{}, "env-name", testOwner, remoteEnv(t, remote))
	client := c.client()
	if _, err := client.Beta.Environments.Update(testContext(t), "env_1", p, opts...); err != nil {
		t.Fatalf("Update: %v", err)
	}
	checkFields(t, c.lastBody(t), map[string]string{
		"name":        `"env-name"`,
		"description": `null`,
		"config":      `{"type":"cloud","networking":{"type":"unrestricted"},"packages":{"apt":[],"cargo":[],"gem":[],"go":[],"npm":[],"pip":[]}}`,
		"metadata": `{"claude.anthropic.com/uid":"0f3c-uid","claude.anthropic.com/namespace":"team-a","claude.anthropic.com/name":"fixer",
		 "owner":null,"old.key":null}`,
	}, nil)
}
