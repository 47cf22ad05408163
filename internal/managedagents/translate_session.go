// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"fmt"
	"slices"
	"strings"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/packages/param"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// SessionInputs are the values the controller resolves before a session is created.
type SessionInputs struct {
	// AgentID is the remote agent to run.
	AgentID string
	// AgentVersion pins the agent version; 0 means the latest.
	AgentVersion int64
	// EnvironmentID is the remote environment to run in.
	EnvironmentID string
	// Title of the session (spec.title or its default).
	Title string
	// GitHubTokens maps the index of a spec.resources entry to the token read from its Secret.
	GitHubTokens map[int]string
	// VaultIDs are the remote ids of the Vaults in spec.vaultRefs, in order; they are sent after
	// spec.vaultIDs.
	VaultIDs []string
	// MemoryStoreIDs maps the index of a spec.resources entry with a memoryStoreRef to the
	// MemoryStore's remote id.
	MemoryStoreIDs map[int]string
	// PromptAttachments holds the data read from the ConfigMaps of the prompt's attachments, by
	// index in spec.attachments.
	PromptAttachments map[int][]byte
}

// NewSessionParams translates a SessionSpec into the create request. spec.prompt, when set, becomes
// the single initial user.message, with its attachments (their ConfigMap data in in.PromptAttachments),
// so the agent starts in the same call that creates the session.
func NewSessionParams(spec *v1alpha1.SessionSpec, in SessionInputs, owner map[string]string) (anthropic.BetaSessionNewParams, error) {
	p := anthropic.BetaSessionNewParams{
		EnvironmentID: in.EnvironmentID,
		Title:         optString(in.Title),
		Metadata:      mergeMetadata(spec.Metadata, owner),
		VaultIDs:      append(slices.Clone(spec.VaultIDs), in.VaultIDs...),
	}
	if len(spec.VaultRefs) != len(in.VaultIDs) {
		return anthropic.BetaSessionNewParams{}, invalidSpec("vaultRefs", "%d of %d Vaults have a remote id", len(in.VaultIDs), len(spec.VaultRefs))
	}
	if in.AgentVersion > 0 {
		p.Agent.OfBetaManagedAgentsAgents = &anthropic.BetaManagedAgentsAgentParams{ID: in.AgentID, Version: param.NewOpt(in.AgentVersion)}
	} else {
		p.Agent.OfString = param.NewOpt(in.AgentID)
	}
	for i, r := range spec.Resources {
		u, err := sessionResource(r, in.GitHubTokens[i], in.MemoryStoreIDs[i], fmt.Sprintf("resources[%d]", i))
		if err != nil {
			return anthropic.BetaSessionNewParams{}, err
		}
		p.Resources = append(p.Resources, u)
	}
	if spec.Budget != nil {
		amount, err := USDToMinorUnits(spec.Budget.MaxListCostUSD)
		if err != nil {
			return anthropic.BetaSessionNewParams{}, invalidSpec("budget.maxListCostUSD", "%v", err)
		}
		p.Budget = anthropic.BetaManagedAgentsBudgetLimitParam{
			MaxListCost: anthropic.BetaMonetaryAmountParam{Amount: amount, Currency: anthropic.BetaCurrencyUSD},
		}
	}
	if spec.Prompt != "" {
		content, err := MessageContent(spec, 0, spec.Prompt, in.PromptAttachments)
		if err != nil {
			return anthropic.BetaSessionNewParams{}, err
		}
		p.InitialEvents = []anthropic.BetaSessionNewParamsInitialEventUnion{{OfUserMessage: &anthropic.BetaManagedAgentsUserMessageEventParams{Content: content}}}
	}
	return p, nil
}

// memoryAccessWire maps the CRD's memory store access modes to the API's.
var memoryAccessWire = map[v1alpha1.MemoryStoreAccess]anthropic.BetaManagedAgentsMemoryStoreResourceParamAccess{
	"ReadWrite": anthropic.BetaManagedAgentsMemoryStoreResourceParamAccessReadWrite,
	"ReadOnly":  anthropic.BetaManagedAgentsMemoryStoreResourceParamAccessReadOnly,
}

