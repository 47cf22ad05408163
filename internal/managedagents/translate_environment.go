// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"maps"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/anthropics/anthropic-sdk-go/v2/packages/param"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// NewEnvironmentParams translates an EnvironmentSpec into the create request for a cloud or a
// self-hosted environment. name is the resolved remote name (spec.name or its default); owner holds
// the operator's reserved metadata keys.
func NewEnvironmentParams(spec *v1alpha1.EnvironmentSpec, name string, owner map[string]string) anthropic.BetaEnvironmentNewParams {
	p := anthropic.BetaEnvironmentNewParams{
		Name:        name,
		Description: optString(spec.Description),
		Metadata:    mergeMetadata(spec.Metadata, owner),
	}
	if spec.IsSelfHosted() {
		p.Config.OfSelfHosted = selfHostedConfig()
	} else {
		cloud := cloudConfig(spec, false)
		p.Config.OfCloud = &cloud
	}
	return p
}

// UpdateEnvironmentParams translates an EnvironmentSpec into an update of remote. A cloud
// environment's networking and packages are sent whole, because the API preserves config fields that
// an update omits: an unset list is sent as [] so that it is cleared. A self-hosted environment's
// config has nothing but its type. Metadata is a patch: the returned options delete, with JSON null,
// the remote keys that are no longer desired.
func UpdateEnvironmentParams(spec *v1alpha1.EnvironmentSpec, name string, owner map[string]string, remote *anthropic.BetaEnvironment) (anthropic.BetaEnvironmentUpdateParams, []option.RequestOption) {
	desired := mergeMetadata(spec.Metadata, owner)
	p := anthropic.BetaEnvironmentUpdateParams{
		Name:     param.NewOpt(name),
		Metadata: desired,
	}
	if spec.IsSelfHosted() {
		p.Config.OfSelfHosted = selfHostedConfig()
	} else {
		cloud := cloudConfig(spec, true)
		p.Config.OfCloud = &cloud
	}
	// The environment API stores "" as "" and clears with null; null keeps "unset" looking the same
	// as on an environment created without a description.
	p.Description = param.Null[string]()
	if spec.Description != "" {
		p.Description = param.NewOpt(spec.Description)
	}
	return p, metadataDeletes(desired, remote.Metadata)
}

// cloudConfig builds networking and packages. Limited networking always carries its three fields
// (false and [] when unset), so that an update replaces them instead of keeping old values. On
// update, every package list is sent; on create, only the non-empty ones.
func cloudConfig(spec *v1alpha1.EnvironmentSpec, update bool) anthropic.BetaCloudConfigParams {
	var c anthropic.BetaCloudConfigParams
	if n := spec.Networking; n != nil && n.Type == v1alpha1.NetworkingLimited {
		c.Networking.OfLimited = &anthropic.BetaLimitedNetworkParams{
			AllowedHosts:         nonNil(n.AllowedHosts),
			AllowMCPServers:      param.NewOpt(n.AllowMCPServers != nil && *n.AllowMCPServers),
			AllowPackageManagers: param.NewOpt(n.AllowPackageManagers != nil && *n.AllowPackageManagers),
		}
	} else {
		u := anthropic.NewBetaUnrestrictedNetworkParam()
		c.Networking.OfUnrestricted = &u
	}
	var pk v1alpha1.Packages
	if spec.Packages != nil {
		pk = *spec.Packages
	}
	list := func(l v1alpha1.PackageList) []string {
		if update {
			return nonNil([]string(l))
		}
		return l
	}
	c.Packages = anthropic.BetaPackagesParams{
		Apt: list(pk.Apt), Cargo: list(pk.Cargo), Gem: list(pk.Gem), Go: list(pk.Go), Npm: list(pk.Npm), Pip: list(pk.Pip),
	}
	return c
}

// EnvironmentDrift compares an EnvironmentSpec with the remote environment and returns the sorted
// names of the fields that differ (name, description, metadata, type, and for a cloud environment
// networking and packages), or nil when in sync. Unset networking means unrestricted and unset
// packages means every list is empty; package lists and allowed hosts are compared as sets. A type
// that differs (an adopted environment of the other kind) cannot be fixed by an update: the API
// rejects it, and that error is what the user sees.
func EnvironmentDrift(spec *v1alpha1.EnvironmentSpec, name string, owner map[string]string, remote *anthropic.BetaEnvironment) []string {
	var d drift
	d.check("name", remote.Name == name)
	d.check("description", remote.Description == spec.Description)
	d.check("metadata", maps.Equal(mergeMetadata(spec.Metadata, owner), remote.Metadata))
	cfg := remote.Config
	d.check("type", cfg.Type == apiConfigType(spec))
	if !spec.IsSelfHosted() {
		d.check("networking", cfg.Type == configTypeCloud && networkingInSync(spec.Networking, cfg.Networking))
		d.check("packages", cfg.Type == configTypeCloud && packagesInSync(spec.Packages, cfg.Packages))
	}
	return d.result()
}

func networkingInSync(want *v1alpha1.Networking, got anthropic.BetaCloudConfigNetworkingUnion) bool {
	if want == nil || want.Type != v1alpha1.NetworkingLimited {
		return got.Type == "unrestricted"
	}
	return got.Type == "limited" &&
		sameSet(want.AllowedHosts, got.AllowedHosts) &&
		got.AllowMCPServers == (want.AllowMCPServers != nil && *want.AllowMCPServers) &&
		got.AllowPackageManagers == (want.AllowPackageManagers != nil && *want.AllowPackageManagers)
}

func packagesInSync(want *v1alpha1.Packages, got anthropic.BetaPackages) bool {
	var w v1alpha1.Packages
	if want != nil {
		w = *want
	}
	return sameSet(w.Apt, got.Apt) && sameSet(w.Cargo, got.Cargo) && sameSet(w.Gem, got.Gem) &&
		sameSet(w.Go, got.Go) && sameSet(w.Npm, got.Npm) && sameSet(w.Pip, got.Pip)
}
