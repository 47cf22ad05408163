// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/plugin"
	"github.com/anthropics/managed-agents-operator/internal/scheme"
)

// listFormats are the -o formats of the get commands.
var listFormats = []string{plugin.OutputWide, plugin.OutputJSON, plugin.OutputYAML}

// kind is one kind that `kubectl claude get KIND` lists besides Sessions.
type kind struct {
	plural, singular, short string
	newList                 func() client.ObjectList
	table                   func(list client.ObjectList, now time.Time) plugin.KindTable
}

// listedKinds are the kinds `get` lists by name: the credentials and content Sessions use.
var listedKinds = []kind{
	{plural: "vaults", singular: "vault", short: "cvault",
		newList: func() client.ObjectList { return &v1alpha1.VaultList{} },
		table: func(l client.ObjectList, now time.Time) plugin.KindTable {
			return plugin.VaultTable(l.(*v1alpha1.VaultList).Items, now)
		}},
	{plural: "skills", singular: "skill", short: "cskill",
		newList: func() client.ObjectList { return &v1alpha1.SkillList{} },
		table: func(l client.ObjectList, now time.Time) plugin.KindTable {
			return plugin.SkillTable(l.(*v1alpha1.SkillList).Items, now)
		}},
	{plural: "memorystores", singular: "memorystore", short: "cmemory",
		newList: func() client.ObjectList { return &v1alpha1.MemoryStoreList{} },
		table: func(l client.ObjectList, _ time.Time) plugin.KindTable {
			return plugin.MemoryStoreTable(l.(*v1alpha1.MemoryStoreList).Items)
		}},
}

// newGetKindCommand is `kubectl claude get vaults|skills|memorystores [NAME...]`.
func newGetKindCommand(o *options, k kind) *cobra.Command {
	var output string
	var all bool
	cmd := &cobra.Command{
		Use:               k.plural + " [NAME...] [-A] [-o wide|json|yaml]",
		Aliases:           []string{k.singular, k.short},
		Short:             fmt.Sprintf("List %s with their remote ids and whether they are Ready", k.plural),
		Example:           fmt.Sprintf("  kubectl claude get %s\n  kubectl claude get %s -A -o wide", k.plural, k.plural),
		ValidArgsFunction: o.completeNames(k.newList, true),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := plugin.CheckOutput(output, plugin.OutputJSON, plugin.OutputYAML, plugin.OutputWide); err != nil {
				return err
			}
			list, ns, err := listKind(cmd, o, k, args, all)
			if err != nil {
				return err
			}
			if output == plugin.OutputJSON || output == plugin.OutputYAML {
				return plugin.PrintObject(o.streams.Out, output, list)
			}
			if apimeta.LenList(list) == 0 {
				where := "in " + ns + " namespace."
				if all {
					where = "in any namespace."
				}
				_, err := fmt.Fprintf(o.streams.ErrOut, "No %s found %s\n", k.plural, where)
				return err
			}
			now := time.Now()
			return k.table(list, now).Print(o.streams.Out, plugin.TableOptions{AllNamespaces: all, Wide: output == plugin.OutputWide, Now: now})
		},
	}
	o.outputFlag(cmd, &output, "output format: wide, json or yaml", listFormats...)
	cmd.Flags().BoolVarP(&all, "all-namespaces", "A", false, "list "+k.plural+" in every namespace")
	return cmd
}

// listKind lists a kind in the namespace (or every namespace), keeping only the named objects when
// names are given; a name that matches nothing is an error. The list and its items carry their
// apiVersion and kind, as `kubectl get -o json` prints them.
func listKind(cmd *cobra.Command, o *options, k kind, names []string, all bool) (client.ObjectList, string, error) {
	c, err := o.client()
	if err != nil {
		return nil, "", err
	}
	ns, err := o.namespace()
	if err != nil {
		return nil, "", err
	}
	list := k.newList()
	var opts []client.ListOption
	if !all {
		opts = append(opts, client.InNamespace(ns))
	}
	if err := c.List(cmd.Context(), list, opts...); err != nil {
		return nil, ns, err
	}
	items, err := apimeta.ExtractList(list)
	if err != nil {
		return nil, ns, err
	}
	if len(names) > 0 {
		items, err = onlyNamed(items, names, k, ns)
		if err != nil {
			return nil, ns, err
		}
	}
	return list, ns, typed(list, items)
}

// onlyNamed keeps the named objects, in the order named.
func onlyNamed(items []runtime.Object, names []string, k kind, ns string) ([]runtime.Object, error) {
	out := make([]runtime.Object, 0, len(names))
	for _, name := range names {
		i := slices.IndexFunc(items, func(o runtime.Object) bool { return o.(client.Object).GetName() == name })
		if i < 0 {
			return nil, fmt.Errorf("%s %s not found in namespace %s: list them with `kubectl claude get %ss` (or pass -n NAMESPACE)",
				k.singular, name, ns, k.plural)
		}
		out = append(out, items[i])
	}
	return out, nil
}

// typed sets the items on the list and the apiVersion and kind on both.
func typed(list client.ObjectList, items []runtime.Object) error {
	s := scheme.New()
	for _, obj := range append([]runtime.Object{list}, items...) {
		gvk, err := apiutil.GVKForObject(obj, s)
		if err != nil {
			return err
		}
		obj.GetObjectKind().SetGroupVersionKind(gvk)
	}
	return apimeta.SetList(list, items)
}
