// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/anthropics/managed-agents-operator/internal/plugin"
)

// attachFlags adds the attachment flags of send and run and completes them: file names for
// --attach, the two types for --attach-type, nothing for URLs and ids.
func (o *options) attachFlags(cmd *cobra.Command, att *plugin.AttachOptions) {
	f := cmd.Flags()
	f.StringArrayVar(&att.Files, "attach", nil, "attach a local file: an image (JPEG, PNG, GIF, WebP), a PDF or a text file (repeatable)")
	f.StringArrayVar(&att.URLs, "attach-url", nil, "attach an image or document the API fetches from this http(s) URL (repeatable; needs --attach-type)")
	f.StringArrayVar(&att.FileIDs, "attach-file-id", nil, "attach a file uploaded with the Files API (file_...; repeatable; needs --attach-type)")
	f.StringVar(&att.Type, "attach-type", "", "Image or Document: what every --attach-url and --attach-file-id is")
	_ = cmd.RegisterFlagCompletionFunc("attach", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return nil, cobra.ShellCompDirectiveDefault // the shell completes file names
	})
	_ = cmd.RegisterFlagCompletionFunc("attach-type", cobra.FixedCompletions([]cobra.Completion{"Image", "Document"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("attach-url", cobra.NoFileCompletions)
	_ = cmd.RegisterFlagCompletionFunc("attach-file-id", cobra.NoFileCompletions)
}

// attachedNote says what went with the message: how many attachments, and the ConfigMap of the files.
func attachedNote(sent *plugin.Sent, att *plugin.Attachments) string {
	n := att.Count()
	switch {
	case n == 0:
		return ""
	case sent.ConfigMap != "":
		return fmt.Sprintf(" with %s (files in ConfigMap %s)", plural(n, "attachment"), sent.ConfigMap)
	}
	return " with " + plural(n, "attachment")
}

// plural is "1 attachment", "2 attachments".
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
