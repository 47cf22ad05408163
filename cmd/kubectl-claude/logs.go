// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/anthropics/managed-agents-operator/internal/plugin"
)

func newLogsCommand(o *options) *cobra.Command {
	var follow, full, sandbox bool
	cmd := &cobra.Command{
		Use:   "logs SESSION [-f] [--sandbox]",
		Short: "Print a session's conversation: messages, tool calls and results, actions, errors and phase changes",
		Long: `Print a session's conversation in order, each line with its time, rebuilt from the Session's
Kubernetes Events (sorted by their sequence annotation) and its status. Events expire after an
hour by default, and a Session's eventPolicy (Messages or None) writes fewer of them; the newest
summaries in status.recentEvents stand in for missing ones, and logs says when older entries exist
only in the session's remote history.

With --sandbox it prints the log of the session's sandbox Pod instead (a session on a SelfHosted
Environment): what the operator's runner in that Pod logged while it ran the agent's tools. With -f
it waits for a Pod that is still starting, then follows its log. The Pod, and its log, are deleted
when its work item stops.`,
		Example: `  kubectl claude logs coder-x7k2p
  kubectl claude logs coder-x7k2p -f
  kubectl claude logs coder-x7k2p --sandbox -f`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: o.completeSessions,
		RunE: func(cmd *cobra.Command, args []string) error {
			if sandbox {
				return printSandboxLogs(cmd, o, args[0], follow)
			}
			return printLogs(cmd, o, args[0], follow, full)
		},
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing until the agent's turn ends (or Ctrl-C)")
	cmd.Flags().BoolVar(&full, "full", false, "print tool inputs and results in full instead of truncating them")
	cmd.Flags().BoolVar(&sandbox, "sandbox", false, "print the log of the session's sandbox Pod (SelfHosted Environments) instead of the conversation")
	cmd.MarkFlagsMutuallyExclusive("sandbox", "full")
	return cmd
}

// printSandboxLogs prints the log of the session's sandbox Pod, through the Pod log subresource.
func printSandboxLogs(cmd *cobra.Command, o *options, name string, follow bool) error {
	key, c, err := o.connect(name)
	if err != nil {
		return err
	}
	sess, err := plugin.GetSession(cmd.Context(), c, key)
	if err != nil {
		return err
	}
	pods, err := o.coreClient()
	if err != nil {
		return err
	}
	return plugin.SandboxLogs(cmd.Context(), pods, sess, plugin.SandboxLogOptions{Follow: follow, Out: o.streams.Out, ErrOut: o.streams.ErrOut})
}

func printLogs(cmd *cobra.Command, o *options, name string, follow, full bool) error {
	key, c, err := o.connect(name)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	src := plugin.KubeSource{Client: c, Key: key}
	sess, err := src.Session(ctx)
	if err != nil {
		return err
	}
	entries, err := plugin.Conversation(ctx, src, sess)
	if err != nil {
		return err
	}
	format := o.formatter(full)
	fmt.Fprint(o.streams.Out, plugin.HistoryNote(sess, entries))
	for _, e := range entries {
		fmt.Fprint(o.streams.Out, format.Entry(e))
	}
	if !follow {
		fmt.Fprint(o.streams.Out, plugin.Footer(sess, o.styler()))
		return nil
	}
	_, err = o.follow(ctx, c, key, sess.Generation, full, entries)
	return err
}
