package managedagents

import (
	"maps"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// UpdateSessionParams is the update for the fields of a launched session that may change: title,
// metadata (merged with the operator's keys) and budget (a raise resumes a budget-paused session).
// The API merges metadata, so the returned options delete, with JSON null, every key of the remote
// session's metadata that is no longer desired (a key removed from spec.metadata).
func UpdateSessionParams(spec *v1alpha1.SessionSpec, defaultTitle string, owner, remote map[string]string) (anthropic.BetaSessionUpdateParams, []option.RequestOption, error) {
	title := spec.Title
	if title == "" {
		title = defaultTitle
	}
	metadata := maps.Clone(owner)
	maps.Copy(metadata, spec.Metadata)
	p := anthropic.BetaSessionUpdateParams{Title: anthropic.String(title), Metadata: metadata}
	deletes := metadataDeletes(metadata, remote)
	if spec.Budget != nil {
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
