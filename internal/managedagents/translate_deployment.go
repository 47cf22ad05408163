// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/anthropics/anthropic-sdk-go/v2/packages/param"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// DeploymentInputs are the values the controller resolves before it creates or updates a deployment.
type DeploymentInputs struct {
	// Name of the remote deployment (spec.name or its default).
	Name string
	// AgentID is the remote agent to deploy; AgentVersion pins it, 0 meaning the latest at the time
	// of the request.
	AgentID      string
	AgentVersion int64
	// EnvironmentID is the remote environment runs start in.
	EnvironmentID string
	// VaultIDs are the remote ids of the Vaults in spec.vaultRefs, in order; they follow spec.vaultIDs.
	VaultIDs []string
	// GitHubTokens maps the index of a spec.resources entry to the token read from its Secret.
	GitHubTokens map[int]string
	// MemoryStoreIDs maps the index of a spec.resources entry with a memoryStoreRef to its remote id.
	MemoryStoreIDs map[int]string
	// Owner holds the operator's reserved metadata keys.
	Owner map[string]string
}

// deploymentDesired is a spec translated once, shared by create, update and drift.
type deploymentDesired struct {
	resources []anthropic.BetaSessionNewParamsResourceUnion
	events    []anthropic.BetaManagedAgentsDeploymentInitialEventParamsUnion
	vaultIDs  []string
	budget    string // minor units; "" for no budget
	metadata  map[string]string
}

func desiredDeployment(spec *v1alpha1.AgentDeploymentSpec, in DeploymentInputs) (deploymentDesired, error) {
	d := deploymentDesired{vaultIDs: append(slices.Clone(spec.VaultIDs), in.VaultIDs...), metadata: mergeMetadata(spec.Metadata, in.Owner)}
	if len(spec.VaultRefs) != len(in.VaultIDs) {
		return d, invalidSpec("vaultRefs", "%d of %d Vaults have a remote id", len(in.VaultIDs), len(spec.VaultRefs))
	}
	for i, r := range spec.Resources {
		u, err := sessionResource(r, in.GitHubTokens[i], in.MemoryStoreIDs[i], fmt.Sprintf("resources[%d]", i))
		if err != nil {
			return d, err
		}
		d.resources = append(d.resources, u)
	}
	for _, text := range initialTexts(spec) {
		d.events = append(d.events, anthropic.BetaManagedAgentsDeploymentInitialEventParamsUnion{OfUserMessage: userMessage(text)})
	}
	if spec.Budget != nil {
		amount, err := USDToMinorUnits(spec.Budget.MaxListCostUSD)
		if err != nil {
			return d, invalidSpec("budget.maxListCostUSD", "%v", err)
		}
		d.budget = amount
	}
	return d, nil
}

// initialTexts are the user messages every run starts with: the prompt, then spec.messages.
func initialTexts(spec *v1alpha1.AgentDeploymentSpec) []string {
	return append([]string{spec.Prompt}, spec.Messages...)
}

func (d deploymentDesired) budgetParam() anthropic.BetaManagedAgentsBudgetLimitParam {
	return anthropic.BetaManagedAgentsBudgetLimitParam{MaxListCost: anthropic.BetaMonetaryAmountParam{Amount: d.budget, Currency: anthropic.BetaCurrencyUSD}}
}

func scheduleParam(s *v1alpha1.DeploymentSchedule) anthropic.BetaManagedAgentsScheduleParams {
	return anthropic.BetaManagedAgentsScheduleParams{Expression: s.Cron, Timezone: scheduleZone(s)}
}

// scheduleZone is the schedule's time zone, UTC when unset.
func scheduleZone(s *v1alpha1.DeploymentSchedule) string {
	if s.TimeZone == "" {
		return "UTC"
	}
	return s.TimeZone
}

