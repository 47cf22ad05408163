// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/anthropics/managed-agents-operator/internal/plugin"
)

// newVaultCommand groups what is about Vaults: `kubectl claude vault status NAME`.
func newVaultCommand(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vault",
		Short: "Show a Vault's credentials: type, remote id, validity and last rotation",
	}
	cmd.AddCommand(newVaultStatusCommand(o))
	return cmd
}

func newVaultStatusCommand(o *options) *cobra.Command {
	return o.reportCommand(&cobra.Command{
		Use:   "status VAULT [-o json|yaml]",
		Short: "Show each credential of a Vault: its type, remote id, validity and when it was last rotated",
		Long: `Shows a Vault and each of its credentials: the credential's type, its remote id, the verdict of its
last validation (OAuth credentials only, run every resync period) and when the operator last sent
new secret values from its Secrets. No secret value is ever shown.`,
		Example: `  kubectl claude vault status team-credentials
  kubectl claude vault status team-credentials -o json | jq '.credentials[] | select(.validity == "Invalid")'`,
		ValidArgsFunction: o.completeVaults,
	}, func(ctx context.Context, c client.Reader, key types.NamespacedName) (plugin.Report, error) {
		v, err := plugin.GetVault(ctx, c, key)
		if err != nil {
			return plugin.Report{}, err
		}
		return plugin.VaultReport(v), nil
	})
}
