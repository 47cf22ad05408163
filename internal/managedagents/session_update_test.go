// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"slices"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// TestSessionDrift proves the resync compares exactly the fields an update can change: title (with
// its default), metadata including the operator's keys, and a budget only when the remote cap is
// below the spec's.
func TestSessionDrift(t *testing.T) {
	owner := map[string]string{v1alpha1.MetadataKeyUID: "u1"}
	spec := &v1alpha1.SessionSpec{Metadata: v1alpha1.Metadata{"team": "infra"}, Budget: &v1alpha1.Budget{MaxListCostUSD: "25"}}
	inSync := func() *Session {
		return &Session{Title: "team-a/fix", Metadata: map[string]string{"team": "infra", v1alpha1.MetadataKeyUID: "u1"},
			Budget: anthropic.BetaManagedAgentsBudgetLimit{MaxListCost: anthropic.BetaMonetaryAmount{Amount: "2500"}}}
	}
	cases := []struct {
		name   string
		change func(*Session)
		want   []string
	}{
		{"in sync", func(*Session) {}, nil},
		{"title edited", func(s *Session) { s.Title = "hijacked" }, []string{"title"}},
		{"foreign key added", func(s *Session) { s.Metadata["intruder"] = "yes" }, []string{"metadata"}},
		{"owner key lost", func(s *Session) { delete(s.Metadata, v1alpha1.MetadataKeyUID) }, []string{"metadata"}},
		{"cap lowered", func(s *Session) { s.Budget.MaxListCost.Amount = "1000" }, []string{"budget"}},
		{"cap raised out of band is kept", func(s *Session) { s.Budget.MaxListCost.Amount = "9000" }, nil},
		{"no remote cap cannot be fixed", func(s *Session) { s.Budget.MaxListCost.Amount = "" }, nil},
		{"everything", func(s *Session) { s.Title, s.Metadata, s.Budget.MaxListCost.Amount = "x", nil, "1" }, []string{"budget", "metadata", "title"}},
	}
	for _, c := range cases {
		remote := inSync()
		c.change(remote)
		if got := SessionDrift(spec, "team-a/fix", owner, remote); !slices.Equal(got, c.want) {
			t.Errorf("%s: drift %v, want %v", c.name, got, c.want)
		}
	}
	noBudget := &v1alpha1.SessionSpec{Title: "custom"}
	remote := &Session{Title: "custom", Metadata: map[string]string{v1alpha1.MetadataKeyUID: "u1"}}
	remote.Budget.MaxListCost.Amount = "1"
	if got := SessionDrift(noBudget, "team-a/fix", owner, remote); got != nil {
		t.Errorf("a spec without a budget or default title: drift %v, want none", got)
	}
}

// TestUpdateSessionParamsDeletesForeignKeys proves the update sends the desired title and metadata
// and deletes, by name, every remote key that is not desired.
func TestUpdateSessionParamsDeletesForeignKeys(t *testing.T) {
	owner := map[string]string{v1alpha1.MetadataKeyUID: "u1"}
	spec := &v1alpha1.SessionSpec{Metadata: v1alpha1.Metadata{"team": "infra"}}
	remote := &Session{Metadata: map[string]string{"team": "other", "intruder": "yes", "old": "1", v1alpha1.MetadataKeyUID: "u1"}}
	p, deletes, err := UpdateSessionParams(spec, "team-a/fix", owner, remote)
	if err != nil {
		t.Fatal(err)
	}
	if p.Title.Value != "team-a/fix" || p.Metadata["team"] != "infra" || p.Metadata[v1alpha1.MetadataKeyUID] != "u1" || len(p.Metadata) != 2 {
		t.Errorf("update title %q metadata %v", p.Title.Value, p.Metadata)
	}
	if len(deletes) != 2 {
		t.Errorf("%d metadata deletes, want 2 (intruder, old)", len(deletes))
	}
}

// TestUpdateSessionParamsSendsTheBudgetOnlyToRaiseIt proves a title or metadata update leaves the
// budget alone: sending it again fails on a budget-paused or terminated session, and would lower a
// cap raised out of band. The budget goes out only when the spec's cap is above the remote one.
func TestUpdateSessionParamsSendsTheBudgetOnlyToRaiseIt(t *testing.T) {
	spec := &v1alpha1.SessionSpec{Title: "new title", Budget: &v1alpha1.Budget{MaxListCostUSD: "5"}}
	cases := []struct {
		name, remoteCap string
		wantBudget      bool
	}{
		{"the remote cap equals the spec's: a title edit sends no budget", "500", false},
		{"the remote cap was raised out of band: it is kept", "900", false},
		{"the spec raised the cap: the raise is sent", "300", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			remote := &Session{}
			remote.Budget.MaxListCost.Amount = c.remoteCap
			p, _, err := UpdateSessionParams(spec, "ns/s", nil, remote)
			if err != nil {
				t.Fatal(err)
			}
			if sent := p.Budget.MaxListCost.Amount != ""; sent != c.wantBudget {
				t.Errorf("budget sent: %v (amount %q), want %v", sent, p.Budget.MaxListCost.Amount, c.wantBudget)
			}
		})
	}
}
