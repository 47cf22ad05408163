// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/plugin"
	"github.com/anthropics/managed-agents-operator/internal/version"
)

// options are shared by every command: the standard kubectl connection flags and the terminal.
type options struct {
	config  *genericclioptions.ConfigFlags
	streams genericiooptions.IOStreams
}

func newRootCommand(streams genericiooptions.IOStreams) *cobra.Command {
	o := &options{config: genericclioptions.NewConfigFlags(true), streams: streams}
	root := &cobra.Command{
		Use:   "kubectl-claude",
		Short: "Launch, follow and steer Claude Managed Agents sessions",
		Long: `kubectl claude launches Claude Managed Agents sessions (Session objects), prints their
conversation, and steers them: follow-up messages, tool confirmations, custom tool results and
interrupts, and pausing. Everything goes through the Kubernetes API; the operator holds the Anthropic API key.`,
		Annotations:   map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl claude"},
		Version:       version.String(), // kubectl claude --version
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	o.config.AddFlags(root.PersistentFlags())
	root.AddCommand(newRunCommand(o), newLogsCommand(o), newSendCommand(o),
		newConfirmCommand(o, true), newConfirmCommand(o, false), newToolResultCommand(o),
		newInterruptCommand(o), newPauseCommand(o, true), newPauseCommand(o, false), newStatusCommand(o), newGetCommand(o), newVaultCommand(o))
	root.AddCommand(newTriggerCommand(o))
	o.registerCompletions(root)
	return root
}

// client connects to the cluster named by the kubeconfig flags.
func (o *options) client() (client.WithWatch, error) {
	cfg, err := o.config.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("reading the kubeconfig: %w", err)
	}
	return plugin.NewClient(cfg)
}

// coreClient is a client of the core API group for what the controller-runtime client cannot do
// (a Pod's log).
func (o *options) coreClient() (corev1client.CoreV1Interface, error) {
	cfg, err := o.config.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("reading the kubeconfig: %w", err)
	}
	return corev1client.NewForConfig(cfg)
}

// namespace is --namespace, or the kubeconfig context's namespace.
func (o *options) namespace() (string, error) {
	ns, _, err := o.config.ToRawKubeConfigLoader().Namespace()
	return ns, err
}

// key names a Session in the current namespace.
func (o *options) key(name string) (types.NamespacedName, error) {
	ns, err := o.namespace()
	return types.NamespacedName{Namespace: ns, Name: name}, err
}

// connect resolves a session name in the current namespace and connects to the cluster: what every
// command about one session does first.
func (o *options) connect(name string) (types.NamespacedName, client.WithWatch, error) {
	key, err := o.key(name)
	if err != nil {
		return key, nil, err
	}
	c, err := o.client()
	return key, c, err
}

// objectCommand completes cmd as a command about one object named by its argument, in the
// namespace: it connects and calls run with the object's key.
func (o *options) objectCommand(cmd *cobra.Command, run func(ctx context.Context, c client.WithWatch, key types.NamespacedName) error) *cobra.Command {
	cmd.Args = cobra.ExactArgs(1)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		key, c, err := o.connect(args[0])
		if err != nil {
			return err
		}
		return run(cmd.Context(), c, key)
	}
	return cmd
}

// styler colors output only when stdout is a terminal and NO_COLOR is unset.
func (o *options) styler() plugin.Styler {
	return plugin.Styler{Enabled: plugin.ColorEnabled(o.streams.Out, os.Getenv)}
}

// formatter renders conversation lines for this terminal.
func (o *options) formatter(full bool) plugin.Formatter {
	f := plugin.Formatter{Styler: o.styler(), MaxToolText: plugin.DefaultMaxToolText}
	if full {
		f.MaxToolText = 0
	}
	return f
}

// stdinIsTerminal reports whether stdin is interactive (then a prompt is not read from it).
func (o *options) stdinIsTerminal() bool {
	f, ok := o.streams.In.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// follow prints a session's conversation until its turn is over, then a summary. skip holds
// entries already shown. It returns the session's outcome (an error when it failed or refused).
func (o *options) follow(ctx context.Context, c client.WithWatch, key types.NamespacedName, minGeneration int64, full bool, skip []plugin.Entry) (*v1alpha1.Session, error) {
	f := &plugin.Follower{Source: plugin.KubeSource{Client: c, Key: key}, Out: o.streams.Out, Format: o.formatter(full)}
	f.Skip(skip)
	sess, err := f.Follow(ctx, minGeneration)
	if ctx.Err() != nil || errors.Is(err, context.Canceled) {
		fmt.Fprintf(o.streams.ErrOut, "stopped following; session %s keeps running: kubectl claude logs %s -f\n", key.Name, key.Name)
		return nil, &plugin.ExitError{Code: 130}
	}
	if err != nil {
		return nil, err
	}
	fmt.Fprint(o.streams.Out, plugin.Footer(sess, o.styler()))
	return sess, nil
}
