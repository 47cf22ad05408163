// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"fmt"
	"io"
	"time"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// Report is what a status command prints about one object: a view for -o json|yaml and a text
// for people. `kubectl claude status` and `kubectl claude vault status` print one each.
type Report struct {
	// View is the machine-readable form, printed by -o json and -o yaml.
	View any
	// Text renders the report for people; now dates what it says happened "ago".
	Text func(styler Styler, now time.Time) string
}

// SessionReport is the report of `kubectl claude status`.
func SessionReport(sess *v1alpha1.Session) Report {
	return Report{View: NewStatusView(sess), Text: func(s Styler, now time.Time) string { return StatusText(sess, s, now) }}
}

// VaultReport is the report of `kubectl claude vault status`.
func VaultReport(v *v1alpha1.Vault) Report {
	return Report{View: NewVaultView(v), Text: func(s Styler, now time.Time) string { return VaultStatusText(v, s, now) }}
}

// Print writes the report in the -o format, or as text when format is empty.
func (r Report) Print(w io.Writer, format string, styler Styler, now time.Time) error {
	if format != "" {
		return PrintObject(w, format, r.View)
	}
	_, err := fmt.Fprint(w, r.Text(styler, now))
	return err
}
