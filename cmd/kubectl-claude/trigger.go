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

func newTriggerCommand(o *options) *cobra.Command {
	var follow, full bool
	var wait time.Duration
	cmd := o.objectCommand(&cobra.Command{
		Use:   "trigger DEPLOYMENT [--follow]",
		Short: "Start one run of an AgentDeployment now",
		Long: `Start one run of an AgentDeployment now, outside its schedule (a suspended deployment runs
too). It sets spec.runRequest to a new value; the operator starts exactly one run for it, also
across restarts, and the run shows up as a Session owned by the deployment. With --follow it waits
for that Session and prints its conversation until the agent's turn ends, like kubectl claude logs -f.`,
		Example: `  kubectl claude trigger nightly-review
  kubectl claude trigger nightly-review --follow`,
		ValidArgsFunction: o.completeDeployments,
	}, func(ctx context.Context, c client.WithWatch, key types.NamespacedName) error {
		_, value, err := plugin.Trigger(ctx, c, key, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(o.streams.Out, "run requested for agentdeployment %s (%s)\n", key.Name, value)
		if !follow {
			return nil
		}
		return o.followRun(ctx, c, key, value, wait, full)
	})
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "wait for the run's Session and print its conversation until the agent's turn ends")
	cmd.Flags().BoolVar(&full, "full", false, "with --follow, print tool inputs and results in full instead of truncating them")
	cmd.Flags().DurationVar(&wait, "wait", 2*time.Minute, "with --follow, how long to wait for the run's Session to appear")
	return cmd
}

// followRun waits for the run Session of a run request and follows its conversation.
func (o *options) followRun(ctx context.Context, c client.WithWatch, key types.NamespacedName, value string, wait time.Duration, full bool) error {
	waitCtx, cancel := context.WithTimeout(ctx, wait)
	name, err := plugin.WaitForRun(waitCtx, c, key, value)
	cancel()
	if err != nil {
		if waitCtx.Err() != nil && ctx.Err() == nil {
			return fmt.Errorf("no run Session for agentdeployment %s after %s: see kubectl describe agentdeployment %s", key.Name, wait, key.Name)
		}
		return err
	}
	fmt.Fprintf(o.streams.Out, "run session %s\n", name)
	sess, err := o.follow(ctx, c, types.NamespacedName{Namespace: key.Namespace, Name: name}, 0, full, nil)
	if err != nil {
		return err
	}
	return plugin.Outcome(sess)
}
