// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/anthropics/managed-agents-operator/internal/plugin"
)

func newStatusCommand(o *options) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "status SESSION [-o json|yaml]",
		Short: "Show a session's phase, stop reason, usage and cost, and pending actions",
		Example: `  kubectl claude status coder-x7k2p
  kubectl claude status coder-x7k2p -o json | jq .usage`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: o.completeSessions,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := plugin.CheckOutput(output, plugin.OutputJSON, plugin.OutputYAML); err != nil {
				return err
			}
			key, c, err := o.connect(args[0])
			if err != nil {
				return err
			}
			sess, err := plugin.GetSession(cmd.Context(), c, key)
			if err != nil {
				return err
			}
			if output != "" {
				return plugin.PrintObject(o.streams.Out, output, plugin.NewStatusView(sess))
			}
			_, err = fmt.Fprint(o.streams.Out, plugin.StatusText(sess, o.styler(), time.Now()))
			return err
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "output format: json or yaml")
	return cmd
}