// agentParams is the agent reference the API takes: the id alone (its latest version) or a pin.
func agentParams(in DeploymentInputs) (param.Opt[string], *anthropic.BetaManagedAgentsAgentParams) {
	if in.AgentVersion > 0 {
		return param.Opt[string]{}, &anthropic.BetaManagedAgentsAgentParams{ID: in.AgentID, Version: param.NewOpt(in.AgentVersion)}
	}
	return param.NewOpt(in.AgentID), nil
}

// NewDeploymentParams translates a resolved AgentDeploymentSpec into the create request. A suspended
// deployment is created active and paused right after: the API has no paused create.
func NewDeploymentParams(spec *v1alpha1.AgentDeploymentSpec, in DeploymentInputs) (anthropic.BetaDeploymentNewParams, error) {
	d, err := desiredDeployment(spec, in)
	if err != nil {
		return anthropic.BetaDeploymentNewParams{}, err
	}
	p := anthropic.BetaDeploymentNewParams{
		Name: in.Name, Description: optString(spec.Description), EnvironmentID: in.EnvironmentID,
		InitialEvents: d.events, Metadata: d.metadata, VaultIDs: d.vaultIDs,
	}
	p.Agent.OfString, p.Agent.OfBetaManagedAgentsAgents = agentParams(in)
	for _, r := range d.resources {
		p.Resources = append(p.Resources, anthropic.BetaDeploymentNewParamsResourceUnion{OfGitHubRepository: r.OfGitHubRepository, OfFile: r.OfFile, OfMemoryStore: r.OfMemoryStore})
	}
	if d.budget != "" {
		p.Budget = d.budgetParam()
	}
	if spec.Schedule != nil {
		p.Schedule = scheduleParam(spec.Schedule)
	}
	return p, nil
}

// UpdateDeploymentParams translates a resolved spec into an update of remote that replaces every
// field the spec owns. Metadata is a patch: the options delete the remote keys that are no longer
// desired, except the operator's run request record. A removed schedule or budget is sent as null.
func UpdateDeploymentParams(spec *v1alpha1.AgentDeploymentSpec, in DeploymentInputs, remote *Deployment) (anthropic.BetaDeploymentUpdateParams, []option.RequestOption, error) {
	d, err := desiredDeployment(spec, in)
	if err != nil {
		return anthropic.BetaDeploymentUpdateParams{}, nil, err
	}
	p := anthropic.BetaDeploymentUpdateParams{
		Name: param.NewOpt(in.Name), Description: param.NewOpt(spec.Description), EnvironmentID: param.NewOpt(in.EnvironmentID),
		InitialEvents: d.events, Metadata: d.metadata,
	}
	p.Agent.OfString, p.Agent.OfBetaManagedAgentsAgents = agentParams(in)
	opts := metadataDeletes(d.metadata, withoutRunRequest(remote.Metadata))
	// Full replacements that may be empty: send [] (or null) explicitly, as omitting preserves.
	var resources []anthropic.BetaDeploymentUpdateParamsResourceUnion
	for _, r := range d.resources {
		resources = append(resources, anthropic.BetaDeploymentUpdateParamsResourceUnion{OfGitHubRepository: r.OfGitHubRepository, OfFile: r.OfFile, OfMemoryStore: r.OfMemoryStore})
	}
	if len(resources) > 0 {
		p.Resources = resources
	} else {
		opts = append(opts, option.WithJSONSet("resources", []any{}))
	}
	if len(d.vaultIDs) > 0 {
		p.VaultIDs = d.vaultIDs
	} else {
		opts = append(opts, option.WithJSONSet("vault_ids", []any{}))
	}
	if d.budget != "" {
		p.Budget = d.budgetParam()
	} else {
		opts = append(opts, option.WithJSONSet("budget", nil))
	}
	if spec.Schedule != nil {
		p.Schedule = scheduleParam(spec.Schedule)
	} else {
		opts = append(opts, option.WithJSONSet("schedule", nil))
	}
	return p, opts, nil
}

