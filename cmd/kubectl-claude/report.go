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
	cmd.PreRunE = func(*cobra.Command, []string) error { return plugin.CheckOutput(output, reportFormats...) }
	o.objectCommand(cmd, func(ctx context.Context, c client.WithWatch, key types.NamespacedName) error {
		r, err := read(ctx, c, key)
		if err != nil {
			return err
		}
		return r.Print(o.streams.Out, output, o.styler(), time.Now())
	})
	o.outputFlag(cmd, &output, "output format: json or yaml", reportFormats...)
	return cmd
}
