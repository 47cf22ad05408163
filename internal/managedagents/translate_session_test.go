// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

func TestNewSessionParamsWireJSON(t *testing.T) {
	full := &v1alpha1.SessionSpec{
		Prompt:   "Fix the failing test",
		Metadata: v1alpha1.Metadata{"ticket": "CI-1"},
		Resources: []v1alpha1.SessionResource{
			{GitHubRepository: &v1alpha1.GitHubRepositoryResource{URL: "https://github.com/acme/app", Branch: "main", TokenSecretRef: &v1alpha1.SecretKeyReference{Name: "gh"}}},
			{File: &v1alpha1.FileResource{FileID: "file_011", MountPath: "/workspace/data.csv"}},
			{GitHubRepository: &v1alpha1.GitHubRepositoryResource{URL: "https://github.com/acme/lib", Commit: "abc1234", MountPath: "/src/lib"}},
			{MemoryStore: &v1alpha1.MemoryStoreResource{MemoryStoreID: "memstore_1", Access: "ReadOnly", Instructions: "notes"}},
			{MemoryStore: &v1alpha1.MemoryStoreResource{MemoryStoreID: "memstore_2", Access: "ReadWrite"}},
		},
		VaultIDs: []string{"vlt_011"},
		Budget:   &v1alpha1.Budget{MaxListCostUSD: "25"},
	}
	in := SessionInputs{AgentID: "agent_011", AgentVersion: 3, EnvironmentID: "env_011", Title: "fix CI", GitHubTokens: map[int]string{0: "ghp_xxx"}}
	cases := []struct {
		name, why string
		spec      *v1alpha1.SessionSpec
		in        SessionInputs
		want      map[string]string
		absent    []string
	}{{
		name: "full", spec: full, in: in,
		why: "every field matches managed-agents-api.md §4 and §8; tokens go to the resource at their index only",
		want: map[string]string{
			"agent": `{"type":"agent","id":"agent_011","version":3}`, "environment_id": `"env_011"`, "title": `"fix CI"`,
			"resources": `[
			 {"type":"github_repository","url":"https://github.com/acme/app","authorization_token":"ghp_xxx","checkout":{"type":"branch","name":"main"}},
			 {"type":"file","file_id":"file_011","mount_path":"/workspace/data.csv"},
			 {"type":"github_repository","url":"https://github.com/acme/lib","mount_path":"/src/lib","checkout":{"type":"commit","sha":"abc1234"}},
			 {"type":"memory_store","memory_store_id":"memstore_1","access":"read_only","instructions":"notes"},
			 {"type":"memory_store","memory_store_id":"memstore_2","access":"read_write"}]`,
			"vault_ids":      `["vlt_011"]`,
			"initial_events": `[{"type":"user.message","content":[{"type":"text","text":"Fix the failing test"}]}]`,
			"budget":         `{"type":"limit","max_list_cost":{"amount":"2500","currency":"USD"}}`,
			"metadata":       `{"ticket":"CI-1","claude.anthropic.com/uid":"0f3c-uid","claude.anthropic.com/namespace":"team-a","claude.anthropic.com/name":"fixer"}`,
		},
	}, {
		name: "latest agent, idle start", spec: &v1alpha1.SessionSpec{}, in: SessionInputs{AgentID: "agent_011", EnvironmentID: "env_011"},
		why:    "version 0 sends the string form (latest); no prompt means no initial event, so the session starts idle",
		want:   map[string]string{"agent": `"agent_011"`, "environment_id": `"env_011"`},
		absent: []string{"initial_events", "budget", "resources", "vault_ids", "title"},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewSessionParams(tc.spec, tc.in, testOwner)
			if err != nil {
				t.Fatal(err)
			}
			checkFields(t, fields(t, p), tc.want, tc.absent)
		})
	}
}

func TestNewSessionParamsInvalidBudget(t *testing.T) {
	_, err := NewSessionParams(&v1alpha1.SessionSpec{Budget: &v1alpha1.Budget{MaxListCostUSD: "2.555"}}, SessionInputs{AgentID: "a", EnvironmentID: "e"}, nil)
	var ise *InvalidSpecError
	if !errors.As(err, &ise) || ise.Field != "budget.maxListCostUSD" {
		t.Fatalf("err = %v, want InvalidSpecError on budget.maxListCostUSD", err)
	}
}

