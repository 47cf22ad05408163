// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/anthropics/managed-agents-operator/internal/plugin"
)

func newInterruptCommand(o *options) *cobra.Command {
	return o.objectCommand(&cobra.Command{
		Use:   "interrupt SESSION",
		Short: "Interrupt the agent's running turn",
		Long: `Interrupt the agent's running turn by setting spec.interruptRequest to a new value. The
operator sends the interrupt once; the session then goes idle and takes follow-up messages.`,
		Example:           `  kubectl claude interrupt coder-x7k2p`,
		ValidArgsFunction: o.completeSessions,
	}, func(ctx context.Context, c client.WithWatch, key types.NamespacedName) error {
		sess, err := plugin.Interrupt(ctx, c, key, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(o.streams.Out, "interrupt requested for session %s (%s)\n", sess.Name, sess.Spec.InterruptRequest)
		if note := plugin.PausedNote(sess); note != "" {
			fmt.Fprintln(o.streams.ErrOut, note)
		}
		return nil
	})
}
