// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"maps"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/anthropics/anthropic-sdk-go/v2/packages/param"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// vaultDisplayName is spec.displayName, or the default (<namespace>/<name>) when it is empty.
func vaultDisplayName(spec *v1alpha1.VaultSpec, defaultName string) string {
	if spec.DisplayName != "" {
		return spec.DisplayName
	}
	return defaultName
}

// NewVaultParams translates a VaultSpec into the create request. owner holds the operator's reserved
// metadata keys, merged over the user's metadata.
func NewVaultParams(spec *v1alpha1.VaultSpec, defaultName string, owner map[string]string) anthropic.BetaVaultNewParams {
	return anthropic.BetaVaultNewParams{DisplayName: vaultDisplayName(spec, defaultName), Metadata: mergeMetadata(spec.Metadata, owner)}
}

// UpdateVaultParams translates a VaultSpec into an update of remote. Metadata is a patch on the API
// side: the returned options delete, with JSON null, the remote keys that are no longer desired.
func UpdateVaultParams(spec *v1alpha1.VaultSpec, defaultName string, owner map[string]string, remote *Vault) (anthropic.BetaVaultUpdateParams, []option.RequestOption) {
	desired := mergeMetadata(spec.Metadata, owner)
	p := anthropic.BetaVaultUpdateParams{DisplayName: param.NewOpt(vaultDisplayName(spec, defaultName)), Metadata: desired}
	return p, metadataDeletes(desired, remote.Metadata)
}

// VaultDrift names the vault's own fields that differ from the spec: display_name and metadata.
// Credentials are compared one by one with CredentialDrift.
func VaultDrift(spec *v1alpha1.VaultSpec, defaultName string, owner map[string]string, remote *Vault) []string {
	var d drift
	d.check("display_name", vaultDisplayName(spec, defaultName) == remote.DisplayName)
	d.check("metadata", maps.Equal(mergeMetadata(spec.Metadata, owner), remote.Metadata))
	return d.result()
}
