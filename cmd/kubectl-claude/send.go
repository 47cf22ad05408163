// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/anthropics/managed-agents-operator/internal/plugin"
)

func newSendCommand(o *options) *cobra.Command {
	var follow bool
	var att plugin.AttachOptions
	cmd := &cobra.Command{
		Use:   "send SESSION TEXT [--attach FILE]... [--attach-url URL | --attach-file-id ID]... [--attach-type TYPE] [--follow]",
		Short: "Append a follow-up message to a session, with images and documents (TEXT - reads stdin)",
		Long: `Append a follow-up message to spec.messages. The operator sends it once the agent's current
turn has ended. The append is a JSON patch that tests the list it extends, so concurrent sends
never overwrite each other.

--attach sends local files with the message: JPEG, PNG, GIF and WebP images, PDFs and text files
(any text goes as text/plain). Their type is read from the extension and the data. They go into
one ConfigMap (at most 1 MiB in all) named after the session and owned by it, so it is deleted
with the session. --attach-url and --attach-file-id (a Files API id) attach what the API fetches;
--attach-type Image or Document says what they are. The message and its attachments are written
in one update of the Session that fails if it changed meanwhile (it is then read again), so they
never land on another send's message. Everything is checked before anything is written.`,
		Example: `  kubectl claude send coder-x7k2p "Now add a regression test" --follow
  kubectl claude send coder-x7k2p - < feedback.md
  kubectl claude send coder-x7k2p "What is wrong on this screen?" --attach ./screen.png --attach ./spec.pdf
  kubectl claude send coder-x7k2p "Summarize this" --attach-file-id file_011CNha8iCJcU1wXNR6q4V8w --attach-type Document`,
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: o.completeSessions,
		RunE: func(cmd *cobra.Command, args []string) error {
			return sendMessage(cmd, o, args[0], args[1], att, follow)
		},
	}
	cmd.Flags().BoolVar(&follow, "follow", false, "stream the next turn until it ends; exit non-zero when the session fails or refuses")
	o.attachFlags(cmd, &att)
	return cmd
}

func sendMessage(cmd *cobra.Command, o *options, name, text string, att plugin.AttachOptions, follow bool) error {
	if text == "-" {
		var err error
		if text, err = plugin.ReadText("message", "", "-", o.streams.In, false); err != nil {
			return err
		}
	}
	attachments, err := plugin.PrepareAttachments(att)
	if err != nil {
		return err
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
	sent, err := plugin.SendWithAttachments(ctx, c, key, text, attachments)
	if err != nil {
		return err
	}
	sess := sent.Session
	note := plugin.PausedNote(sess)
	if !follow || note != "" {
		fmt.Fprintf(o.streams.Out, "sent message %d to session %s%s\n", sent.Message, sess.Name, attachedNote(sent, attachments))
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
