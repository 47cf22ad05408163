// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
)

// vaultRemote is the Vault's translation for the lifecycle driver: a Vault's spec and the Secrets it
// names to a remote vault and its credentials. The driver owns the vault's lifecycle; the connection
// keeps its credentials in line (vault_credentials.go) and reports each in status (vault_status.go).
type vaultRemote struct {
	// reader reads Secrets straight from the API server: the operator caches only their metadata.
	reader client.Reader
	// recorder emits the per-credential Events; the driver emits the vault's own.
	recorder events.EventRecorder
}

var _ remoteKind[*v1alpha1.Vault] = vaultRemote{}

func (vaultRemote) fields(v *v1alpha1.Vault) managedFields {
	st := &v.Status
	deletion := releaseArchive
	switch v.Spec.DeletionPolicy {
	case v1alpha1.VaultDeletionRetain:
		deletion = releaseRetain
	case v1alpha1.VaultDeletionDelete:
		deletion = releaseDelete
	}
	return managedFields{
		ID: &st.ID, ObservedGeneration: &st.ObservedGeneration, ConfigHash: &st.ConfigHash,
		LastSyncTime: &st.LastSyncTime, Conditions: &st.Conditions, Status: st,
		APIKeySecretRef: v.Spec.APIKeySecretRef, Deletion: deletion,
	}
}

// connect reads every credential's secret values. A credential whose Secret or key is missing does
// not stop the others: it is reported when the connection updates the vault.
func (r vaultRemote) connect(ctx context.Context, v *v1alpha1.Vault, api managedagents.Client) (remoteConnection, error) {
	src, err := readSecrets(ctx, r.reader, v.Namespace, vaultSecretNames(&v.Spec))
	if err != nil {
		return nil, err
	}
	c := &vaultConnection{api: api, vault: v, recorder: r.recorder, owner: ownerMetadata(v),
		displayName: v.Namespace + "/" + v.Name, validations: map[string]validationResult{}}
	digests := make([]any, 0, len(v.Spec.Credentials))
	for i := range v.Spec.Credentials {
		cr := &v.Spec.Credentials[i]
		d := desiredCredential{spec: cr}
		if d.secrets, d.readErr = managedagents.ReadCredentialSecrets(cr, src); d.readErr == nil {
			d.hashes = managedagents.CredentialSecretHashes(string(v.UID)+"/"+cr.Name, cr, d.secrets)
		}
		c.creds = append(c.creds, d)
		digests = append(digests, d.hashes, errorText(d.readErr))
	}
	c.hash = configHash(v.Spec, c.owner, digests)
	return c, nil
}

func (vaultRemote) findByUID(ctx context.Context, api managedagents.Client, uid types.UID) (string, error) {
	remote, err := api.FindVault(ctx, string(uid))
	if err != nil || remote == nil {
		return "", err
	}
	return remote.ID, nil
}

// release deletes the remote vault, or archives it, which purges its credentials' secrets.
func (vaultRemote) release(ctx context.Context, api managedagents.Client, id string, action releaseAction) error {
	if action == releaseDelete {
		return api.DeleteVault(ctx, id)
	}
	err := api.ArchiveVault(ctx, id)
	if err == nil || managedagents.IsNotFound(err) {
		return err
	}
	if remote, getErr := api.GetVault(ctx, id); getErr == nil && !remote.ArchivedAt.IsZero() {
		return nil
	}
	return err
}

// vaultSecretNames lists the Secrets a Vault's credentials read (the index that maps a Secret change
// to the Vaults that use it).
func vaultSecretNames(spec *v1alpha1.VaultSpec) []string {
	var names []string
	for _, c := range spec.Credentials {
		switch {
		case c.MCPOAuth != nil:
			names = append(names, c.MCPOAuth.AccessTokenSecretRef.Name)
			if r := c.MCPOAuth.Refresh; r != nil {
				names = append(names, r.RefreshTokenSecretRef.Name)
				if r.ClientSecretSecretRef != nil {
					names = append(names, r.ClientSecretSecretRef.Name)
				}
			}
		case c.StaticBearer != nil:
			names = append(names, c.StaticBearer.TokenSecretRef.Name)
		case c.EnvironmentVariable != nil:
			names = append(names, c.EnvironmentVariable.ValueSecretRef.Name)
		}
	}
	return compactNames(names)
}

