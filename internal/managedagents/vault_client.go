// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"context"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// Vault, Credential and CredentialValidation are the API's vault objects, as the SDK decodes them.
// A Credential never carries a secret value: the API does not return them.
type (
	Vault                = anthropic.BetaManagedAgentsVault
	Credential           = anthropic.BetaManagedAgentsCredential
	CredentialValidation = anthropic.BetaManagedAgentsCredentialValidation
)

// VaultClient is what the Vault controller needs from the API. Every method returns errors classified
// as *Error and never retries on its own.
type VaultClient interface {
	CreateVault(ctx context.Context, params anthropic.BetaVaultNewParams) (*Vault, error)
	GetVault(ctx context.Context, id string) (*Vault, error)
	UpdateVault(ctx context.Context, id string, params anthropic.BetaVaultUpdateParams, opts ...option.RequestOption) (*Vault, error)
	ArchiveVault(ctx context.Context, id string) error
	DeleteVault(ctx context.Context, id string) error
	// FindVault returns the unarchived vault whose metadata carries this Kubernetes UID, or nil.
	FindVault(ctx context.Context, uid string) (*Vault, error)

	CreateCredential(ctx context.Context, vaultID string, params anthropic.BetaVaultCredentialNewParams) (*Credential, error)
	UpdateCredential(ctx context.Context, vaultID, credentialID string, params anthropic.BetaVaultCredentialUpdateParams, opts ...option.RequestOption) (*Credential, error)
	DeleteCredential(ctx context.Context, vaultID, credentialID string) error
	// ListCredentials returns the vault's active (unarchived) credentials.
	ListCredentials(ctx context.Context, vaultID string) ([]Credential, error)
	// ValidateCredential probes an mcp_oauth credential against its MCP server.
	ValidateCredential(ctx context.Context, vaultID, credentialID string) (*CredentialValidation, error)
}

var _ VaultClient = (*sdkClient)(nil)

func (c *sdkClient) CreateVault(ctx context.Context, p anthropic.BetaVaultNewParams) (*Vault, error) {
	v, err := c.api.Beta.Vaults.New(ctx, p)
	return v, Classify(err)
}

func (c *sdkClient) GetVault(ctx context.Context, id string) (*Vault, error) {
	v, err := c.api.Beta.Vaults.Get(ctx, id, anthropic.BetaVaultGetParams{})
	return v, Classify(err)
}

func (c *sdkClient) UpdateVault(ctx context.Context, id string, p anthropic.BetaVaultUpdateParams, opts ...option.RequestOption) (*Vault, error) {
	v, err := c.api.Beta.Vaults.Update(ctx, id, p, opts...)
	return v, Classify(err)
}

func (c *sdkClient) ArchiveVault(ctx context.Context, id string) error {
	_, err := c.api.Beta.Vaults.Archive(ctx, id, anthropic.BetaVaultArchiveParams{})
	return Classify(err)
}

func (c *sdkClient) DeleteVault(ctx context.Context, id string) error {
	_, err := c.api.Beta.Vaults.Delete(ctx, id, anthropic.BetaVaultDeleteParams{})
	return Classify(err)
}

func (c *sdkClient) FindVault(ctx context.Context, uid string) (*Vault, error) {
	pager := c.api.Beta.Vaults.ListAutoPaging(ctx, anthropic.BetaVaultListParams{Limit: anthropic.Int(100)})
	for pager.Next() {
		if v := pager.Current(); v.Metadata[v1alpha1.MetadataKeyUID] == uid {
			return &v, nil
		}
	}
	return nil, Classify(pager.Err())
}

func (c *sdkClient) CreateCredential(ctx context.Context, vaultID string, p anthropic.BetaVaultCredentialNewParams) (*Credential, error) {
	cr, err := c.api.Beta.Vaults.Credentials.New(ctx, vaultID, p)
	return cr, Classify(err)
}

func (c *sdkClient) UpdateCredential(ctx context.Context, vaultID, credentialID string, p anthropic.BetaVaultCredentialUpdateParams, opts ...option.RequestOption) (*Credential, error) {
	p.VaultID = vaultID
	cr, err := c.api.Beta.Vaults.Credentials.Update(ctx, credentialID, p, opts...)
	return cr, Classify(err)
}

func (c *sdkClient) DeleteCredential(ctx context.Context, vaultID, credentialID string) error {
	_, err := c.api.Beta.Vaults.Credentials.Delete(ctx, credentialID, anthropic.BetaVaultCredentialDeleteParams{VaultID: vaultID})
	return Classify(err)
}

func (c *sdkClient) ListCredentials(ctx context.Context, vaultID string) ([]Credential, error) {
	pager := c.api.Beta.Vaults.Credentials.ListAutoPaging(ctx, vaultID, anthropic.BetaVaultCredentialListParams{Limit: anthropic.Int(100)})
	var out []Credential
	for pager.Next() {
		out = append(out, pager.Current())
	}
	return out, Classify(pager.Err())
}

func (c *sdkClient) ValidateCredential(ctx context.Context, vaultID, credentialID string) (*CredentialValidation, error) {
	v, err := c.api.Beta.Vaults.Credentials.MCPOAuthValidate(ctx, credentialID, anthropic.BetaVaultCredentialMCPOAuthValidateParams{VaultID: vaultID})
	return v, Classify(err)
}
