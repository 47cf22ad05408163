// SPDX-License-Identifier: Apache-2.0

package main

import (
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/plugin"
)

func newGetCommand(o *options) *cobra.Command {
	var output string
	var all bool
	cmd := &cobra.Command{
		Use:   "get [SESSION...] [-A] [-o wide|json|yaml]",
		Short: "List sessions with the columns of `kubectl get csession`, plus token usage; or vaults, skills, memorystores",
		Example: `  kubectl claude get
  kubectl claude get -A -o wide
  kubectl claude get coder-x7k2p -o yaml
  kubectl claude get vaults
  kubectl claude get memorystores -A`,
		ValidArgsFunction: o.completeNames(func() client.ObjectList { return &v1alpha1.SessionList{} }, true),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := plugin.CheckOutput(output, plugin.OutputJSON, plugin.OutputYAML, plugin.OutputWide); err != nil {
				return err
			}
			sessions, err := listSessions(cmd, o, args, all)
			if err != nil {
				return err
			}
			if output == plugin.OutputJSON || output == plugin.OutputYAML {
				return plugin.PrintObject(o.streams.Out, output, plugin.SessionList(sessions))
			}
			if len(sessions) == 0 {
				ns, _ := o.namespace()
				where := "in " + ns + " namespace."
				if all {
					where = "in any namespace."
				}
				_, err := o.streams.ErrOut.Write([]byte("No sessions found " + where + "\n"))
				return err
			}
			return plugin.PrintTable(o.streams.Out, sessions, plugin.TableOptions{
				AllNamespaces: all, Wide: output == plugin.OutputWide, Now: time.Now(),
			})
		},
	}
	o.outputFlag(cmd, &output, "output format: wide, json or yaml", listFormats...)
	cmd.Flags().BoolVarP(&all, "all-namespaces", "A", false, "list sessions in every namespace")
	for _, k := range listedKinds {
		cmd.AddCommand(newGetKindCommand(o, k))
	}
	return cmd
}

// listSessions reads the named sessions, or all of them in the namespace (or every namespace).
func listSessions(cmd *cobra.Command, o *options, names []string, all bool) ([]v1alpha1.Session, error) {
	c, err := o.client()
	if err != nil {
		return nil, err
	}
	ns, err := o.namespace()
	if err != nil {
		return nil, err
	}
	ctx := cmd.Context()
	if len(names) > 0 {
		out := make([]v1alpha1.Session, 0, len(names))
		for _, name := range names {
			sess, err := plugin.GetSession(ctx, c, client.ObjectKey{Namespace: ns, Name: name})
			if err != nil {
				return nil, err
			}
			out = append(out, *sess)
		}
		return out, nil
	}
	list := &v1alpha1.SessionList{}
	var opts []client.ListOption
	if !all {
		opts = append(opts, client.InNamespace(ns))
	}
	if err := c.List(ctx, list, opts...); err != nil {
		return nil, err
	}
	return list.Items, nil
}
