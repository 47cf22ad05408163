// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"github.com/anthropics/anthropic-sdk-go/v2"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// The API's environment config types (config.type).
const (
	configTypeCloud      = "cloud"
	configTypeSelfHosted = "self_hosted"
)

// apiConfigType is the API's config.type for a spec: "self_hosted" for a SelfHosted Environment,
// "cloud" otherwise (an empty spec.type is Cloud, the default).
func apiConfigType(spec *v1alpha1.EnvironmentSpec) string {
	if spec.IsSelfHosted() {
		return configTypeSelfHosted
	}
	return configTypeCloud
}

// selfHostedConfig is the API's config for a self-hosted environment. It carries nothing but its
// type: the sandbox template, the key and the limits of spec.selfHosted are the operator's, not
// the API's, and never leave the cluster.
func selfHostedConfig() *anthropic.BetaSelfHostedConfigParams {
	c := anthropic.NewBetaSelfHostedConfigParams()
	return &c
}

// IsSelfHostedEnvironment reports whether a remote environment is self-hosted, so that a caller
// adopting one by id can tell it from a cloud one.
func IsSelfHostedEnvironment(remote *Environment) bool {
	return remote.Config.Type == configTypeSelfHosted
}
