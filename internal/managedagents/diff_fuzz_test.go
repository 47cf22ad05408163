// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"fmt"
	"testing"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// FuzzAgentRoundTrip checks the property drift detection rests on: for any valid spec,
// translate -> marshal -> the API's echo with resolved defaults -> AgentDrift is nil. The fuzzer's
// bytes drive a generator that only builds specs the CRD schema admits.
func FuzzAgentRoundTrip(f *testing.F) {
	for _, seed := range [][]byte{
		{}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		[]byte("managed agents operator"), {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20},
		{7, 0, 7, 0, 7, 0, 7, 0, 200, 100, 50, 25, 12, 6, 3, 1},
		// Found by the fuzzer: a custom tool whose schema is only {"type":"object"}, and an empty
		// userLocation; both once translated to zero SDK structs that the SDK omitted.
		[]byte("00000000001"), []byte("0000000010000000010001"),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		spec := genAgentSpec(&byteSource{data: data})
		p, err := NewAgentParams(spec, testOwner)
		if err != nil {
			t.Fatalf("NewAgentParams(%+v): %v", spec, err)
		}
		if got := AgentDrift(spec, testOwner, decodeAgent(t, echoAgent(t, p))); got != nil {
			t.Fatalf("AgentDrift = %v for spec %+v", got, spec)
		}
	})
}

// byteSource hands out the fuzzer's bytes, then zeros.
type byteSource struct {
	data []byte
	i    int
}

func (b *byteSource) next() int {
	if b.i >= len(b.data) {
		return 0
	}
	b.i++
	return int(b.data[b.i-1])
}

// pick returns one of opts; the first option is what exhausted input picks.
func pick[T any](b *byteSource, opts ...T) T { return opts[b.next()%len(opts)] }

func (b *byteSource) flag() bool { return b.next()%2 == 1 }

func (b *byteSource) optBool() *bool { return pick(b, nil, ptr(true), ptr(false)) }

func (b *byteSource) policy() v1alpha1.PermissionPolicy {
	return pick[v1alpha1.PermissionPolicy](b, "", v1alpha1.PermissionAlwaysAllow, v1alpha1.PermissionAlwaysAsk, v1alpha1.PermissionAuto)
}

func genAgentSpec(b *byteSource) *v1alpha1.AgentSpec {
	s := &v1alpha1.AgentSpec{
		Name:        pick(b, "a", "repo-fixer", "ünïcode name"),
		Description: pick(b, "", "desc"),
		System:      pick(b, "", "be careful", "line\nbreak \"quoted\""),
		Model: v1alpha1.ModelConfig{
			ID:           pick(b, "claude-opus-4-8", "claude-sonnet-4-6"),
			Effort:       pick[v1alpha1.ModelEffort](b, "", "low", "medium", "high", "xhigh", "max"),
			Speed:        pick[v1alpha1.ModelSpeed](b, "", "standard", "fast"),
			InferenceGeo: pick(b, "", "us", "global"),
		},
		Metadata: pick(b, v1alpha1.Metadata(nil), v1alpha1.Metadata{"team": "a", "dotted.key": "v"}),
	}
	if b.flag() {
		s.Tools = append(s.Tools, v1alpha1.Tool{AgentToolset: genToolset(b)})
	}
	for i := range b.next() % 3 {
		name := fmt.Sprintf("server%d", i)
		s.MCPServers = append(s.MCPServers, v1alpha1.MCPServer{Name: name, URL: "https://mcp.example/" + name})
		ts := &v1alpha1.MCPToolset{MCPServerName: name}
		if b.flag() {
			ts.DefaultConfig = &v1alpha1.ToolsetDefaults{Enabled: b.optBool(), PermissionPolicy: b.policy()}
		}
		for j := range b.next() % 3 {
			ts.Configs = append(ts.Configs, v1alpha1.MCPToolConfig{Name: fmt.Sprintf("tool%d", j), Enabled: b.optBool(), PermissionPolicy: b.policy()})
		}
		s.Tools = append(s.Tools, v1alpha1.Tool{MCPToolset: ts})
	}
	for i := range b.next() % 3 {
		schema := pick(b, `{"type":"object"}`, `{"type":"object","properties":{"q":{"type":"string"}},"required":["q"]}`,
			`{"type":"object","properties":{"n":{"type":"number","minimum":0.5}},"additionalProperties":false,"$defs":{}}`)
		s.Tools = append(s.Tools, v1alpha1.Tool{Custom: &v1alpha1.CustomTool{Name: fmt.Sprintf("custom_%d", i), Description: "d", InputSchema: rawJSON(schema)}})
	}
	for i := range b.next() % 3 {
		sk := v1alpha1.AgentSkill{Type: v1alpha1.SkillAnthropic, SkillID: fmt.Sprintf("s%d", i), Version: pick(b, "", "1", "20260401")}
		if b.flag() {
			sk.Type, sk.SkillID = v1alpha1.SkillCustom, fmt.Sprintf("skill_%d", i)
		}
		s.Skills = append(s.Skills, sk)
	}
	if b.flag() {
		s.Multiagent = genMultiagent(b)
	}
	s.ExecutionIdentity = pick(b, nil, &v1alpha1.ExecutionIdentity{Type: v1alpha1.ExecutionIdentityServiceAccount},
		&v1alpha1.ExecutionIdentity{Type: v1alpha1.ExecutionIdentityAWSRole, RoleARN: "arn:aws:iam::123456789012:role/r"})
	return s
}

