// SPDX-License-Identifier: Apache-2.0

package simulator_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"

	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

// validationFixture is a vault with two OAuth credentials and a bearer one.
type validationFixture struct {
	h                     *harness
	ctx                   context.Context
	vaultID               string
	notion, asana, linear string
}

func (f *validationFixture) validate(id string) (*anthropic.BetaManagedAgentsCredentialValidation, error) {
	return f.h.client.Beta.Vaults.Credentials.MCPOAuthValidate(f.ctx, id, anthropic.BetaVaultCredentialMCPOAuthValidateParams{VaultID: f.vaultID})
}

func TestCredentialValidation(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	v := h.vault(ctx)
	f := &validationFixture{h: h, ctx: ctx, vaultID: v.ID,
		notion: h.credential(ctx, v.ID, oauth("https://mcp.notion.com/mcp", "at", secretRefresh("rt", "cs"))).ID,
		asana:  h.credential(ctx, v.ID, oauth("https://mcp.asana.com/sse", "at", nil)).ID,
		linear: h.credential(ctx, v.ID, bearer("https://mcp.linear.app/mcp", "t")).ID}
	// In order: the rules accumulate.
	t.Run("without a rule a credential with an access token is valid", f.defaultValid)
	t.Run("a rule by server URL scripts a rejected token and a failed refresh", f.ruleByURL)
	t.Run("a newer rule by credential id wins, over HTTP", f.ruleOverHTTP)
	t.Run("a bad rule is refused", f.badRule)
	t.Run("only OAuth credentials can be validated", func(t *testing.T) {
		_, err := f.validate(f.linear)
		wantAPIError(t, err, 400, "invalid_request_error", "only mcp_oauth")
	})
	t.Run("archived credentials cannot be validated", func(t *testing.T) {
		if _, err := h.client.Beta.Vaults.Credentials.Archive(ctx, f.asana, anthropic.BetaVaultCredentialArchiveParams{VaultID: v.ID}); err != nil {
			t.Fatal(err)
		}
		_, err := f.validate(f.asana)
		wantAPIError(t, err, 400, "invalid_request_error", "archived")
	})
}

func (f *validationFixture) defaultValid(t *testing.T) {
	got, err := f.validate(f.notion)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"vault_credential_validation","credential_id":"` + f.notion + `","vault_id":"` + f.vaultID +
		`","has_refresh_token":true,"status":"valid","mcp_probe":null,"refresh":null,"validated_at":"` +
		got.ValidatedAt.Format(time.RFC3339Nano) + `"}`
	if !sameJSON(got.RawJSON(), want) {
		t.Fatalf("validation %s, want %s", got.RawJSON(), want)
	}
}

func (f *validationFixture) ruleByURL(t *testing.T) {
	if _, err := f.h.sim.AddValidationRule(simulator.ValidationRule{MCPServerURL: "https://mcp.notion.com/mcp",
		Status: simulator.ValidationInvalid, ProbeMethod: "initialize", ProbeStatus: 401, ProbeBody: `{"error":"expired"}`,
		Refresh: "failed"}); err != nil {
		t.Fatal(err)
	}
	got, err := f.validate(f.notion)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != "invalid" || got.MCPProbe.Method != "initialize" || got.MCPProbe.HTTPResponse.StatusCode != 401 ||
		got.Refresh.Status != "failed" || got.Refresh.HTTPResponse.StatusCode != 400 {
		t.Fatalf("validation %s", got.RawJSON())
	}
	other, err := f.validate(f.asana)
	if err != nil || other.Status != "valid" || other.HasRefreshToken {
		t.Fatalf("a rule for another URL leaked: %v %v", other, err)
	}
}

func (f *validationFixture) ruleOverHTTP(t *testing.T) {
	var listed struct {
		Rules []simulator.ValidationRule `json:"rules"`
	}
	status := postJSON(t, f.h.url+"/_simulator/credential_validations",
		`{"credential_id":"`+f.notion+`","status":"unknown","probe_method":"tools/list"}`, &listed)
	if status != 200 || len(listed.Rules) != 2 {
		t.Fatalf("POST rules: %d %+v", status, listed)
	}
	got, err := f.validate(f.notion)
	if err != nil || got.Status != "unknown" || got.MCPProbe.Method != "tools/list" || got.MCPProbe.JSON.HTTPResponse.Raw() != "null" {
		t.Fatalf("validation %v %v", got, err)
	}
	req, _ := http.NewRequest(http.MethodDelete, f.h.url+"/_simulator/credential_validations", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if got, _ := f.validate(f.notion); resp.StatusCode != 200 || got.Status != "valid" {
		t.Fatalf("after clearing (%d): %s", resp.StatusCode, got.RawJSON())
	}
}

func (f *validationFixture) badRule(t *testing.T) {
	if _, err := f.h.sim.AddValidationRule(simulator.ValidationRule{Status: "valid"}); err == nil {
		t.Fatal("a rule matching nothing was accepted")
	}
	if status := postJSON(t, f.h.url+"/_simulator/credential_validations", `{"mcp_server_url":"https://x","status":"fine"}`, nil); status != 400 {
		t.Fatalf("POST bad rule: %d", status)
	}
}

// postJSON posts body and decodes the answer into out (when not nil).
func postJSON(t *testing.T, url, body string, out any) int {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode
}