// withoutRunRequest is remote metadata less the operator's run request record, which the spec's
// metadata never holds and an update must keep.
func withoutRunRequest(md map[string]string) map[string]string {
	out := maps.Clone(md)
	delete(out, v1alpha1.MetadataKeyRunRequest)
	delete(out, v1alpha1.MetadataKeyRunRequestAfter)
	return out
}

// DeploymentDrift names the deployment's fields that differ from the spec. GitHub tokens are
// write-only and not compared; the controller sends them again when they change. The remote paused
// state is the controller's to compare (spec.suspend).
func DeploymentDrift(spec *v1alpha1.AgentDeploymentSpec, in DeploymentInputs, remote *Deployment) []string {
	var d drift
	d.check("name", in.Name == remote.Name)
	d.check("description", spec.Description == remote.Description)
	d.check("agent", in.AgentID == remote.Agent.ID && (in.AgentVersion == 0 || in.AgentVersion == remote.Agent.Version))
	d.check("environmentID", in.EnvironmentID == remote.EnvironmentID)
	d.check("initialEvents", slices.Equal(initialTexts(spec), remoteTexts(remote)))
	d.check("vaults", slices.Equal(append(slices.Clone(spec.VaultIDs), in.VaultIDs...), remote.VaultIDs))
	d.check("metadata", maps.Equal(mergeMetadata(spec.Metadata, in.Owner), withoutRunRequest(remote.Metadata)))
	d.check("resources", slices.Equal(desiredResourceKeys(spec, in), remoteResourceKeys(remote)))
	d.check("budget", budgetOf(spec) == remote.Budget.MaxListCost.Amount)
	d.check("schedule", scheduleInSync(spec.Schedule, remote))
	return d.result()
}

func scheduleInSync(s *v1alpha1.DeploymentSchedule, remote *Deployment) bool {
	if s == nil {
		return remote.Schedule.Expression == ""
	}
	return s.Cron == remote.Schedule.Expression && scheduleZone(s) == remote.Schedule.Timezone
}

func budgetOf(spec *v1alpha1.AgentDeploymentSpec) string {
	if spec.Budget == nil {
		return ""
	}
	amount, err := USDToMinorUnits(spec.Budget.MaxListCostUSD)
	if err != nil {
		return "invalid"
	}
	return amount
}

// remoteTexts are the texts of the remote deployment's initial user messages; any other initial
// event reads as a difference.
func remoteTexts(remote *Deployment) []string {
	out := make([]string, 0, len(remote.InitialEvents))
	for _, e := range remote.InitialEvents {
		if e.Type != "user.message" {
			return append(out, "<"+e.Type+">")
		}
		var b strings.Builder
		for _, c := range e.AsUserMessage().Content {
			b.WriteString(c.Text)
		}
		out = append(out, b.String())
	}
	return out
}

// desiredResourceKeys and remoteResourceKeys identify each resource by what the API stores and
// returns (the token is write-only; default mount paths are filled in by the API).
func desiredResourceKeys(spec *v1alpha1.AgentDeploymentSpec, in DeploymentInputs) []string {
	out := make([]string, 0, len(spec.Resources))
	for i, r := range spec.Resources {
		switch {
		case r.GitHubRepository != nil:
			out = append(out, "github_repository "+r.GitHubRepository.URL)
		case r.File != nil:
			out = append(out, "file "+r.File.FileID)
		case r.MemoryStore != nil:
			id := r.MemoryStore.MemoryStoreID
			if r.MemoryStore.MemoryStoreRef != nil {
				id = in.MemoryStoreIDs[i]
			}
			out = append(out, "memory_store "+id)
		}
	}
	return out
}

func remoteResourceKeys(remote *Deployment) []string {
	out := make([]string, 0, len(remote.Resources))
	for _, r := range remote.Resources {
		switch r.Type {
		case "github_repository":
			out = append(out, "github_repository "+r.URL)
		case "file":
			out = append(out, "file "+r.FileID)
		default:
			out = append(out, r.Type+" "+r.MemoryStoreID)
		}
	}
	return out
}
