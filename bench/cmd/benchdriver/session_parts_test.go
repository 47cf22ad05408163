// SPDX-License-Identifier: Apache-2.0

package main

import "testing"

// TestSplitSessionMeasuresEachPart proves the parts add up to the whole and each is the JSON of
// its field as served.
func TestSplitSessionMeasuresEachPart(t *testing.T) {
	body := `{"metadata":{"name":"s","managedFields":[{"manager":"m"}]},"spec":{},` +
		`"status":{"conditions":[{"type":"Ready"}],"recentEvents":[{"type":"agent.message"},{"type":"x"}]}}`
	got := splitSession([]byte(body))
	want := sessionParts{ManagedFields: len(`[{"manager":"m"}]`), Conditions: len(`[{"type":"Ready"}]`),
		RecentEvents: len(`[{"type":"agent.message"},{"type":"x"}]`)}
	want.Rest = len(body) - want.ManagedFields - want.Conditions - want.RecentEvents
	if got != want {
		t.Fatalf("splitSession = %+v, want %+v", got, want)
	}
	if got := splitSession([]byte("not json")); got != (sessionParts{}) {
		t.Fatalf("an unreadable body has parts: %+v", got)
	}
}
