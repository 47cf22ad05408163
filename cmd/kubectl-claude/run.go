// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"

	"github.com/anthropics/managed-agents-operator/internal/plugin"
)

// runFlags are the flags of `kubectl claude run`.
type runFlags struct {
	agent, env, prompt, file, title string
	follow                          bool
	att                             plugin.AttachOptions
}

func newRunCommand(o *options) *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run --agent NAME --env NAME [--prompt TEXT | -f FILE | < FILE] [--attach FILE]... [--attach-url URL | --attach-file-id ID]... [--attach-type TYPE] [--title TITLE] [--follow]",
		Short: "Start a session, with images and documents, and print its name (with --follow, stream the conversation)",
		Long: `Create a Session with the prompt and print its name; with --follow, stream the conversation.

--attach, --attach-url, --attach-file-id and --attach-type attach images and documents to the
prompt, as with send: local files go into one ConfigMap named after the session and owned by it.
The Session is created first, naming that ConfigMap; the operator holds its launch until the
ConfigMap exists. If the ConfigMap cannot be created, the Session is deleted again. Everything is
checked before anything is written.`,
		Example: `  kubectl claude run --agent coder --env python-dev --prompt "Fix the failing test" --follow
  kubectl claude run --agent coder --env python-dev -f task.md
  git diff | kubectl claude run --agent reviewer --env python-dev --title "Review my diff"
  kubectl claude run --agent coder --env python-dev --prompt "Build this page" --attach ./mockup.png --attach ./spec.pdf`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSession(cmd, o, &f)
		},
	}
	o.nameFlag(cmd, &f.agent, "agent", "Agent in the namespace to run (required)", func() client.ObjectList { return &v1alpha1.AgentList{} })
	o.nameFlag(cmd, &f.env, "env", "Environment in the namespace to run in (required)", func() client.ObjectList { return &v1alpha1.EnvironmentList{} })
	cmd.Flags().StringVar(&f.prompt, "prompt", "", "the first message")
	cmd.Flags().StringVarP(&f.file, "filename", "f", "", "read the first message from a file (- for stdin)")
	cmd.Flags().StringVar(&f.title, "title", "", "title of the remote session (default <namespace>/<name>)")
	cmd.Flags().BoolVar(&f.follow, "follow", false, "stream the conversation until the turn ends; exit non-zero when the session fails or refuses")
	o.attachFlags(cmd, &f.att)
	return cmd
}

func runSession(cmd *cobra.Command, o *options, f *runFlags) error {
	prompt, err := plugin.ReadText("prompt", f.prompt, f.file, o.streams.In, o.stdinIsTerminal())
	if err != nil {
		return err
	}
	attachments, err := plugin.PrepareAttachments(f.att)
	if err != nil {
		return err
	}
	ns, err := o.namespace()
	if err != nil {
		return err
	}
	c, err := o.client()
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	created, warnings, err := plugin.CreateSession(ctx, c, plugin.RunOptions{
		Namespace: ns, Agent: f.agent, Environment: f.env, Prompt: prompt, Title: f.title, Attachments: attachments,
	})
	if err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintln(o.streams.ErrOut, "warning: "+w)
	}
	sess, note := created.Session, attachedNote(created, attachments)
	if !f.follow {
		fmt.Fprintln(o.streams.Out, sess.Name) // alone on stdout, for scripts
		if note != "" {
			fmt.Fprintf(o.streams.ErrOut, "session %s created%s\n", sess.Name, note)
		}
		return nil
	}
	fmt.Fprintf(o.streams.ErrOut, "session %s created%s; following it (Ctrl-C stops following, not the session)\n", sess.Name, note)
	key, err := o.key(sess.Name)
	if err != nil {
		return err
	}
	done, err := o.follow(ctx, c, key, sess.Generation, false, nil)
	if err != nil {
		return err
	}
	return plugin.Outcome(done)
}