func TestSendEventsWireJSON(t *testing.T) {
	// The expected JSON is managed-agents-api.md §8 "Send events", element by element.
	cases := []struct {
		name  string
		event anthropic.BetaManagedAgentsEventParamsUnion
		want  string
	}{
		{"message", mustEvent(MessageEvent(&v1alpha1.SessionSpec{}, 1, "hi", nil)), `{"type":"user.message","content":[{"type":"text","text":"hi"}]}`},
		{"deny with message", ToolConfirmationEvent(v1alpha1.ToolConfirmation{ToolUseID: "sevt_1", Decision: v1alpha1.ConfirmationDeny, Message: "no"}),
			`{"type":"user.tool_confirmation","tool_use_id":"sevt_1","result":"deny","deny_message":"no"}`},
		{"allow", ToolConfirmationEvent(v1alpha1.ToolConfirmation{ToolUseID: "sevt_3", Decision: v1alpha1.ConfirmationAllow}),
			`{"type":"user.tool_confirmation","tool_use_id":"sevt_3","result":"allow"}`},
		{"custom tool result", CustomToolResultEvent(v1alpha1.CustomToolResult{ToolUseID: "sevt_2", Text: "TICKET-1"}),
			`{"type":"user.custom_tool_result","custom_tool_use_id":"sevt_2","content":[{"type":"text","text":"TICKET-1"}]}`},
		{"custom tool error", CustomToolResultEvent(v1alpha1.CustomToolResult{ToolUseID: "sevt_4", Text: "boom", IsError: true}),
			`{"type":"user.custom_tool_result","custom_tool_use_id":"sevt_4","content":[{"type":"text","text":"boom"}],"is_error":true}`},
		{"interrupt", InterruptEvent(), `{"type":"user.interrupt"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := json.Marshal(tc.event)
			if err != nil {
				t.Fatal(err)
			}
			if !jsonEqual(t, got, []byte(tc.want)) {
				t.Errorf("got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestUSDToMinorUnits(t *testing.T) {
	cases := []struct{ in, want, why string }{
		{"2.50", "250", "two decimals"},
		{"2.5", "250", "one decimal means tenths, not cents"},
		{"25", "2500", "whole dollars"},
		{"0.05", "5", "no leading zeros in the API's amount"},
		{"0.5", "50", "fifty cents"},
		{"0", "0", "zero stays one digit"},
		{"0.00", "0", "zero with decimals"},
		{"007.10", "710", "leading zeros in the input are dropped"},
		{"999999999.99", "99999999999", "the CRD maximum, beyond float32 precision, stays exact"},
		{"0.29", "29", "0.29 is 28.999... as a float64 times 100; parsing digits avoids it"},
	}
	for _, tc := range cases {
		if got, err := USDToMinorUnits(tc.in); err != nil || got != tc.want {
			t.Errorf("USDToMinorUnits(%q) = %q, %v; want %q (%s)", tc.in, got, err, tc.want, tc.why)
		}
	}
	for _, bad := range []string{"", ".5", "2.", "2.555", "-1", "1e3", "1,50", " 1", "abc", "1.2.3", "+1"} {
		if got, err := USDToMinorUnits(bad); err == nil {
			t.Errorf("USDToMinorUnits(%q) = %q, want an error", bad, got)
		}
	}
}

func TestMinorUnitsToUSD(t *testing.T) {
	cases := []struct{ in, want string }{
		{"250", "2.50"}, {"2500", "25.00"}, {"5", "0.05"}, {"50", "0.50"}, {"0", "0.00"},
		{"99999999999", "999999999.99"}, {"0012", "0.12"},
		{"", ""}, {"-5", "-5"}, {"1.5", "1.5"}, // not minor units: shown unchanged rather than invented
	}
	for _, tc := range cases {
		if got := MinorUnitsToUSD(tc.in); got != tc.want {
			t.Errorf("MinorUnitsToUSD(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// Round trip over every cent amount below $20: the two functions are exact inverses.
	for cents := range 2000 {
		usd := MinorUnitsToUSD(fmt.Sprint(cents))
		if back, err := USDToMinorUnits(usd); err != nil || back != fmt.Sprint(cents) {
			t.Fatalf("round trip %d -> %q -> %q, %v", cents, usd, back, err)
		}
	}
}
