// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Run trigger types.
const (
	TriggerSchedule = "schedule"
	TriggerManual   = "manual"
)

// deploymentRun is the append-only record of one firing of a deployment: the session it created,
// or why it could not create one.
type deploymentRun struct {
	id, deploymentID string
	agentID          string
	agentVersion     int64
	trigger          string
	scheduledAt      time.Time // schedule runs only
	sessionID        string
	errType, errMsg  string
	createdAt        time.Time
}

func (run *deploymentRun) render() map[string]any {
	trigger := map[string]any{"type": run.trigger}
	if run.trigger == TriggerSchedule {
		trigger["scheduled_at"] = stamp(run.scheduledAt)
	}
	var runErr any
	if run.errType != "" {
		runErr = map[string]any{"type": run.errType, "message": run.errMsg}
	}
	return map[string]any{
		"type":            "deployment_run",
		"id":              run.id,
		"deployment_id":   run.deploymentID,
		"agent":           map[string]any{"type": "agent", "id": run.agentID, "version": run.agentVersion},
		"trigger_context": trigger,
		"session_id":      nullIfEmpty(run.sessionID),
		"error":           runErr,
		"created_at":      stamp(run.createdAt),
	}
}

func (s *Server) deploymentRunLocked(id string) (*deploymentRun, *apiError) {
	return s.deploymentRuns.find("deployment run", id)
}

// runDeployment fires the deployment now. Paused deployments run too: a pause holds only the
// schedule.
func (s *Server) runDeployment(r *http.Request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.writableDeploymentLocked(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return s.fireLocked(d, TriggerManual, time.Time{}).render(), nil
}

// fireLocked records one run of d and creates its session from the deployment's configuration,
// exactly as a create-session request would. A session the API would refuse becomes the run's
// error; a scheduled run whose error means the deployment cannot work any more pauses it.
func (s *Server) fireLocked(d *deployment, trigger string, scheduledAt time.Time) *deploymentRun {
	// The API keeps microseconds, and filters runs by created_at at that precision.
	now := s.now().Truncate(time.Microsecond)
	run := &deploymentRun{id: s.ids.next("drun_"), deploymentID: d.id, agentID: d.agentID, agentVersion: d.agentVersion,
		trigger: trigger, scheduledAt: scheduledAt, createdAt: now}
	sess, err := s.createDeploymentSessionLocked(d)
	if err != nil {
		run.errType, run.errMsg = runErrorType(err), err.msg
	} else {
		run.sessionID = sess.id
	}
	s.deploymentRuns.add(run.id, run)
	if trigger == TriggerSchedule {
		if err == nil {
			d.schedule.lastRunAt = &now
		} else if pausesDeployment(run.errType) {
			d.status, d.updatedAt = DeploymentPaused, now
			d.pausedReason = map[string]any{"type": "error", "error": map[string]any{"type": run.errType}}
		}
	}
	return run
}

// createDeploymentSessionLocked creates a run's session from the deployment: its agent version,
// environment, resources, vaults, budget and initial events, titled after the deployment.
func (s *Server) createDeploymentSessionLocked(d *deployment) (*session, *apiError) {
	body := jobj{m: map[string]any{
		"environment_id": d.envID,
		"title":          d.name,
		"initial_events": d.initialEvents,
		"resources":      d.resources,
		"vault_ids":      toAnyList(d.vaultIDs),
	}}
	if d.budget != nil {
		body.m["budget"] = d.budget
	}
	c, err := parseSessionCreate(body)
	if err != nil {
		return nil, err
	}
	agent := map[string]any{"type": "agent", "id": d.agentID, "version": json.Number(strconv.FormatInt(d.agentVersion, 10))}
	sess, err := s.createSessionLocked(agent, c)
	if err != nil {
		return nil, err
	}
	sess.deploymentID = d.id
	return sess, nil
}

func toAnyList(ids []string) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// runErrorType maps why a session could not be created to the run error type the API reports.
func runErrorType(err *apiError) string {
	msg := err.msg
	switch {
	case strings.HasPrefix(msg, "environment ") && strings.Contains(msg, "archived"):
		return "environment_archived_error"
	case strings.HasPrefix(msg, "environment ") && err.status == http.StatusNotFound:
		return "environment_not_found_error"
	case strings.HasPrefix(msg, "agent ") && strings.Contains(msg, "archived"):
		return "agent_archived_error"
	case strings.HasPrefix(msg, "vault ") && strings.Contains(msg, "archived"):
		return "vault_archived_error"
	case strings.HasPrefix(msg, "vault ") && err.status == http.StatusNotFound:
		return "vault_not_found_error"
	case strings.HasPrefix(msg, "memory store ") && strings.Contains(msg, "archived"):
		return "memory_store_archived_error"
	}
	return "session_creation_rejected_error"
}

// pausesDeployment reports whether a scheduled run's error pauses the deployment: the errors that
// every later run would hit too.
func pausesDeployment(errType string) bool {
	return errType != "session_creation_rejected_error" && errType != "session_rate_limited_error"
}

func (s *Server) listDeploymentRuns(r *http.Request) (any, *apiError) {
	q := r.URL.Query()
	lq, err := parseListQuery(q, 20, 1000, "desc", false)
	if err != nil {
		return nil, err
	}
	created, err := parseCreatedAt(q)
	if err != nil {
		return nil, err
	}
	depID, trigger, hasError := q.Get("deployment_id"), q.Get("trigger_type"), q.Get("has_error")
	if trigger != "" && trigger != TriggerSchedule && trigger != TriggerManual {
		return nil, errBadRequest("trigger_type: input should be 'schedule' or 'manual'")
	}
	if hasError != "" && hasError != "true" && hasError != "false" {
		return nil, errBadRequest("has_error: input should be a valid boolean")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	items := s.deploymentRuns.newestFirst(func(run *deploymentRun) bool {
		return (depID == "" || run.deploymentID == depID) && (trigger == "" || run.trigger == trigger) &&
			(hasError == "" || (run.errType != "") == (hasError == "true")) && created.match(run.createdAt)
	})
	return pageOf(items, func(run *deploymentRun) string { return run.id }, lq, (*deploymentRun).render), nil
}
