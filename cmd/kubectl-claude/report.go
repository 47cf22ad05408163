// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/anthropics/managed-agents-operator/internal/plugin"
)

// reportFormats are the -o formats of the status commands.
var reportFormats = []string{plugin.OutputJSON, plugin.OutputYAML}

// reportCommand completes cmd as a `status NAME [-o json|yaml]` command: it reads the named object
// of the namespace with read and prints its report, as text or in the -o format.
func (o *options) reportCommand(cmd *cobra.Command, read func(ctx context.Context, c client.Reader, key types.NamespacedName) (plugin.Report, error)) *cobra.Command {
	var output string
	cmd.Args = cobra.ExactArgs(1)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := plugin.CheckOutput(output, reportFormats...); err != nil {
			return err
		}
		key, c, err := o.connect(args[0])
		if err != nil {
			return err
		}
		r, err := read(cmd.Context(), c, key)
		if err != nil {
			return err
		}
		return r.Print(o.streams.Out, output, o.styler(), time.Now())
	}
	o.outputFlag(cmd, &output, "output format: json or yaml", reportFormats...)
	return cmd
}
