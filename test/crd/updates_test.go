package crd

import (
	"testing"
)

// TestAllowedSessionUpdates proves that the immutability rules leave room for the edits that steer a
// session: appending messages, raising the budget, answering actions, interrupting and retitling.
func TestAllowedSessionUpdates(t *testing.T) {
	cases := []struct {
		name   string
		update []mutation
	}{
		{"append a message", []mutation{set("spec.messages", []any{"first", "second"})}},
		{"raise the budget", []mutation{set("spec.budget.maxListCostUSD", "10.50")}},
		{"retitle", []mutation{set("spec.title", "new title")}},
		{"request an interrupt", []mutation{set("spec.interruptRequest", "2026-11-29T10:00:00Z")}},
		{"answer a confirmation", []mutation{set("spec.toolConfirmations", yamlValue(`v: [{toolUseID: sevt_1, decision: Deny, message: "not now"}]`))}},
		{"answer a custom tool", []mutation{set("spec.customToolResults", yamlValue(`v: [{toolUseID: sevt_2, text: done}]`))}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testContext(t)
			obj := parseManifest(t, baseSession)
			obj.SetName(uniqueName("session"))
			if err := k8s.Create(ctx, obj); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = k8s.Delete(ctx, obj) })
			for _, m := range tc.update {
				m(obj.Object)
			}
			if err := k8s.Update(ctx, obj); err != nil {
				t.Fatalf("update rejected: %v", err)
			}
		})
	}
}
