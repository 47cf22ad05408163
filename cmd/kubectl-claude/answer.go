// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"

	"github.com/anthropics/managed-agents-operator/internal/plugin"
)

// newConfirmCommand builds `approve` (allow) or `deny`.
func newConfirmCommand(o *options, allow bool) *cobra.Command {
	d := plugin.Decision{Allow: allow}
	verb, past := "deny", "denied"
	if allow {
		verb, past = "approve", "approved"
	}
	cmd := &cobra.Command{
		Use:   verb + " SESSION [TOOL_USE_ID | --all]",
		Short: fmt.Sprintf("%s%s pending tool confirmations (the only one, one by id, or --all)", strings.ToUpper(verb[:1]), verb[1:]),
		Example: fmt.Sprintf(`  kubectl claude %[1]s coder-x7k2p
  kubectl claude %[1]s coder-x7k2p sevt_01ABC
  kubectl claude %[1]s coder-x7k2p --all`, verb),
		Args:              cobra.RangeArgs(1, 2),
		ValidArgsFunction: o.completePending(v1alpha1.PendingToolConfirmation),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 2 {
				if d.All {
					return fmt.Errorf("pass a TOOL_USE_ID or --all, not both")
				}
				d.ToolUseID = args[1]
			}
			key, c, err := o.connect(args[0])
			if err != nil {
				return err
			}
			answered, err := plugin.Confirm(cmd.Context(), c, key, d)
			if err != nil {
				return err
			}
			for _, a := range answered {
				fmt.Fprintf(o.streams.Out, "%s %s (%s) in session %s\n", past, a.EventID, callOf(a.ToolName, a.ThreadID, a.AgentName), key.Name)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&d.All, "all", false, "answer every pending tool confirmation")
	if !allow {
		cmd.Flags().StringVar(&d.Message, "message", "", "tell the agent why the call was denied")
	}
	return cmd
}

func newToolResultCommand(o *options) *cobra.Command {
	var text, file string
	var isError bool
	cmd := &cobra.Command{
		Use:   "tool-result SESSION TOOL_USE_ID (--text TEXT | -f FILE) [--error]",
		Short: "Answer a pending custom tool call with its result",
		Example: `  kubectl claude tool-result coder-x7k2p sevt_01ABC --text "Opened TICKET-42"
  kubectl claude tool-result coder-x7k2p sevt_01ABC -f result.json
  kubectl claude tool-result coder-x7k2p sevt_01ABC --text "tracker is down" --error`,
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: o.completePending(v1alpha1.PendingCustomToolResult),
		RunE: func(cmd *cobra.Command, args []string) error {
			if text == "" && file == "" {
				return fmt.Errorf("pass the result with --text TEXT or -f FILE (- for stdin)")
			}
			result, err := plugin.ReadText("result", text, file, o.streams.In, true)
			if err != nil {
				return err
			}
			key, c, err := o.connect(args[0])
			if err != nil {
				return err
			}
			action, err := plugin.ToolResult(cmd.Context(), c, key, args[1], result, isError)
			if err != nil {
				return err
			}
			fmt.Fprintf(o.streams.Out, "answered %s (%s) in session %s\n", action.EventID, callOf(action.ToolName, action.ThreadID, action.AgentName), key.Name)
			return nil
		},
	}
	cmd.Flags().StringVar(&text, "text", "", "the tool's output")
	cmd.Flags().StringVarP(&file, "filename", "f", "", "read the tool's output from a file (- for stdin)")
	cmd.Flags().BoolVar(&isError, "error", false, "mark the result as a failed call")
	return cmd
}

// callOf names an answered call: its tool, and the sub-agent thread that made it, if one did.
func callOf(tool, thread, agent string) string {
	switch {
	case thread == "":
		return tool
	case agent == "":
		return tool + " of thread " + thread
	}
	return tool + " of sub-agent " + agent + ", thread " + thread
}
