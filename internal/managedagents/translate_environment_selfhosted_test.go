// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"errors"
	"net/http"
	"slices"
	"testing"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// selfHostedSpec is a SelfHosted Environment with everything the operator keeps to itself: none of
// the sandbox template, key or limits may reach the API.
func selfHostedSpec() *v1alpha1.EnvironmentSpec {
	return &v1alpha1.EnvironmentSpec{
		Type:        v1alpha1.EnvironmentTypeSelfHosted,
		Description: "sandboxes in the build cluster",
		Metadata:    v1alpha1.Metadata{"owner": "team-a"},
		SelfHosted: &v1alpha1.SelfHostedEnvironment{
			EnvironmentKeySecretRef: v1alpha1.SecretKeyReference{Name: "environment-key"},
			SandboxTemplate:         v1alpha1.SandboxTemplate{Image: "ghcr.io/example/toolchain:1"},
			MaxConcurrentSandboxes:  5,
		},
	}
}

func TestSelfHostedEnvironmentParamsWireJSON(t *testing.T) {
	const config = `{"type":"self_hosted"}`
	t.Run("create", func(t *testing.T) {
		// The config is the API's whole self_hosted variant: its type and nothing of spec.selfHosted.
		checkFields(t, fields(t, NewEnvironmentParams(selfHostedSpec(), "team-a-sandboxes", testOwner)),
			map[string]string{"name": `"team-a-sandboxes"`, "description": `"sandboxes in the build cluster"`, "config": config}, nil)
	})
	t.Run("update", func(t *testing.T) {
		// An update restates the type, which the API accepts because it does not change, and sends
		// neither networking nor packages, which a self-hosted config rejects.
		remote := remoteEnv(t, echoSelfHosted(selfHostedSpec(), "team-a-sandboxes"))
		c := newCapture(t, `{"type":"environment","id":"env_1","name":"team-a-sandboxes","config":{"type":"self_hosted"}}`)
		p, opts := UpdateEnvironmentParams(selfHostedSpec(), "team-a-sandboxes", testOwner, remote)
		client := c.client()
		if _, err := client.Beta.Environments.Update(testContext(t), "env_1", p, opts...); err != nil {
			t.Fatalf("Update: %v", err)
		}
		checkFields(t, c.lastBody(t), map[string]string{"config": config}, nil)
	})
}

// echoSelfHosted plays the API: a self-hosted environment as the API returns it after a create.
func echoSelfHosted(spec *v1alpha1.EnvironmentSpec, name string) obj {
	md := obj{}
	for k, v := range mergeMetadata(spec.Metadata, testOwner) {
		md[k] = v
	}
	return obj{"type": "environment", "id": "env_01sh", "name": name, "description": spec.Description, "scope": "organization",
		"metadata": md, "config": obj{"type": "self_hosted"},
		"created_at": "2026-05-01T10:00:00Z", "updated_at": "2026-05-01T10:00:00Z", "archived_at": nil}
}

func TestSelfHostedEnvironmentDrift(t *testing.T) {
	cases := []struct {
		name, why string
		spec      *v1alpha1.EnvironmentSpec
		edit      func(r obj)
		want      []string
	}{
		{name: "fresh", why: "a created self-hosted environment as the API echoes it is in sync", spec: selfHostedSpec()},
		{name: "sandbox template edited", why: "the template is the operator's; editing it changes nothing remote",
			spec: func() *v1alpha1.EnvironmentSpec {
				s := selfHostedSpec()
				s.SelfHosted.SandboxTemplate.Image = "debian:trixie"
				return s
			}()},
		{name: "remote is cloud", why: "an adopted cloud environment cannot serve a SelfHosted spec; only the type differs",
			spec: selfHostedSpec(), edit: func(r obj) { r["config"] = obj{"type": "cloud", "networking": obj{"type": "unrestricted"}} },
			want: []string{"type"}},
		{name: "metadata edited out of band", spec: selfHostedSpec(), edit: func(r obj) { r["metadata"].(obj)["rogue"] = "1" },
			want: []string{"metadata"}},
		{name: "renamed out of band", spec: selfHostedSpec(), edit: func(r obj) { r["name"] = "other" }, want: []string{"name"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			remote := echoSelfHosted(tc.spec, "team-a-sandboxes")
			if tc.edit != nil {
				tc.edit(remote)
			}
			if got := EnvironmentDrift(tc.spec, "team-a-sandboxes", testOwner, remoteEnv(t, remote)); !slices.Equal(got, tc.want) {
				t.Errorf("EnvironmentDrift = %v, want %v (%s)", got, tc.want, tc.why)
			}
		})
	}
}

// TestSelfHostedEnvironmentRoundTripThroughSimulator sends the translation through the SDK to the
// simulator: the create is accepted and in sync, an update is in sync, and an update that would turn
// the environment into a cloud one is refused by the API as invalid_config_type_change.
func TestSelfHostedEnvironmentRoundTripThroughSimulator(t *testing.T) {
	ctx, client := testContext(t), simClient(t)
	spec := selfHostedSpec()
	created, err := client.Beta.Environments.New(ctx, NewEnvironmentParams(spec, "team-a-sandboxes", testOwner))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if !IsSelfHostedEnvironment(created) {
		t.Fatalf("created config %s, want self_hosted", created.Config.RawJSON())
	}
	if d := EnvironmentDrift(spec, "team-a-sandboxes", testOwner, created); d != nil {
		t.Fatalf("drift right after create: %v (remote %s)", d, created.RawJSON())
	}
	spec.Description = ""
	p, opts := UpdateEnvironmentParams(spec, "team-a-sandboxes", testOwner, created)
	updated, err := client.Beta.Environments.Update(ctx, created.ID, p, opts...)
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if d := EnvironmentDrift(spec, "team-a-sandboxes", testOwner, updated); d != nil {
		t.Errorf("drift right after update: %v (remote %s)", d, updated.RawJSON())
	}
	cloud := &v1alpha1.EnvironmentSpec{}
	p, opts = UpdateEnvironmentParams(cloud, "team-a-sandboxes", testOwner, updated)
	_, err = client.Beta.Environments.Update(ctx, created.ID, p, opts...)
	if !isStatus(err, http.StatusBadRequest) {
		t.Fatalf("type change err = %v, want 400", err)
	}
	var e *Error
	if !errors.As(Classify(err), &e) || e.Kind != KindTerminal || e.Code != "invalid_config_type_change" {
		t.Errorf("type change classified %v, want Terminal/invalid_config_type_change", e)
	}
}
