// SPDX-License-Identifier: Apache-2.0

package sessionstatus

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
)

// MaxRecentEventsBytes bounds status.recentEvents by size, not only by count. Every status write
// costs the API server and etcd in proportion to the whole Session object (decode, patch,
// validation, encode, watch fan-out: docs/performance.md), and twenty summaries are most of a
// running Session's status. The newest summaries that fit are kept: about a dozen short ones, eight
// long ones. The complete history stays in the Kubernetes Events and the remote session.
const MaxRecentEventsBytes = 2048

// recentEntryOverhead approximates what a summary costs beyond its strings in the stored JSON: the
// keys, quotes and the RFC 3339 time.
const recentEntryOverhead = 76

// recentEvents turns the folded summaries into status.recentEvents: the newest ones, in order,
// whose estimated size fits MaxRecentEventsBytes (at least the newest one).
func recentEvents(recent []sessionevents.Recent) []v1alpha1.EventSummary {
	start, size := len(recent), 0
	for start > 0 {
		e := &recent[start-1]
		n := recentEntryOverhead + len(e.ID) + min(len(e.Type), 64) + len(e.Reason) + len(e.Summary)
		if size+n > MaxRecentEventsBytes && start < len(recent) {
			break
		}
		size += n
		start--
	}
	if start == len(recent) {
		return nil
	}
	out := make([]v1alpha1.EventSummary, 0, len(recent)-start)
	for _, e := range recent[start:] {
		summary := v1alpha1.EventSummary{ID: e.ID, Type: sessionevents.Truncate(e.Type, 64), Reason: e.Reason, Summary: e.Summary}
		if !e.Time.IsZero() {
			t := metav1.NewTime(e.Time)
			summary.Time = &t
		}
		out = append(out, summary)
	}
	return out
}
