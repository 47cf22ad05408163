// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/anthropics/managed-agents-operator/internal/plugin"
)

func newStatusCommand(o *options) *cobra.Command {
	return o.reportCommand(&cobra.Command{
		Use:   "status SESSION [-o json|yaml]",
		Short: "Show a session's phase, stop reason, usage and cost, outcome, sub-agent threads and pending actions",
		Example: `  kubectl claude status coder-x7k2p
  kubectl claude status coder-x7k2p -o json | jq .usage
  kubectl claude status coder-x7k2p -o json | jq '.outcome.evaluations[] | {iteration, result}'`,
		ValidArgsFunction: o.completeSessions,
	}, func(ctx context.Context, c client.Reader, key types.NamespacedName) (plugin.Report, error) {
		sess, err := plugin.GetSession(ctx, c, key)
		if err != nil {
			return plugin.Report{}, err
		}
		return plugin.SessionReport(sess), nil
	})
}