func genToolset(b *byteSource) *v1alpha1.AgentToolset {
	ts := &v1alpha1.AgentToolset{}
	if b.flag() {
		ts.DefaultConfig = &v1alpha1.ToolsetDefaults{Enabled: b.optBool(), PermissionPolicy: b.policy()}
	}
	for _, name := range builtinToolNames {
		if !b.flag() {
			continue
		}
		c := v1alpha1.BuiltinToolConfig{Name: v1alpha1.BuiltinToolName(name), Enabled: b.optBool(), PermissionPolicy: b.policy()}
		if name == "web_fetch" || name == "web_search" {
			switch b.next() % 3 {
			case 1:
				c.AllowedDomains = []string{"a.example", "b.example"}
			case 2:
				c.BlockedDomains = []string{"c.example"}
			}
		}
		if name == "web_fetch" && b.flag() {
			c.MaxContentTokens = ptr(int64(b.next() + 1))
			c.URLSources = &v1alpha1.URLSources{
				UserInput:         pick(b, nil, &v1alpha1.URLSourcePolicy{Mode: "All"}, &v1alpha1.URLSourcePolicy{Mode: "None"}),
				ClientToolResults: genURLSource(b),
				ServerToolResults: genURLSource(b),
			}
		}
		if name == "web_search" && b.flag() {
			c.UserLocation = &v1alpha1.UserLocation{City: pick(b, "", "Paris"), Country: pick(b, "", "FR"), Region: pick(b, "", "IDF"), Timezone: pick(b, "", "Europe/Paris")}
		}
		ts.Configs = append(ts.Configs, c)
	}
	return ts
}

func genURLSource(b *byteSource) *v1alpha1.URLSourcePolicy {
	return pick(b, nil, &v1alpha1.URLSourcePolicy{Mode: "All"}, &v1alpha1.URLSourcePolicy{Mode: "None"},
		&v1alpha1.URLSourcePolicy{Mode: "Only", Tools: []string{"custom_0"}}, &v1alpha1.URLSourcePolicy{Mode: "Except", Tools: []string{"web_search", "bash"}})
}

func genMultiagent(b *byteSource) *v1alpha1.Multiagent {
	m := &v1alpha1.Multiagent{}
	m.Advisor = pick(b, nil, &v1alpha1.MultiagentAdvisor{Enabled: true, Model: "claude-opus-4-8"}, &v1alpha1.MultiagentAdvisor{})
	gen := func() *v1alpha1.MultiagentDelegation {
		switch b.next() % 3 {
		case 1:
			return &v1alpha1.MultiagentDelegation{}
		case 2:
			d := &v1alpha1.MultiagentDelegation{Enabled: true, InlineAgents: b.optBool()}
			for i := range b.next() % 3 {
				d.PredefinedAgents = append(d.PredefinedAgents, v1alpha1.AgentTarget{ID: fmt.Sprintf("agent_0%d", i), Version: pick(b, nil, ptr(int64(2)))})
			}
			return d
		}
		return nil
	}
	m.Subagents, m.Workflows = gen(), gen()
	return m
}
