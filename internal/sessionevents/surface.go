// SPDX-License-Identifier: Apache-2.0

package sessionevents

import "slices"

// The rest of the event surface the fold reads: session updates, budgets, workflow runs and model
// request spans.
const (
	TypeSessionUpdated           = "session.updated"
	TypeModelRequestStart        = "span.model_request_start"
	TypeModelRequestEnd          = "span.model_request_end"
	TypeWorkflowRunCreated       = "workflow_run.created"
	TypeWorkflowRunStatusRunning = "workflow_run.status_running"
	TypeWorkflowRunStatusIdle    = "workflow_run.status_idle"
	TypeWorkflowRunStatusEnded   = "workflow_run.status_ended"
	TypeWorkflowRunPhaseStarted  = "workflow_run.phase_started"
	TypeWorkflowRunPhaseEnded    = "workflow_run.phase_ended"
	TypeWorkflowRunError         = "workflow_run.error"
	// PermissionDeny is the evaluated_permission of a tool use that the agent's policy refused:
	// the call never runs and waits for nothing.
	PermissionDeny = "deny"
	// SpeedStandard is the speed of a model request whose event names none.
	SpeedStandard = "standard"
)

// MaxWorkflowRuns bounds the workflow runs the state keeps, newest last.
const MaxWorkflowRuns = 10

// WorkflowRun is a workflow run the session started.
type WorkflowRun struct {
	ID   string
	Name string
	// Status is created, running, idle or ended; Result is how it ended (completed, error, stopped).
	Status string
	Result string
	// Phase is the id of the phase in progress, empty between phases.
	Phase string
	// Error is the run's newest error.
	Error *ErrorInfo
}

// SpeedUsage is the usage of the model requests made at one speed; fast mode is priced apart.
type SpeedUsage struct {
	Speed                    string
	Requests                 int64
	InputTokens              int64
	OutputTokens             int64
	CacheReadInputTokens     int64
	CacheCreationInputTokens int64
}

// RemoteUpdate is what session.updated events changed out of band (or by the operator's own
// update): the fields and how many such events there were.
type RemoteUpdate struct {
	// Count is the number of session.updated events; LastEventID the newest one's id.
	Count       int
	LastEventID string
	// Title, Metadata, Budget and Agent say which fields the newest update changed.
	Title    bool
	Metadata bool
	Budget   bool
	Agent    bool
}

// trackSurface folds the event types of this file. Slices are replaced, never changed in place, so
// a shallow copy of the State stays consistent.
func (s *State) trackSurface(e *Event) {
	switch e.Type {
	case TypeSessionUpdated:
		s.sessionUpdated(e)
	case TypeModelRequestEnd:
		s.countModelRequest(e)
	case TypeWorkflowRunCreated, TypeWorkflowRunStatusRunning, TypeWorkflowRunStatusIdle, TypeWorkflowRunStatusEnded,
		TypeWorkflowRunPhaseStarted, TypeWorkflowRunPhaseEnded, TypeWorkflowRunError:
		s.trackWorkflowRun(e)
	}
}

func (s *State) sessionUpdated(e *Event) {
	u := RemoteUpdate{}
	if s.Updated != nil {
		u = *s.Updated
	}
	u.Count++
	u.LastEventID = e.ID
	u.Title, u.Metadata, u.Agent = e.Title != nil, e.Metadata != nil, len(e.Agent) > 0 && string(e.Agent) != "null"
	limit, present := e.budget()
	u.Budget = present
	if present {
		s.setBudget(limit)
	}
	s.Updated = &u
}

// setBudget records the budget an event carries; nil removes it.
func (s *State) setBudget(limit *BudgetLimit) {
	if limit == nil {
		s.BudgetMinorUSD = ""
		return
	}
	s.BudgetMinorUSD = Truncate(limit.MaxListCost.Amount, 32)
}

func (s *State) countModelRequest(e *Event) {
	if e.ModelUsage == nil {
		return
	}
	m := e.ModelUsage
	speed := m.Speed
	if speed == "" {
		speed = SpeedStandard
	}
	speeds := slices.Clone(s.Speeds)
	i := slices.IndexFunc(speeds, func(u SpeedUsage) bool { return u.Speed == speed })
	if i < 0 {
		if len(speeds) >= 4 { // the API has two speeds; an unknown third is kept, a flood is not
			return
		}
		speeds = append(speeds, SpeedUsage{Speed: Truncate(speed, 32)})
		i = len(speeds) - 1
	}
	u := &speeds[i]
	u.Requests++
	u.InputTokens += m.InputTokens
	u.OutputTokens += m.OutputTokens
	u.CacheReadInputTokens += m.CacheReadInputTokens
	u.CacheCreationInputTokens += m.CacheCreationInputTokens
	s.Speeds = speeds
}

func (s *State) trackWorkflowRun(e *Event) {
	if e.WorkflowRunID == "" {
		return
	}
	runs := slices.Clone(s.WorkflowRuns)
	i := slices.IndexFunc(runs, func(r WorkflowRun) bool { return r.ID == e.WorkflowRunID })
	if i < 0 {
		runs = append(runs, WorkflowRun{ID: Truncate(e.WorkflowRunID, 128), Status: "created"})
		i = len(runs) - 1
	}
	r := &runs[i]
	switch e.Type {
	case TypeWorkflowRunCreated:
		r.Name = Truncate(e.Name, 256)
	case TypeWorkflowRunStatusRunning:
		r.Status = StatusRunning
	case TypeWorkflowRunStatusIdle:
		r.Status = StatusIdle
	case TypeWorkflowRunStatusEnded:
		r.Status, r.Result, r.Phase = "ended", Truncate(string(e.Result), 32), ""
	case TypeWorkflowRunPhaseStarted:
		r.Phase = Truncate(e.WorkflowRunPhaseID, 128)
	case TypeWorkflowRunPhaseEnded:
		r.Phase = ""
	case TypeWorkflowRunError:
		r.Error = errorInfo(e)
	}
	if len(runs) > MaxWorkflowRuns {
		runs = runs[len(runs)-MaxWorkflowRuns:]
	}
	s.WorkflowRuns = runs
}

// recovered clears the newest error once the session shows it got past it: it runs again, or a
// turn ended normally. A terminal error is never cleared: the session ends on it.
func (s *State) recovered() {
	if s.LastError != nil && s.LastError.RetryStatus != RetryTerminal {
		s.LastError = nil
	}
}
