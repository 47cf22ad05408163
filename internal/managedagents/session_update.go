// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"maps"
	"strconv"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// UpdateSessionParams is the update for the fields of a launched session that may change: title,
// metadata (merged with the operator's keys) and, when the spec raised it, the budget (a raise
// resumes a budget-paused session).
// The API merges metadata, so the returned options delete, with JSON null, every key of the remote
// session's metadata that is no longer desired (a key removed from spec.metadata).
func UpdateSessionParams(spec *v1alpha1.SessionSpec, defaultTitle string, owner map[string]string, remote *Session) (anthropic.BetaSessionUpdateParams, []option.RequestOption, error) {
	metadata := mergeMetadata(spec.Metadata, owner)
	p := anthropic.BetaSessionUpdateParams{Title: anthropic.String(sessionTitle(spec, defaultTitle)), Metadata: metadata}
	deletes := metadataDeletes(metadata, remote.Metadata)
	// The budget goes out only to raise the remote cap: sending it again fails on a budget-paused or
	// terminated session, and would lower a cap raised out of band.
	if spec.Budget != nil && budgetBelow(remote.Budget.MaxListCost.Amount, spec.Budget.MaxListCostUSD) {
		amount, err := USDToMinorUnits(spec.Budget.MaxListCostUSD)
		if err != nil {
			return p, nil, err
		}
		p.Budget = anthropic.BetaManagedAgentsBudgetLimitParam{
			MaxListCost: anthropic.BetaMonetaryAmountParam{Amount: amount, Currency: anthropic.BetaCurrencyUSD},
		}
	}
	return p, deletes, nil
}

// SessionDrift names the mutable fields of a remote session that differ from the spec: what an update
// from UpdateSessionParams would change. The budget drifts only when the remote cap is below the
// spec's: the API only ever raises a cap, so a cap raised out of band is left as it is, and a spec
// without a budget says nothing about the remote one.
func SessionDrift(spec *v1alpha1.SessionSpec, defaultTitle string, owner map[string]string, remote *Session) []string {
	var d drift
	d.check("title", sessionTitle(spec, defaultTitle) == remote.Title)
	d.check("metadata", maps.Equal(mergeMetadata(spec.Metadata, owner), remote.Metadata))
	if spec.Budget != nil {
		d.check("budget", !budgetBelow(remote.Budget.MaxListCost.Amount, spec.Budget.MaxListCostUSD))
	}
	return d.result()
}

// budgetBelow reports whether a remote cap in minor units is below the spec's cap in dollars. A
// remote session without a cap, or an amount that does not parse, is not called below: the API
// sets a cap only at creation, so an update could not fix it.
func budgetBelow(remoteMinorUnits, specUSD string) bool {
	want, err := USDToMinorUnits(specUSD)
	if err != nil {
		return false
	}
	w, werr := strconv.ParseInt(want, 10, 64)
	r, rerr := strconv.ParseInt(remoteMinorUnits, 10, 64)
	return werr == nil && rerr == nil && r < w
}

// sessionTitle is spec.title, or the default (namespace/name) when it is empty.
func sessionTitle(spec *v1alpha1.SessionSpec, defaultTitle string) string {
	if spec.Title != "" {
		return spec.Title
	}
	return defaultTitle
}
