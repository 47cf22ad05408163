// SPDX-License-Identifier: Apache-2.0

package simulator_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

// recorder keeps every response body and header the client receives.
type recorder struct {
	mu   sync.Mutex
	seen bytes.Buffer
}

func (rec *recorder) middleware(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
	resp, err := next(req)
	if err != nil {
		return resp, err
	}
	body, rerr := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for k, v := range resp.Header {
		rec.seen.WriteString(k + ": " + strings.Join(v, ",") + "\n")
	}
	rec.seen.Write(body)
	return resp, rerr
}

// TestSecretsNeverEchoed drives every endpoint that takes a secret, in its
// success and its failure paths, and scans everything the client received.
func TestSecretsNeverEchoed(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	rec := &recorder{}
	c := anthropic.NewClient(option.WithBaseURL(h.url), option.WithAPIKey("k"), option.WithMaxRetries(0),
		option.WithMiddleware(rec.middleware))
	secrets := []string{"S3CR3T-access", "S3CR3T-refresh", "S3CR3T-client", "S3CR3T-bearer", "S3CR3T-envvalue",
		"S3CR3T-rotated", "S3CR3T-repo", "S3CR3T-repo2"}

	v, err := c.Beta.Vaults.New(ctx, anthropic.BetaVaultNewParams{DisplayName: "scan"})
	if err != nil {
		t.Fatal(err)
	}
	creds := []anthropic.BetaVaultCredentialNewParamsAuthUnion{
		oauth("https://mcp.example.com/a", "S3CR3T-access", secretRefresh("S3CR3T-refresh", "S3CR3T-client")),
		bearer("https://mcp.example.com/b", "S3CR3T-bearer"),
		envVar("API_KEY", "S3CR3T-envvalue"),
	}
	var ids []string
	for _, auth := range creds {
		cr, err := c.Beta.Vaults.Credentials.New(ctx, v.ID, anthropic.BetaVaultCredentialNewParams{Auth: auth})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, cr.ID)
		// The same key again: a 409 that must not echo the body either.
		_, _ = c.Beta.Vaults.Credentials.New(ctx, v.ID, anthropic.BetaVaultCredentialNewParams{Auth: auth})
	}
	_, _ = c.Beta.Vaults.Credentials.Update(ctx, ids[1], anthropic.BetaVaultCredentialUpdateParams{VaultID: v.ID,
		Auth: anthropic.BetaVaultCredentialUpdateParamsAuthUnion{OfStaticBearer: &anthropic.BetaManagedAgentsStaticBearerUpdateParams{Token: anthropic.String("S3CR3T-rotated")}}})
	// A rejected value: the message names the field, not the value.
	_, _ = c.Beta.Vaults.Credentials.Update(ctx, ids[1], anthropic.BetaVaultCredentialUpdateParams{VaultID: v.ID,
		Auth: anthropic.BetaVaultCredentialUpdateParamsAuthUnion{OfStaticBearer: &anthropic.BetaManagedAgentsStaticBearerUpdateParams{Token: anthropic.String("S3CR3T-rotated with space")}}})
	_, _ = c.Beta.Vaults.Credentials.MCPOAuthValidate(ctx, ids[0], anthropic.BetaVaultCredentialMCPOAuthValidateParams{VaultID: v.ID})
	list := c.Beta.Vaults.Credentials.ListAutoPaging(ctx, v.ID, anthropic.BetaVaultCredentialListParams{IncludeArchived: anthropic.Bool(true)})
	for list.Next() {
		_, _ = c.Beta.Vaults.Credentials.Get(ctx, list.Current().ID, anthropic.BetaVaultCredentialGetParams{VaultID: v.ID})
	}

	sess, err := c.Beta.Sessions.New(ctx, anthropic.BetaSessionNewParams{
		Agent:         anthropic.BetaSessionNewParamsAgentUnion{OfString: anthropic.String(h.agent(ctx, anthropic.BetaAgentNewParams{}).ID)},
		EnvironmentID: h.env(ctx).ID, VaultIDs: []string{v.ID},
		Resources: []anthropic.BetaSessionNewParamsResourceUnion{repoResource("https://github.com/acme/app", "S3CR3T-repo")}})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.Beta.Sessions.Resources.Update(ctx, sess.Resources[0].ID, anthropic.BetaSessionResourceUpdateParams{SessionID: sess.ID, AuthorizationToken: "S3CR3T-repo2"})
	_, _ = c.Beta.Sessions.Resources.List(ctx, sess.ID, anthropic.BetaSessionResourceListParams{})
	_, _ = c.Beta.Sessions.Get(ctx, sess.ID, anthropic.BetaSessionGetParams{})
	_, _ = c.Beta.Sessions.Events.List(ctx, sess.ID, anthropic.BetaSessionEventListParams{})

	rec.mu.Lock()
	seen := rec.seen.String()
	rec.mu.Unlock()
	if len(seen) < 1000 {
		t.Fatalf("recorded only %d bytes; the scan saw nothing", len(seen))
	}
	wantNoSecret(t, seen, secrets...)
	// And the values did arrive.
	if info, _ := h.sim.Credential(ids[1]); info.Secrets["token"] != "S3CR3T-rotated" {
		t.Fatalf("rotation did not arrive: %+v", info)
	}
}
