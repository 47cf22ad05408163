// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"sort"
)

// Order puts a session's entries in conversation order. Session events carry their position in
// the history (Seq) and are sorted by it, whatever order the API server listed them in and
// whatever their clocks say. Entries without a sequence (lifecycle changes, summaries from status)
// are sorted by time and merged in before the first session event that is later than them.
func Order(entries []Entry) []Entry {
	var ordered, timed []Entry
	for _, e := range entries {
		if e.Seq > 0 {
			ordered = append(ordered, e)
		} else {
			timed = append(timed, e)
		}
	}
	sort.SliceStable(ordered, func(i, j int) bool { return ordered[i].Seq < ordered[j].Seq })
	sort.SliceStable(timed, func(i, j int) bool { return timed[i].Time.Before(timed[j].Time) })
	out := make([]Entry, 0, len(entries))
	i, j := 0, 0
	for i < len(ordered) && j < len(timed) {
		if timed[j].Time.Before(ordered[i].Time) {
			out = append(out, timed[j])
			j++
		} else {
			out = append(out, ordered[i])
			i++
		}
	}
	out = append(out, ordered[i:]...)
	return append(out, timed[j:]...)
}

// Merge adds the status.recentEvents summaries that have no Event (expired, or not written yet)
// to entries, so that `logs` still shows the end of an old conversation.
func Merge(entries []Entry, recent []Entry) []Entry {
	seen := make(map[string]bool, len(entries))
	for _, e := range entries {
		seen[e.Key] = true
	}
	out := append([]Entry(nil), entries...)
	for _, r := range recent {
		if r.Key != "" && !seen[r.Key] {
			out = append(out, r)
			seen[r.Key] = true
		}
	}
	return out
}
