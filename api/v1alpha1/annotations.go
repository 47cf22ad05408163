// SPDX-License-Identifier: Apache-2.0

package v1alpha1

// Annotations that users set on Agents, Environments and Sessions to steer the operator.
const (
	// AnnotationPaused set to "true" stops every remote write for the object: no create, update,
	// archive or delete, and for a Session no message, confirmation, tool result or interrupt. A
	// running Session is still followed. The Paused condition turns True; an Agent's or
	// Environment's Ready keeps what its last sync established, so it stays usable by Sessions.
	AnnotationPaused = "claude.anthropic.com/paused"
	// AnnotationResyncPeriod overrides the manager's --resync-period for one object: how often it is
	// compared with its remote twin when nothing changed (a Go duration of at least 1s), or "0" for
	// never. An invalid value falls back to --resync-period.
	AnnotationResyncPeriod = "claude.anthropic.com/resync-period"
)

// IsPaused reports whether an object carries AnnotationPaused set to "true": the one rule the
// controllers, the status builder and the kubectl plugin share.
func IsPaused(annotations map[string]string) bool {
	return annotations[AnnotationPaused] == "true"
}
