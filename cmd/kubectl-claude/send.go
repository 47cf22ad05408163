// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/anthropics/managed-agents-operator/internal/plugin"
)

func newSendCommand(o *options) *cobra.Command {
	var follow bool
	cmd := &cobra.Command{
		Use:   "send SESSION TEXT [--follow]",
		Short: "Append a follow-up message to a session (TEXT - reads stdin)",
		Long: `Append a follow-up message to spec.messages. The operator sends it once the agent's current
turn has ended. The append is a JSON patch that tests the list it extends, so concurrent sends
never overwrite each other.`,
		Example: `  kubectl claude send coder-x7k2p "Now add a regression test" --follow
  kubectl claude send coder-x7k2p - < feedback.md`,
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: o.completeSessions,
		RunE: func(cmd *cobra.Command, args []string) error {
			return sendMessage(cmd, o, args[0], args[1], follow)
		},
	}
	cmd.Flags().BoolVar(&follow, "follow", false, "stream the next turn until it ends; exit non-zero when the session fails or refuses")
	return cmd
}

func sendMessage(cmd *cobra.Command, o *options, name, text string, follow bool) error {
	if text == "-" {
		var err error
		if text, err = plugin.ReadText("message", "", "-", o.streams.In, false); err != nil {
			return err
		}
	}
	key, c, err := o.connect(name)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	var before []plugin.Entry
	if follow {
		src := plugin.KubeSource{Client: c, Key: key}
		sess, err := src.Session(ctx)
		if err != nil {
			return err
		}
		if before, _, err = src.Events(ctx, sess.UID); err != nil {
			return err
		}
	}
	sess, err := plugin.Send(ctx, c, key, text)
	if err != nil {
		return err
	}
	note := plugin.PausedNote(sess)
	if !follow || note != "" {
		fmt.Fprintf(o.streams.Out, "sent message %d to session %s\n", len(sess.Spec.Messages), sess.Name)
		if note != "" {
			fmt.Fprintln(o.streams.ErrOut, note) // and no turn to follow until then
		}
		return nil
	}
	done, err := o.follow(ctx, c, key, sess.Generation, false, before)
	if err != nil {
		return err
	}
	return plugin.Outcome(done)
}
