// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/anthropics/managed-agents-operator/internal/plugin"
)

func newInterruptCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "interrupt SESSION",
		Short: "Interrupt the agent's running turn",
		Long: `Interrupt the agent's running turn by setting spec.interruptRequest to a new value. The
operator sends the interrupt once; the session then goes idle and takes follow-up messages.`,
		Example:           `  kubectl claude interrupt coder-x7k2p`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: o.completeSessions,
		RunE: func(cmd *cobra.Command, args []string) error {
			key, c, err := o.connect(args[0])
			if err != nil {
				return err
			}
			sess, err := plugin.Interrupt(cmd.Context(), c, key, time.Now())
			if err != nil {
				return err
			}
			fmt.Fprintf(o.streams.Out, "interrupt requested for session %s (%s)\n", sess.Name, sess.Spec.InterruptRequest)
			if note := plugin.PausedNote(sess); note != "" {
				fmt.Fprintln(o.streams.ErrOut, note)
			}
			return nil
		},
	}
}