// desiredCredential is one spec credential with what its Secrets hold now.
type desiredCredential struct {
	spec    *v1alpha1.VaultCredential
	secrets managedagents.CredentialSecrets
	// hashes digests each secret field (see CredentialSecretHashes); nil when readErr is set.
	hashes  map[string]string
	readErr error
}

// vaultConnection is one Vault's desired remote vault and credentials, for one reconcile.
type vaultConnection struct {
	api         managedagents.Client
	vault       *v1alpha1.Vault
	recorder    events.EventRecorder
	owner       map[string]string
	displayName string
	creds       []desiredCredential
	hash        string
	// validations holds the validations run by this reconcile, by credential name.
	validations map[string]validationResult
}

// vaultSnapshot is what observe read: the vault, its credentials that this Vault made (by name),
// and the plan that brings them in line.
type vaultSnapshot struct {
	vault *managedagents.Vault
	owned map[string]*managedagents.Credential
	plan  []credentialAction
}

func (c *vaultConnection) configHash() string { return c.hash }

func (c *vaultConnection) observe(ctx context.Context, id string) (observation, error) {
	remote, err := c.api.GetVault(ctx, id)
	if managedagents.IsNotFound(err) {
		return observation{}, nil
	}
	if err != nil {
		return observation{}, err
	}
	if !remote.ArchivedAt.IsZero() {
		return c.observed(&vaultSnapshot{vault: remote}), nil
	}
	creds, err := c.api.ListCredentials(ctx, id)
	if err != nil {
		return observation{}, err
	}
	snap := &vaultSnapshot{vault: remote}
	var strays []*managedagents.Credential
	snap.owned, strays = c.ownedCredentials(creds)
	snap.plan = c.planCredentials(snap.owned, strays)
	c.validate(ctx, id, snap.owned)
	return c.observed(snap), nil
}

func (c *vaultConnection) observed(snap *vaultSnapshot) observation {
	diff := managedagents.VaultDrift(&c.vault.Spec, c.displayName, c.owner, snap.vault)
	for _, a := range snap.plan {
		diff = append(diff, "credentials["+a.name+"]")
	}
	return observation{exists: true, id: snap.vault.ID, detail: fmt.Sprintf("%d credentials", len(snap.owned)),
		archived: !snap.vault.ArchivedAt.IsZero(), diff: diff, remote: snap}
}

// create makes the remote vault only; the credentials follow in update, which the driver calls
// because they show as differences.
func (c *vaultConnection) create(ctx context.Context) (observation, error) {
	remote, err := c.api.CreateVault(ctx, managedagents.NewVaultParams(&c.vault.Spec, c.displayName, c.owner))
	if err != nil {
		return observation{}, err
	}
	snap := &vaultSnapshot{vault: remote, owned: map[string]*managedagents.Credential{}}
	snap.plan = c.planCredentials(snap.owned, nil)
	return c.observed(snap), nil
}

// update brings the vault's own fields and then every credential in line. A credential that fails
// (a missing Secret, a value the API rejects) does not stop the others; the failures come back as one
// error that names each credential, after status recorded what did work.
func (c *vaultConnection) update(ctx context.Context, current observation) (observation, error) {
	snap := current.remote.(*vaultSnapshot)
	if len(managedagents.VaultDrift(&c.vault.Spec, c.displayName, c.owner, snap.vault)) > 0 {
		p, opts := managedagents.UpdateVaultParams(&c.vault.Spec, c.displayName, c.owner, snap.vault)
		updated, err := c.api.UpdateVault(ctx, snap.vault.ID, p, opts...)
		if err != nil {
			return observation{}, err
		}
		snap.vault = updated
	}
	var failed []credentialFailure
	for _, a := range snap.plan {
		if err := c.apply(ctx, snap, a); err != nil {
			failed = append(failed, credentialFailure{name: a.name, err: err})
		}
	}
	snap.plan = nil
	c.validate(ctx, snap.vault.ID, snap.owned) // what was just created or rotated
	c.writeStatus(snap, failed)
	if err := joinCredentialFailures(failed); err != nil {
		return observation{}, err
	}
	return c.observed(snap), nil
}

func (c *vaultConnection) record(current observation, _ Reason) {
	c.writeStatus(current.remote.(*vaultSnapshot), nil)
}
