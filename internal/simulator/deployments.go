// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"net/http"
	"time"

	"github.com/anthropics/managed-agents-operator/internal/schedule"
)

// Deployment statuses.
const (
	DeploymentActive = "active"
	DeploymentPaused = "paused"
)

// deployment is a stored deployment: what each of its runs creates a session from, and its
// schedule. Runs are in deployment_runs.go, the scheduler in deployment_scheduler.go.
type deployment struct {
	id, name, description string
	agentID               string
	agentVersion          int64
	envID                 string
	initialEvents         []any // as sent; each run's session gets them
	resources             []any // as sent, tokens included (write-only: never rendered)
	renderedResources     []any
	vaultIDs              []string
	budget                map[string]any // nil: uncapped
	metadata              map[string]string
	schedule              *deploymentSchedule
	status                string
	pausedReason          map[string]any
	createdAt, updatedAt  time.Time
	archivedAt            *time.Time
}

// deploymentSchedule is a deployment's cron schedule and where the scheduler got to.
type deploymentSchedule struct {
	expression, timezone string
	parsed               *schedule.Schedule
	lastRunAt            *time.Time
	// checkedUntil is the time up to which fire times were considered: a time at or before it never
	// fires (again), so a pause or a schedule change makes up for nothing missed.
	checkedUntil time.Time
}

func (d *deployment) render() map[string]any {
	sched := any(nil)
	if sc := d.schedule; sc != nil {
		upcoming := []any{}
		if d.archivedAt == nil {
			t := sc.checkedUntil
			for range 5 {
				t = sc.parsed.Next(t)
				upcoming = append(upcoming, stamp(t))
			}
		}
		sched = map[string]any{"type": "cron", "expression": sc.expression, "timezone": sc.timezone,
			"last_run_at": stampOrNull(sc.lastRunAt), "upcoming_runs_at": upcoming}
	}
	budget := any(nil)
	if d.budget != nil {
		budget = d.budget
	}
	paused := any(nil)
	if d.pausedReason != nil {
		paused = d.pausedReason
	}
	return map[string]any{
		"type":           "deployment",
		"id":             d.id,
		"name":           d.name,
		"description":    d.description,
		"agent":          map[string]any{"type": "agent", "id": d.agentID, "version": d.agentVersion},
		"environment_id": d.envID,
		"initial_events": d.initialEvents,
		"resources":      append([]any{}, d.renderedResources...),
		"vault_ids":      append([]string{}, d.vaultIDs...),
		"budget":         budget,
		"metadata":       copyStrings(d.metadata),
		"schedule":       sched,
		"status":         d.status,
		"paused_reason":  paused,
		"created_at":     stamp(d.createdAt),
		"updated_at":     stamp(d.updatedAt),
		"archived_at":    stampOrNull(d.archivedAt),
	}
}

// archive stops the deployment for good; its runs stay readable.
func (d *deployment) archive(now time.Time) {
	if d.archivedAt == nil {
		d.archivedAt, d.updatedAt = &now, now
	}
}

func (s *Server) deploymentLocked(id string) (*deployment, *apiError) {
	return s.deployments.find("deployment", id)
}

// writableDeploymentLocked is deploymentLocked for requests that change the deployment or run it,
// which an archived deployment refuses.
func (s *Server) writableDeploymentLocked(id string) (*deployment, *apiError) {
	d, err := s.deploymentLocked(id)
	if err == nil && d.archivedAt != nil {
		err = errBadRequest("deployment %s is archived and cannot be changed or run", id)
	}
	return d, err
}

// deploymentFields are the body fields that create and update share.
var deploymentFields = []string{"agent", "environment_id", "initial_events", "name", "description", "budget",
	"metadata", "resources", "schedule", "vault_ids"}

