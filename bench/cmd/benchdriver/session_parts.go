// SPDX-License-Identifier: Apache-2.0

package main

import "encoding/json"

// sessionParts are the JSON sizes of the parts of a served Session that grow with its life: what
// a smaller status write would have to shrink (docs/performance.md, "Smaller writes").
type sessionParts struct {
	ManagedFields int `json:"managed_fields_bytes"`
	Conditions    int `json:"conditions_bytes"`
	RecentEvents  int `json:"recent_events_bytes"`
	// Rest is everything else: metadata without managedFields, the spec and the rest of the status.
	Rest int `json:"rest_bytes"`
}

// splitSession measures the parts of one Session's JSON; an unreadable body has no parts.
func splitSession(body []byte) sessionParts {
	var obj struct {
		Metadata struct {
			ManagedFields json.RawMessage `json:"managedFields"`
		} `json:"metadata"`
		Status struct {
			Conditions   json.RawMessage `json:"conditions"`
			RecentEvents json.RawMessage `json:"recentEvents"`
		} `json:"status"`
	}
	if json.Unmarshal(body, &obj) != nil {
		return sessionParts{}
	}
	p := sessionParts{ManagedFields: len(obj.Metadata.ManagedFields), Conditions: len(obj.Status.Conditions),
		RecentEvents: len(obj.Status.RecentEvents)}
	p.Rest = len(body) - p.ManagedFields - p.Conditions - p.RecentEvents
	return p
}
