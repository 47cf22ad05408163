// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// RunOptions describe the Session that `kubectl claude run` creates.
type RunOptions struct {
	Namespace   string
	Agent       string
	Environment string
	Prompt      string
	Title       string
	// Attachments go with the prompt (message 0); nil or empty for none.
	Attachments *Attachments
}

// CreateSession checks that the Agent and Environment exist, then creates a Session named after the
// agent (generateName "<agent>-") with the prompt's attachments, and the ConfigMap of its local
// files (see createWithAttachments). Warnings say when a reference exists but is not Ready yet: the
// Session then waits for it.
func CreateSession(ctx context.Context, c client.Client, o RunOptions) (*Sent, []string, error) {
	if o.Agent == "" || o.Environment == "" {
		return nil, nil, fmt.Errorf("pass --agent NAME and --env NAME: list them with `kubectl get cagent,cenv -n %s`", o.Namespace)
	}
	if strings.TrimSpace(o.Prompt) == "" {
		return nil, nil, fmt.Errorf("the prompt is empty: pass --prompt TEXT, -f FILE, or pipe it on stdin")
	}
	var warnings []string
	agent := &v1alpha1.Agent{}
	if err := c.Get(ctx, types.NamespacedName{Namespace: o.Namespace, Name: o.Agent}, agent); err != nil {
		return nil, nil, notFound(err, "agent", o.Agent, o.Namespace, "create it or pass --agent NAME")
	}
	warnings = appendNotReady(warnings, "agent", o.Agent, agent.Status.Conditions)
	env := &v1alpha1.Environment{}
	if err := c.Get(ctx, types.NamespacedName{Namespace: o.Namespace, Name: o.Environment}, env); err != nil {
		return nil, nil, notFound(err, "environment", o.Environment, o.Namespace, "create it or pass --env NAME")
	}
	warnings = appendNotReady(warnings, "environment", o.Environment, env.Status.Conditions)
	sess := &v1alpha1.Session{
		ObjectMeta: metav1.ObjectMeta{Namespace: o.Namespace, GenerateName: o.Agent + "-"},
		Spec: v1alpha1.SessionSpec{
			AgentRef:       &v1alpha1.AgentReference{Name: o.Agent},
			EnvironmentRef: &v1alpha1.LocalObjectReference{Name: o.Environment},
			Prompt:         o.Prompt,
			Title:          o.Title,
		},
	}
	if o.Attachments != nil && o.Attachments.Count() > 0 {
		sent, err := createWithAttachments(ctx, c, sess, o.Attachments)
		return sent, warnings, err
	}
	if err := c.Create(ctx, sess); err != nil {
		return nil, nil, fmt.Errorf("creating the session: %w", err)
	}
	return &Sent{Session: sess}, warnings, nil
}

// appendNotReady adds a warning when an object's Ready condition is not True.
func appendNotReady(warnings []string, kind, name string, conds []metav1.Condition) []string {
	if meta.IsStatusConditionTrue(conds, v1alpha1.ConditionReady) {
		return warnings
	}
	why := "it has not been reconciled yet"
	if cond := meta.FindStatusCondition(conds, v1alpha1.ConditionReady); cond != nil {
		why = cond.Reason + ": " + cond.Message
	}
	return append(warnings, fmt.Sprintf("%s %s is not Ready (%s); the session waits until it is", kind, name, why))
}

// ReadText returns the text to send: inline text, the contents of a file ("-" is stdin), or stdin
// when it is not a terminal. what names the text in errors ("prompt", "result").
func ReadText(what, inline, file string, stdin io.Reader, stdinIsTerminal bool) (string, error) {
	switch {
	case inline != "" && file != "":
		return "", fmt.Errorf("pass the %s once: inline or with -f FILE, not both", what)
	case inline != "":
		return inline, nil
	case file == "-" || (file == "" && !stdinIsTerminal && stdin != nil):
		data, err := io.ReadAll(stdin)
		if err != nil {
			return "", fmt.Errorf("reading the %s from stdin: %w", what, err)
		}
		return nonEmpty(what, string(data))
	case file != "":
		data, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("reading the %s: %w", what, err)
		}
		return nonEmpty(what, string(data))
	}
	return "", fmt.Errorf("no %s: pass it inline, with -f FILE, or on stdin", what)
}

// nonEmpty trims surrounding blank lines and refuses empty text.
func nonEmpty(what, s string) (string, error) {
	s = strings.Trim(s, "\r\n")
	if strings.TrimSpace(s) == "" {
		return "", fmt.Errorf("the %s is empty", what)
	}
	return s, nil
}