func (s *Server) createDeployment(r *http.Request) (any, *apiError) {
	body, err := readBodyOnly(r, deploymentFields...)
	if err != nil {
		return nil, err
	}
	for _, k := range []string{"agent", "environment_id", "initial_events", "name"} {
		if !body.has(k) {
			return nil, errBadRequest("%s: field required", k)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	d := &deployment{id: s.ids.next("depl_"), status: DeploymentActive, createdAt: now, updatedAt: now,
		metadata: map[string]string{}, vaultIDs: []string{}, renderedResources: []any{}}
	if err := s.applyDeploymentLocked(d, body, now); err != nil {
		return nil, err
	}
	s.deployments.add(d.id, d)
	return d.render(), nil
}

func (s *Server) updateDeployment(r *http.Request) (any, *apiError) {
	body, err := readBodyOnly(r, deploymentFields...)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.writableDeploymentLocked(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	// Validate on a copy: a rejected update changes nothing.
	next := *d
	now := s.now()
	if err := s.applyDeploymentLocked(&next, body, now); err != nil {
		return nil, err
	}
	next.updatedAt = now
	*d = next
	return d.render(), nil
}

// applyDeploymentLocked validates the fields present in body and applies them to d. Omitted
// fields are preserved; null clears the clearable ones (description, resources, vault_ids, budget,
// schedule); metadata is a patch.
func (s *Server) applyDeploymentLocked(d *deployment, body jobj, now time.Time) *apiError {
	steps := []func(*deployment, jobj, time.Time) *apiError{
		s.applyDeploymentNames, s.applyDeploymentAgentLocked, s.applyDeploymentEnvironmentLocked,
		s.applyDeploymentEvents, s.applyDeploymentResourcesLocked, s.applyDeploymentBudget, s.applyDeploymentSchedule,
	}
	for _, step := range steps {
		if err := step(d, body, now); err != nil {
			return err
		}
	}
	md, _, err := body.metadataPatch(d.metadata, false)
	if err != nil {
		return err
	}
	d.metadata = md
	return nil
}

func (s *Server) applyDeploymentNames(d *deployment, body jobj, _ time.Time) *apiError {
	if name, ok, err := body.strLen("name", 1, 256); err != nil {
		return err
	} else if ok {
		d.name = name
	} else if body.present("name") {
		return errBadRequest("name: cannot be cleared")
	}
	desc, _, err := body.strLen("description", 0, 2048)
	if err == nil && body.present("description") {
		d.description = desc
	}
	return err
}

func (s *Server) applyDeploymentAgentLocked(d *deployment, body jobj, _ time.Time) *apiError {
	if !body.present("agent") {
		return nil
	}
	v := body.m["agent"]
	if o, ok := v.(map[string]any); ok && o["type"] == nil {
		o["type"] = "agent"
	}
	a, ver, _, err := s.resolveSessionAgentLocked(v)
	if err != nil {
		return err
	}
	if o, ok := v.(map[string]any); ok && o["type"] != "agent" {
		return errBadRequest("agent.type: input should be 'agent'")
	}
	d.agentID, d.agentVersion = a.id, ver.version
	return nil
}

func (s *Server) applyDeploymentEnvironmentLocked(d *deployment, body jobj, _ time.Time) *apiError {
	if !body.present("environment_id") {
		return nil
	}
	envID, err := body.reqStr("environment_id")
	if err != nil {
		return err
	}
	if err := s.checkSessionEnvironmentLocked(envID); err != nil {
		return err
	}
	d.envID = envID
	return nil
}

func (s *Server) applyDeploymentEvents(d *deployment, body jobj, _ time.Time) *apiError {
	if !body.present("initial_events") {
		return nil
	}
	events, _, err := body.arr("initial_events")
	if err != nil {
		return err
	}
	if len(events) < 1 || len(events) > 50 {
		return errBadRequest("initial_events: between 1 and 50 events are required, got %d", len(events))
	}
	for i, e := range events {
		o, err := asObject(e, index("initial_events", i))
		if err != nil {
			return err
		}
		if _, err := o.reqType("user.message", "user.define_outcome", "system.message"); err != nil {
			return err
		}
	}
	d.initialEvents = events
	return nil
}

func (s *Server) applyDeploymentResourcesLocked(d *deployment, body jobj, _ time.Time) *apiError {
	if body.present("resources") {
		raw, _, err := body.arr("resources")
		if err != nil {
			return err
		}
		if len(raw) > 500 {
			return errBadRequest("resources: at most 500 resources are allowed")
		}
		parsed, err := parseResources(raw, "resources")
		if err != nil {
			return err
		}
		if err := s.resolveMemoryStoresLocked(parsed); err != nil {
			return err
		}
		d.resources, d.renderedResources = raw, make([]any, len(parsed))
		for i, pr := range parsed {
			d.renderedResources[i] = pr.res
		}
	}
	if body.present("vault_ids") {
		ids, err := parseVaultIDs(body)
		if err != nil {
			return err
		}
		if len(ids) > 50 {
			return errBadRequest("vault_ids: at most 50 vaults are allowed")
		}
		if err := s.checkSessionVaultsLocked(ids); err != nil {
			return err
		}
		d.vaultIDs = append([]string{}, ids...)
	}
	return nil
}

func (s *Server) applyDeploymentBudget(d *deployment, body jobj, _ time.Time) *apiError {
	if !body.present("budget") {
		return nil
	}
	d.budget = nil
	if body.has("budget") {
		b, _, err := parseBudget(body.m["budget"], "budget")
		if err != nil {
			return err
		}
		d.budget = b
	}
	return nil
}

// applyDeploymentSchedule sets, replaces or (null) clears the schedule. A new or changed schedule
// fires from now on.
func (s *Server) applyDeploymentSchedule(d *deployment, body jobj, now time.Time) *apiError {
	if !body.present("schedule") {
		return nil
	}
	if !body.has("schedule") {
		d.schedule = nil
		return nil
	}
	o, err := asObject(body.m["schedule"], "schedule")
	if err != nil {
		return err
	}
	if err := o.only("type", "expression", "timezone"); err != nil {
		return err
	}
	if _, _, err := o.enum("type", "cron"); err != nil {
		return err
	}
	expr, err := o.reqStr("expression")
	if err != nil {
		return err
	}
	tz, err := o.reqStr("timezone")
	if err != nil {
		return err
	}
	parsed, perr := schedule.Parse(expr, tz)
	if perr != nil {
		return errBadRequest("schedule.%v", perr)
	}
	var last *time.Time
	if d.schedule != nil {
		last = d.schedule.lastRunAt
		if d.schedule.expression == expr && d.schedule.timezone == tz {
			return nil
		}
	}
	d.schedule = &deploymentSchedule{expression: expr, timezone: tz, parsed: parsed, lastRunAt: last, checkedUntil: now}
	return nil
}

func (s *Server) listDeployments(r *http.Request) (any, *apiError) {
	q := r.URL.Query()
	lq, err := parseListQuery(q, 20, 100, "desc", false)
	if err != nil {
		return nil, err
	}
	includeArchived, err := parseIncludeArchived(q)
	if err != nil {
		return nil, err
	}
	created, err := parseCreatedAt(q)
	if err != nil {
		return nil, err
	}
	status, agentID := q.Get("status"), q.Get("agent_id")
	if status != "" && status != DeploymentActive && status != DeploymentPaused {
		return nil, errBadRequest("status: input should be 'active' or 'paused'")
	}
	if status != "" && includeArchived {
		return nil, errBadRequest("status and include_archived cannot be combined")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	items := s.deployments.newestFirst(func(d *deployment) bool {
		return (includeArchived || d.archivedAt == nil) && created.match(d.createdAt) &&
			(status == "" || d.status == status) && (agentID == "" || d.agentID == agentID)
	})
	return pageOf(items, func(d *deployment) string { return d.id }, lq, (*deployment).render), nil
}

// pauseDeployment stops the schedule (manual runs still start); pausing a paused deployment is a
// no-op that keeps its reason.
func (s *Server) pauseDeployment(r *http.Request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.writableDeploymentLocked(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if d.status != DeploymentPaused {
		now := s.now()
		d.status, d.pausedReason, d.updatedAt = DeploymentPaused, map[string]any{"type": "manual"}, now
	}
	return d.render(), nil
}

// unpauseDeployment resumes the schedule from now: times missed while paused do not fire.
func (s *Server) unpauseDeployment(r *http.Request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.writableDeploymentLocked(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if d.status != DeploymentActive {
		now := s.now()
		d.status, d.pausedReason, d.updatedAt = DeploymentActive, nil, now
		if d.schedule != nil {
			d.schedule.checkedUntil = now
		}
	}
	return d.render(), nil
}

// deploymentRoutes registers the deployment and deployment run endpoints.
func (s *Server) deploymentRoutes(handle func(pattern string, f apiFunc)) {
	handle("POST /v1/deployments", s.createDeployment)
	handle("GET /v1/deployments", s.listDeployments)
	handle("GET /v1/deployments/{id}", readOne(s, pathID(s.deploymentLocked), (*deployment).render))
	handle("POST /v1/deployments/{id}", s.updateDeployment)
	handle("POST /v1/deployments/{id}/archive", archiveOne(s, pathID(s.deploymentLocked), (*deployment).render))
	handle("POST /v1/deployments/{id}/pause", s.pauseDeployment)
	handle("POST /v1/deployments/{id}/unpause", s.unpauseDeployment)
	handle("POST /v1/deployments/{id}/run", s.runDeployment)
	handle("GET /v1/deployment_runs", s.listDeploymentRuns)
	handle("GET /v1/deployment_runs/{id}", readOne(s, pathID(s.deploymentRunLocked), (*deploymentRun).render))
}
