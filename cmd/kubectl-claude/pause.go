// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/anthropics/managed-agents-operator/internal/plugin"
)

// newPauseCommand is `pause` (paused true) or `resume` (paused false).
func newPauseCommand(o *options, paused bool) *cobra.Command {
	use, short, long, example := "pause SESSION", "Stop the operator from sending anything to a session",
		`Pause a session: the operator sends it nothing (no follow-up message, tool confirmation, tool
result or interrupt, and no spec.timeout) until it is resumed, but keeps following it, so status,
logs and Events still show what the agent does. Messages added while paused go out once, on resume.`,
		`  kubectl claude pause coder-x7k2p
  kubectl claude send coder-x7k2p "Then add a test."   # waits until resume`
	if !paused {
		use, short, long, example = "resume SESSION", "Let the operator act on a paused session again",
			`Resume a paused session: the operator sends what the spec asked for while it was paused.`,
			`  kubectl claude resume coder-x7k2p`
	}
	return o.objectCommand(&cobra.Command{
		Use: use, Short: short, Long: long, Example: example,
		ValidArgsFunction: o.completeSessions,
	}, func(ctx context.Context, c client.WithWatch, key types.NamespacedName) error {
		sess, changed, err := plugin.SetPaused(ctx, c, key, paused)
		if err != nil {
			return err
		}
		fmt.Fprintln(o.streams.Out, pauseOutcome(sess.Name, paused, changed))
		return nil
	})
}

// pauseOutcome says what pause or resume did.
func pauseOutcome(name string, paused, changed bool) string {
	switch {
	case paused && !changed:
		return "session " + name + " is already paused"
	case !changed:
		return "session " + name + " is not paused"
	case paused:
		return "session " + name + " paused: the operator sends it nothing until `kubectl claude resume " + name + "`"
	}
	return "session " + name + " resumed"
}
