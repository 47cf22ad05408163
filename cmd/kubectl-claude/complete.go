// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/plugin"
)

// completionTimeout bounds what one shell completion waits for the cluster: the shell waits for
// it, so a cluster that does not answer gives no suggestion rather than a hung prompt.
const completionTimeout = 3 * time.Second

// registerCompletions completes the values of the flags every command shares: --namespace with
// the cluster's namespaces, --context and --cluster with the kubeconfig's.
func (o *options) registerCompletions(root *cobra.Command) {
	_ = root.RegisterFlagCompletionFunc("namespace", func(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return o.suggestNames(cmd.Context(), &corev1.NamespaceList{}, "", toComplete, nil)
	})
	_ = root.RegisterFlagCompletionFunc("context", o.completeKubeconfig(func(c *clientcmdapi.Config) []string { return slices.Collect(maps.Keys(c.Contexts)) }))
	_ = root.RegisterFlagCompletionFunc("cluster", o.completeKubeconfig(func(c *clientcmdapi.Config) []string { return slices.Collect(maps.Keys(c.Clusters)) }))
}

// completeKubeconfig completes a flag with names the kubeconfig holds, sorted.
func (o *options) completeKubeconfig(names func(*clientcmdapi.Config) []string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		cfg, err := o.config.ToRawKubeConfigLoader().RawConfig()
		if err != nil {
			return o.noSuggestion(err)
		}
		return matching(slices.Sorted(slices.Values(names(&cfg))), toComplete, nil), cobra.ShellCompDirectiveNoFileComp
	}
}

// matching are the names that start with toComplete and are not given yet.
func matching(names []string, toComplete string, given []string) []cobra.Completion {
	var out []cobra.Completion
	for _, n := range names {
		if strings.HasPrefix(n, toComplete) && !slices.Contains(given, n) {
			out = append(out, n)
		}
	}
	return out
}

// outputFlag adds -o to cmd and completes it with the formats the command prints.
func (o *options) outputFlag(cmd *cobra.Command, output *string, usage string, formats ...string) {
	cmd.Flags().StringVarP(output, "output", "o", "", usage)
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp))
}

// nameFlag adds a flag that names an object of list's kind in the namespace, and completes it.
func (o *options) nameFlag(cmd *cobra.Command, value *string, name, usage string, newList func() client.ObjectList) {
	cmd.Flags().StringVar(value, name, "", usage)
	_ = cmd.RegisterFlagCompletionFunc(name, func(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return o.suggestInNamespace(cmd.Context(), newList(), toComplete, nil)
	})
}

// completeSessions completes the SESSION argument with the Sessions in the namespace.
func (o *options) completeSessions(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return o.completeNames(func() client.ObjectList { return &v1alpha1.SessionList{} }, false)(cmd, args, toComplete)
}

// completeVaults completes the VAULT argument with the Vaults in the namespace.
func (o *options) completeVaults(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return o.completeNames(func() client.ObjectList { return &v1alpha1.VaultList{} }, false)(cmd, args, toComplete)
}

// completeDeployments completes the DEPLOYMENT argument with the AgentDeployments in the namespace.
func (o *options) completeDeployments(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return o.completeNames(func() client.ObjectList { return &v1alpha1.AgentDeploymentList{} }, false)(cmd, args, toComplete)
}

// completeNames completes NAME arguments with the names of list's kind in the namespace: the one
// argument of a command, or each argument of a command that takes many (less those given).
func (o *options) completeNames(newList func() client.ObjectList, many bool) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 && !many {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return o.suggestInNamespace(cmd.Context(), newList(), toComplete, args)
	}
}

// completePending completes `approve|deny|tool-result SESSION TOOL_USE_ID`: the session, then the
// ids of its open pending actions of kind, each with its tool's name.
func (o *options) completePending(kind v1alpha1.PendingActionKind) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) == 0 {
			return o.completeSessions(cmd, args, toComplete)
		}
		if len(args) > 1 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := context.WithTimeout(cmd.Context(), completionTimeout)
		defer cancel()
		c, err := o.completionClient()
		if err != nil {
			return o.noSuggestion(err)
		}
		ns, err := o.namespace()
		if err != nil {
			return o.noSuggestion(err)
		}
		sess, err := plugin.GetSession(ctx, c, types.NamespacedName{Namespace: ns, Name: args[0]})
		if err != nil {
			return o.noSuggestion(err)
		}
		var out []cobra.Completion
		for _, p := range plugin.OpenActions(sess, kind) {
			if strings.HasPrefix(p.EventID, toComplete) {
				out = append(out, cobra.CompletionWithDesc(p.EventID, p.ToolName))
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// suggestInNamespace suggests the names of list's kind in the namespace.
func (o *options) suggestInNamespace(ctx context.Context, list client.ObjectList, toComplete string, given []string) ([]cobra.Completion, cobra.ShellCompDirective) {
	ns, err := o.namespace()
	if err != nil {
		return o.noSuggestion(err)
	}
	return o.suggestNames(ctx, list, ns, toComplete, given)
}

// suggestNames suggests the names of list's kind in namespace ns ("" for a cluster-scoped kind)
// that start with toComplete and are not given yet. A cluster that fails or does not answer
// within completionTimeout gives no suggestion, never an error nor file names.
func (o *options) suggestNames(ctx context.Context, list client.ObjectList, ns, toComplete string, given []string) ([]cobra.Completion, cobra.ShellCompDirective) {
	c, err := o.completionClient()
	if err != nil {
		return o.noSuggestion(err)
	}
	ctx, cancel := context.WithTimeout(ctx, completionTimeout)
	defer cancel()
	if err := c.List(ctx, list, client.InNamespace(ns)); err != nil {
		return o.noSuggestion(err)
	}
	var names []string
	err = meta.EachListItem(list, func(obj runtime.Object) error {
		names = append(names, obj.(client.Object).GetName())
		return nil
	})
	if err != nil {
		return o.noSuggestion(err)
	}
	return matching(names, toComplete, given), cobra.ShellCompDirectiveNoFileComp
}

// noSuggestion ends a completion that could not read the cluster: no suggestion and no file
// names, with the reason in the completion debug log (BASH_COMP_DEBUG_FILE), as kubectl does.
func (o *options) noSuggestion(err error) ([]cobra.Completion, cobra.ShellCompDirective) {
	cobra.CompDebugln("kubectl claude: no suggestions: "+err.Error(), false)
	return nil, cobra.ShellCompDirectiveNoFileComp
}

// completionClient connects for a completion. Every request ends within completionTimeout: the
// API discovery the client does first takes no context.
func (o *options) completionClient() (client.Client, error) {
	cfg, err := o.config.ToRESTConfig()
	if err != nil {
		return nil, err
	}
	cfg = rest.CopyConfig(cfg)
	if cfg.Timeout <= 0 || cfg.Timeout > completionTimeout {
		cfg.Timeout = completionTimeout
	}
	return plugin.NewClient(cfg)
}
