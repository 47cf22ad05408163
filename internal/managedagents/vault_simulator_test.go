// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"errors"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

// simAPI is the operator's client on a fresh simulator, with the simulator for inspection.
func simAPI(t *testing.T) (Client, *simulator.Server) {
	sim := simulator.New(simulator.Options{StepDelay: -1})
	srv := httptest.NewServer(sim)
	t.Cleanup(func() { sim.Close(); srv.Close() })
	api := anthropic.NewClient(option.WithBaseURL(srv.URL), option.WithAPIKey("test-key"), option.WithMaxRetries(0))
	return &sdkClient{api: api}, sim
}

func TestVaultRoundTripThroughSimulator(t *testing.T) {
	ctx := testContext(t)
	api, sim := simAPI(t)
	spec := &v1alpha1.VaultSpec{Metadata: v1alpha1.Metadata{"team": "platform"}}
	v, err := api.CreateVault(ctx, NewVaultParams(spec, "team-a/creds", testOwner))
	if err != nil {
		t.Fatal(err)
	}
	if d := VaultDrift(spec, "team-a/creds", testOwner, v); d != nil {
		t.Fatalf("drift right after create: %v", d)
	}
	if found, err := api.FindVault(ctx, testOwner[v1alpha1.MetadataKeyUID]); err != nil || found == nil || found.ID != v.ID {
		t.Fatalf("find by UID: %v %v", found, err)
	}
	spec.DisplayName, spec.Metadata = "Platform", nil
	if d := VaultDrift(spec, "team-a/creds", testOwner, v); !slices.Equal(d, []string{"display_name", "metadata"}) {
		t.Fatalf("drift after the spec changed: %v", d)
	}
	p, opts := UpdateVaultParams(spec, "team-a/creds", testOwner, v)
	if v, err = api.UpdateVault(ctx, v.ID, p, opts...); err != nil {
		t.Fatal(err)
	}
	if d := VaultDrift(spec, "team-a/creds", testOwner, v); d != nil || v.Metadata["team"] != "" {
		t.Fatalf("drift after the update: %v (%v)", d, v.Metadata)
	}

	t.Run("credentials", func(t *testing.T) { testCredentialsThroughSimulator(t, api, sim, v.ID) })

	if err := api.ArchiveVault(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	if err := api.DeleteVault(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := api.GetVault(ctx, v.ID); !IsNotFound(err) {
		t.Fatalf("get after delete: %v", err)
	}
}

func testCredentialsThroughSimulator(t *testing.T, api Client, sim *simulator.Server, vaultID string) {
	ctx := testContext(t)
	secrets := testSecrets(time.Now().Add(time.Hour).UTC().Truncate(time.Second))
	remote := createTestCredentials(t, api, vaultID, secrets)
	listed, err := api.ListCredentials(ctx, vaultID)
	if err != nil || len(listed) != 3 {
		t.Fatalf("list: %d %v", len(listed), err)
	}
	t.Run("rotating one token sends only it", func(t *testing.T) { rotateOneToken(t, api, sim, vaultID, remote, secrets) })
	t.Run("drift", func(t *testing.T) { credentialDriftKinds(t, remote) })
	t.Run("a value the API rejects", func(t *testing.T) {
		s, _ := ReadCredentialSecrets(oauthCredential(), secrets)
		s.AccessToken = "at with spaces"
		p, _ := UpdateCredentialParams(oauthCredential(), s, []string{SecretAccessToken}, nil, remote["notion"])
		_, err := api.UpdateCredential(ctx, vaultID, remote["notion"].ID, p)
		var apiErr *Error
		// The API's message names the field, never the value.
		if !errors.As(err, &apiErr) || apiErr.Kind != KindTerminal || apiErr.Message != "auth.access_token: must not contain whitespace or control characters" {
			t.Fatalf("rejected value: %v", err)
		}
	})
	if v, err := api.ValidateCredential(ctx, vaultID, remote["notion"].ID); err != nil || v.Status != "valid" {
		t.Fatalf("validate: %v %v", v, err)
	}
	if err := api.DeleteCredential(ctx, vaultID, remote["linear"].ID); err != nil {
		t.Fatal(err)
	}
	if listed, _ := api.ListCredentials(ctx, vaultID); len(listed) != 2 {
		t.Fatalf("after delete: %d credentials", len(listed))
	}
}

// createTestCredentials creates the three test credentials and checks that each is in sync as the
// API returns it.
func createTestCredentials(t *testing.T, api Client, vaultID string, secrets DataSource) map[string]*Credential {
	remote := map[string]*Credential{}
	for _, c := range []*v1alpha1.VaultCredential{oauthCredential(), bearerCredential(), envCredential()} {
		s, err := ReadCredentialSecrets(c, secrets)
		if err != nil {
			t.Fatal(err)
		}
		p, err := NewCredentialParams(c, s, CredentialOwner("uid", c.Name))
		if err != nil {
			t.Fatal(err)
		}
		cr, err := api.CreateCredential(testContext(t), vaultID, p)
		if err != nil {
			t.Fatalf("create %s: %v", c.Name, err)
		}
		if u, r := CredentialDrift(c, CredentialOwner("uid", c.Name), cr); u != nil || r != nil {
			t.Fatalf("%s: drift right after create: update %v replace %v", c.Name, u, r)
		}
		remote[c.Name] = cr
	}
	return remote
}

// rotateOneToken rotates the OAuth access token: the refresh token, which the API may have rotated on
// its own, is not sent again, and the other credentials are not touched.
func rotateOneToken(t *testing.T, api Client, sim *simulator.Server, vaultID string, remote map[string]*Credential, secrets DataSource) {
	notion := oauthCredential()
	s, _ := ReadCredentialSecrets(notion, secrets)
	s.AccessToken = "at-2"
	p, opts := UpdateCredentialParams(notion, s, []string{SecretAccessToken}, CredentialOwner("uid", "notion"), remote["notion"])
	if _, err := api.UpdateCredential(testContext(t), vaultID, remote["notion"].ID, p, opts...); err != nil {
		t.Fatal(err)
	}
	got, _ := sim.Credential(remote["notion"].ID)
	other, _ := sim.Credential(remote["linear"].ID)
	if got.Secrets["access_token"] != "at-2" || got.Secrets["refresh.refresh_token"] != "rt-1" || got.SecretUpdates != 1 || other.Updates != 0 {
		t.Fatalf("after rotating one token: %+v, other %+v", got, other)
	}
}

// credentialDriftKinds tells drift an update fixes from drift that needs a new credential.
func credentialDriftKinds(t *testing.T, remote map[string]*Credential) {
	env := envCredential()
	env.EnvironmentVariable.InjectInto = nil
	if u, r := CredentialDrift(env, CredentialOwner("uid", "stripe"), remote["stripe"]); !slices.Equal(u, []string{"auth.injection_location"}) || r != nil {
		t.Fatalf("injection drift: update %v replace %v", u, r)
	}
	env.EnvironmentVariable.VariableName = "STRIPE_KEY"
	if _, r := CredentialDrift(env, CredentialOwner("uid", "stripe"), remote["stripe"]); !slices.Equal(r, []string{"auth.secret_name"}) {
		t.Fatalf("a renamed variable needs a new credential, got %v", r)
	}
	if _, r := CredentialDrift(envCredential(), CredentialOwner("uid", "stripe"), remote["linear"]); !slices.Contains(r, "auth.type") {
		t.Fatalf("a type change needs a new credential, got %v", r)
	}
}