func sessionResource(r v1alpha1.SessionResource, token, memoryStoreID, field string) (anthropic.BetaSessionNewParamsResourceUnion, error) {
	var u anthropic.BetaSessionNewParamsResourceUnion
	switch {
	case r.GitHubRepository != nil:
		g := r.GitHubRepository
		repo := &anthropic.BetaManagedAgentsGitHubRepositoryResourceParams{URL: g.URL, AuthorizationToken: token, MountPath: optString(g.MountPath)}
		if g.Branch != "" {
			repo.Checkout.OfBranch = &anthropic.BetaManagedAgentsBranchCheckoutParam{Name: g.Branch}
		} else if g.Commit != "" {
			repo.Checkout.OfCommit = &anthropic.BetaManagedAgentsCommitCheckoutParam{Sha: g.Commit}
		}
		u.OfGitHubRepository = repo
	case r.File != nil:
		u.OfFile = &anthropic.BetaManagedAgentsFileResourceParams{FileID: r.File.FileID, MountPath: optString(r.File.MountPath)}
	case r.MemoryStore != nil:
		m := r.MemoryStore
		access, ok := memoryAccessWire[m.Access]
		if m.Access != "" && !ok {
			return u, invalidSpec(field+".memoryStore.access", "unknown access %q", m.Access)
		}
		id := m.MemoryStoreID
		if m.MemoryStoreRef != nil {
			if id = memoryStoreID; id == "" {
				return u, invalidSpec(field+".memoryStore.memoryStoreRef", "MemoryStore %q has no remote id yet", m.MemoryStoreRef.Name)
			}
		}
		u.OfMemoryStore = &anthropic.BetaManagedAgentsMemoryStoreResourceParam{
			MemoryStoreID: id, Access: access, Instructions: optString(m.Instructions),
		}
	default:
		return u, invalidSpec(field, "set one of githubRepository, file or memoryStore")
	}
	return u, nil
}

func userMessage(text string) *anthropic.BetaManagedAgentsUserMessageEventParams {
	return &anthropic.BetaManagedAgentsUserMessageEventParams{
		Content: []anthropic.BetaManagedAgentsUserMessageEventParamsContentUnion{{OfText: &anthropic.BetaManagedAgentsTextBlockParam{Text: text}}},
	}
}

// ToolConfirmationEvent answers a pending always_ask tool call with allow, or deny and its message.
func ToolConfirmationEvent(c v1alpha1.ToolConfirmation) anthropic.BetaManagedAgentsEventParamsUnion {
	e := &anthropic.BetaManagedAgentsUserToolConfirmationEventParams{
		ToolUseID: c.ToolUseID,
		Result:    anthropic.BetaManagedAgentsUserToolConfirmationEventParamsResultAllow,
	}
	if c.Decision == v1alpha1.ConfirmationDeny {
		e.Result = anthropic.BetaManagedAgentsUserToolConfirmationEventParamsResultDeny
		e.DenyMessage = optString(c.Message)
	}
	return anthropic.BetaManagedAgentsEventParamsUnion{OfUserToolConfirmation: e}
}

// CustomToolResultEvent answers a pending custom tool call with one text block.
func CustomToolResultEvent(r v1alpha1.CustomToolResult) anthropic.BetaManagedAgentsEventParamsUnion {
	e := &anthropic.BetaManagedAgentsUserCustomToolResultEventParams{
		CustomToolUseID: r.ToolUseID,
		Content: []anthropic.BetaManagedAgentsUserCustomToolResultEventParamsContentUnion{
			{OfText: &anthropic.BetaManagedAgentsTextBlockParam{Text: r.Text}},
		},
	}
	if r.IsError {
		e.IsError = param.NewOpt(true)
	}
	return anthropic.BetaManagedAgentsEventParamsUnion{OfUserCustomToolResult: e}
}

// InterruptEvent stops the running turn.
func InterruptEvent() anthropic.BetaManagedAgentsEventParamsUnion {
	return anthropic.BetaManagedAgentsEventParamsUnion{OfUserInterrupt: &anthropic.BetaManagedAgentsUserInterruptEventParams{}}
}

// USDToMinorUnits converts a dollar amount with at most two decimals ("2.50") to the API's integer
// cents string without leading zeros ("250"). It parses the digits exactly; floats would round.
func USDToMinorUnits(s string) (string, error) {
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || !allDigits(whole) || (hasDot && (len(frac) < 1 || len(frac) > 2 || !allDigits(frac))) {
		return "", fmt.Errorf("%q is not a US dollar amount with at most two decimals", s)
	}
	cents := whole + (frac + "00")[:2]
	cents = strings.TrimLeft(cents, "0")
	if cents == "" {
		cents = "0"
	}
	return cents, nil
}

// MinorUnitsToUSD converts the API's integer cents string ("250") to dollars with two decimals
// ("2.50"). Input that is not a non-negative integer string is returned unchanged, since it is only
// ever displayed.
func MinorUnitsToUSD(amount string) string {
	if amount == "" || !allDigits(amount) {
		return amount
	}
	a := strings.TrimLeft(amount, "0")
	for len(a) < 3 {
		a = "0" + a
	}
	return a[:len(a)-2] + "." + a[len(a)-2:]
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
