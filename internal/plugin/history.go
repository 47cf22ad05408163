// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// HistoryNote says plainly what `logs` cannot show, or "" when it shows the whole conversation.
// Kubernetes Events expire (kube-apiserver keeps them an hour by default) and a Session's Event
// policy may leave events without one (spec.eventPolicy, or the operator's default); status keeps
// only the newest summaries. The first event of a session always gets an Event unless the policy is
// None, so a conversation whose Events do not start with it has older entries that exist only in
// the session's remote history.
func HistoryNote(sess *v1alpha1.Session, entries []Entry) string {
	if sess.Status.EventCount == 0 {
		return ""
	}
	first := false
	for _, e := range entries {
		if e.Seq == 1 {
			first = true
			break
		}
	}
	note := ""
	if !first {
		note = "Older entries exist only in the session's remote history (Claude Console or the API's session events): " +
			"their Kubernetes Events expired or were not written under the Session's Event policy, and status.recentEvents keeps only the newest summaries.\n"
	}
	switch sess.Spec.EventPolicy {
	case v1alpha1.EventPolicyMessages:
		note += "This Session's eventPolicy is Messages: tool calls that ran on their own, their results and status changes have no Kubernetes Events; " +
			"the newest are shown from status.recentEvents, older ones exist only in the remote history.\n"
	case v1alpha1.EventPolicyNone:
		note += "This Session's eventPolicy is None: its events have no Kubernetes Events; the newest are shown from status.recentEvents.\n"
	}
	return note
}
