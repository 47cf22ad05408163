// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/metrics"
	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
)

// annotationRunCreatedAt is the run's creation time (RFC 3339 with microseconds, the API's clock) on
// its Session: history limits order runs by it and leave alone the runs the status watermark does
// not cover yet.
const annotationRunCreatedAt = "claude.anthropic.com/run-created-at"

// maxRunsPerLook bounds the runs one look reads: after a long outage of an every-minute schedule,
// the newest ones get Sessions and older ones are skipped.
const maxRunsPerLook = 200

// discoverRuns gives every run created since status.runsSeenUntil its Session, exactly once: the
// Session's name derives from the run id, so a second create finds it. Runs are read at or after
// the watermark (not strictly after), so that a run created in the same instant as the watermark's
// is not missed; its Session exists already or is created now.
func (r *agentDeploymentReconciler) discoverRuns(ctx context.Context, d *v1alpha1.AgentDeployment, api managedagents.Client, runs *runSessions) error {
	var since time.Time
	if w := d.Status.RunsSeenUntil; w != nil {
		since = w.Time
	}
	var found []managedagents.DeploymentRun
	err := api.ListDeploymentRuns(ctx, d.Status.ID, managedagents.RunQuery{CreatedSince: since}, func(run managedagents.DeploymentRun) bool {
		found = append(found, run)
		return len(found) < maxRunsPerLook
	})
	if err != nil {
		return err
	}
	slices.SortStableFunc(found, func(a, b managedagents.DeploymentRun) int { return a.CreatedAt.Compare(b.CreatedAt) })
	for _, run := range found {
		if err := r.takeRun(ctx, d, api, run, since, runs); err != nil {
			return err
		}
		seen := metav1.NewMicroTime(run.CreatedAt)
		d.Status.RunsSeenUntil = &seen
	}
	return nil
}

// takeRun records one run in status and gives it its Session. A run that could not start a session
// has none: it shows as the last run, Failed, with the API's message.
func (r *agentDeploymentReconciler) takeRun(ctx context.Context, d *v1alpha1.AgentDeployment, api managedagents.Client,
	run managedagents.DeploymentRun, since time.Time, runs *runSessions) error {
	entry := runEntry(d, run)
	isNew := run.CreatedAt.After(since)
	if run.TriggerContext.Type == managedagents.TriggerSchedule {
		if last := d.Status.LastScheduleTime; last == nil || run.TriggerContext.ScheduledAt.After(last.Time) {
			t := metav1.NewTime(run.TriggerContext.ScheduledAt)
			d.Status.LastScheduleTime = &t
		}
	}
	if last := d.Status.LastRun; last == nil || last.StartTime == nil || !run.CreatedAt.Before(last.StartTime.Time) {
		d.Status.LastRun = entry.DeepCopy()
	}
	if run.SessionID == "" {
		if isNew {
			metrics.DeploymentRuns.WithLabelValues(d.Namespace, d.Name, metrics.RunFailed).Inc()
			r.event(d, corev1.EventTypeWarning, ReasonRunFailed, "Run", "Run %s could not start a session: %s", run.ID, entry.Error)
		}
		return nil
	}
	if runs.byRun[run.ID] != nil {
		return nil
	}
	sess, err := r.createRunSession(ctx, d, api, run)
	if err != nil || sess == nil {
		return err
	}
	runs.add(sess)
	return nil
}

// runEntry is a run as status shows it.
func runEntry(d *v1alpha1.AgentDeployment, run managedagents.DeploymentRun) v1alpha1.AgentDeploymentRun {
	start := metav1.NewTime(run.CreatedAt)
	e := v1alpha1.AgentDeploymentRun{ID: run.ID, Trigger: v1alpha1.RunTriggerManual, StartTime: &start, SessionID: run.SessionID}
	if run.TriggerContext.Type == managedagents.TriggerSchedule {
		at := metav1.NewTime(run.TriggerContext.ScheduledAt)
		e.Trigger, e.ScheduledTime = v1alpha1.RunTriggerSchedule, &at
	}
	if run.SessionID == "" {
		e.Phase = v1alpha1.SessionFailed
		e.Error = sessionevents.Truncate(run.Error.Type+": "+run.Error.Message, v1alpha1.MaxErrorMessageBytes)
	} else {
		e.SessionName = runSessionName(d, run.ID)
		e.Phase = v1alpha1.SessionPending
	}
	return e
}

// createRunSession creates the Session that follows a run's remote session. It reads the session
// for what the Session must match (agent, environment, title, metadata); a session deleted since
// the run gets no Session.
func (r *agentDeploymentReconciler) createRunSession(ctx context.Context, d *v1alpha1.AgentDeployment, api managedagents.Client, run managedagents.DeploymentRun) (*v1alpha1.Session, error) {
	remote, err := api.GetSession(ctx, run.SessionID)
	if managedagents.IsNotFound(err) {
		logf.FromContext(ctx).Info("Run's remote session is gone; no Session for it", "runID", run.ID, "sessionID", run.SessionID)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	sess := runSession(d, run, remote)
	if err := controllerutil.SetControllerReference(d, sess, r.client.Scheme()); err != nil {
		return nil, err
	}
	if err := r.client.Create(ctx, sess); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return nil, nil
		}
		return nil, err
	}
	metrics.DeploymentRuns.WithLabelValues(d.Namespace, d.Name, metrics.RunStarted).Inc()
	logf.FromContext(ctx).Info("Created run Session", "runID", run.ID, "sessionID", run.SessionID, "session", sess.Name, "trigger", run.TriggerContext.Type)
	r.event(d, corev1.EventTypeNormal, ReasonRunStarted, "Run", "Run %s (%s) started remote session %s: Session %s",
		run.ID, run.TriggerContext.Type, run.SessionID, sess.Name)
	return sess, nil
}

// runSession is the Session of one run: it follows the run's remote session (spec.externalID) with
// the deployment's credentials, and releases it per spec.runDeletionPolicy.
func runSession(d *v1alpha1.AgentDeployment, run managedagents.DeploymentRun, remote *managedagents.Session) *v1alpha1.Session {
	trigger := v1alpha1.RunTriggerManual
	if run.TriggerContext.Type == managedagents.TriggerSchedule {
		trigger = v1alpha1.RunTriggerSchedule
	}
	metadata := v1alpha1.Metadata{}
	for k, v := range remote.Metadata {
		if !strings.HasPrefix(k, v1alpha1.MetadataKeyPrefix) {
			metadata[k] = v
		}
	}
	if len(metadata) == 0 {
		metadata = nil
	}
	policy := d.Spec.RunDeletionPolicy
	if policy == "" {
		policy = v1alpha1.SessionDeletionArchive
	}
	return &v1alpha1.Session{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: d.Namespace, Name: runSessionName(d, run.ID),
			Labels:      map[string]string{v1alpha1.LabelDeployment: d.Name, v1alpha1.LabelRun: run.ID, v1alpha1.LabelTrigger: string(trigger)},
			Annotations: map[string]string{annotationRunCreatedAt: run.CreatedAt.UTC().Format(time.RFC3339Nano)},
		},
		Spec: v1alpha1.SessionSpec{
			ExternalID: run.SessionID, AgentID: remote.Agent.ID, EnvironmentID: remote.EnvironmentID,
			Title: sessionevents.Truncate(remote.Title, 256), Metadata: metadata, DeletionPolicy: policy,
			APIKeySecretRef: d.Spec.APIKeySecretRef.DeepCopy(),
		},
	}
}

// runSessionName is <deployment>-<10 hex digits of the run id's hash>: stable, so that a run gets
// one Session however often it is seen.
func runSessionName(d *v1alpha1.AgentDeployment, runID string) string {
	sum := sha256.Sum256([]byte(runID))
	base := d.Name
	if len(base) > 52 {
		base = strings.TrimRight(base[:52], "-.")
	}
	return base + "-" + hex.EncodeToString(sum[:])[:10]
}

// runSessions are an AgentDeployment's run Sessions that are not being deleted, by run id.
type runSessions struct {
	byRun map[string]*v1alpha1.Session
}

func (rs *runSessions) add(s *v1alpha1.Session) { rs.byRun[s.Labels[v1alpha1.LabelRun]] = s }

// sorted returns the Sessions oldest run first.
func (rs *runSessions) sorted() []*v1alpha1.Session {
	out := slices.Collect(maps.Values(rs.byRun))
	slices.SortFunc(out, func(a, b *v1alpha1.Session) int {
		if c := runCreatedAt(a).Compare(runCreatedAt(b)); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// listRunSessions reads the AgentDeployment's run Sessions from the cache: labelled with its name
// and controlled by it (a Session of an earlier AgentDeployment of the same name is not its).
func (r *agentDeploymentReconciler) listRunSessions(ctx context.Context, d *v1alpha1.AgentDeployment) (*runSessions, error) {
	var list v1alpha1.SessionList
	if err := r.client.List(ctx, &list, client.InNamespace(d.Namespace), client.MatchingLabels{v1alpha1.LabelDeployment: d.Name}); err != nil {
		return nil, err
	}
	rs := &runSessions{byRun: map[string]*v1alpha1.Session{}}
	for i := range list.Items {
		s := &list.Items[i]
		if metav1.IsControlledBy(s, d) && s.DeletionTimestamp.IsZero() && s.Labels[v1alpha1.LabelRun] != "" {
			rs.add(s)
		}
	}
	return rs, nil
}

// runCreatedAt is the run's creation time from its Session's annotation, or the Session's creation.
func runCreatedAt(s *v1alpha1.Session) time.Time {
	if t, err := time.Parse(time.RFC3339Nano, s.Annotations[annotationRunCreatedAt]); err == nil {
		return t
	}
	return s.CreationTimestamp.Time
}

// runFinished reports whether a run Session reached its end: Succeeded, or a final phase.
func runFinished(s *v1alpha1.Session) bool {
	return s.Status.Phase == v1alpha1.SessionSucceeded || s.Status.Phase.Final()
}

// summarizeRuns shows the active runs and the last run's phase from the run Sessions.
func summarizeRuns(d *v1alpha1.AgentDeployment, runs *runSessions) {
	var active []v1alpha1.AgentDeploymentRun
	for _, s := range runs.sorted() {
		if !runFinished(s) && len(active) < v1alpha1.MaxActiveRuns {
			active = append(active, sessionRunEntry(s))
		}
	}
	d.Status.ActiveRuns = active
	if last := d.Status.LastRun; last != nil && last.SessionName != "" {
		if s := runs.byRun[last.ID]; s != nil {
			last.Phase = sessionRunEntry(s).Phase
		}
	}
}

// sessionRunEntry is a run as status shows it, from its Session.
func sessionRunEntry(s *v1alpha1.Session) v1alpha1.AgentDeploymentRun {
	start := metav1.NewTime(runCreatedAt(s))
	phase := s.Status.Phase
	if phase == "" {
		phase = v1alpha1.SessionPending
	}
	return v1alpha1.AgentDeploymentRun{ID: s.Labels[v1alpha1.LabelRun], Trigger: v1alpha1.RunTrigger(s.Labels[v1alpha1.LabelTrigger]),
		StartTime: &start, SessionName: s.Name, SessionID: s.Spec.ExternalID, Phase: phase}
}

// pruneHistory deletes the oldest finished run Sessions beyond the history limits, each releasing its
// remote session per its deletionPolicy. Only runs older than the watermark that status held at the
// start of this reconcile are touched: a run the stored watermark does not cover would be seen again
// and given a new Session if this reconcile's status write failed.
func (r *agentDeploymentReconciler) pruneHistory(ctx context.Context, d *v1alpha1.AgentDeployment, runs *runSessions, watermark *metav1.MicroTime) error {
	if watermark == nil {
		return nil
	}
	var succeeded, failed []*v1alpha1.Session
	for _, s := range runs.sorted() {
		switch {
		case !runFinished(s) || !runCreatedAt(s).Before(watermark.Time):
		case s.Status.Phase == v1alpha1.SessionSucceeded:
			succeeded = append(succeeded, s)
		default:
			failed = append(failed, s)
		}
	}
	for _, group := range []struct {
		sessions []*v1alpha1.Session
		limit    *int32
		fallback int
	}{{succeeded, d.Spec.SuccessfulRunsHistoryLimit, 3}, {failed, d.Spec.FailedRunsHistoryLimit, 1}} {
		keep := group.fallback
		if group.limit != nil {
			keep = int(*group.limit)
		}
		for i := 0; i < len(group.sessions)-keep; i++ {
			if err := r.deleteRunSession(ctx, group.sessions[i], runs); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *agentDeploymentReconciler) deleteRunSession(ctx context.Context, s *v1alpha1.Session, runs *runSessions) error {
	if err := r.client.Delete(ctx, s); client.IgnoreNotFound(err) != nil {
		return err
	}
	delete(runs.byRun, s.Labels[v1alpha1.LabelRun])
	logf.FromContext(ctx).Info("Deleted run Session beyond the history limit", "session", s.Name, "runID", s.Labels[v1alpha1.LabelRun], "phase", s.Status.Phase)
	return nil
}

// deleteAllRuns deletes every run Session of a deleted AgentDeployment, each releasing its remote
// session per its deletionPolicy. The garbage collector would delete them too (they are owned); this
// does not wait for it, and works where no garbage collector runs.
func (r *agentDeploymentReconciler) deleteAllRuns(ctx context.Context, d *v1alpha1.AgentDeployment) error {
	runs, err := r.listRunSessions(ctx, d)
	if err != nil {
		return err
	}
	for _, s := range runs.sorted() {
		if err := r.deleteRunSession(ctx, s, runs); err != nil {
			return err
		}
	}
	return nil
}

// countRunFinished counts a finished run Session in the deployment's run metrics; called from the
// Session's one finish path, so each end counts once.
func countRunFinished(sess *v1alpha1.Session, phase v1alpha1.SessionPhase) {
	deployment := sess.Labels[v1alpha1.LabelDeployment]
	if deployment == "" || sess.Labels[v1alpha1.LabelRun] == "" {
		return
	}
	result := metrics.RunFailed
	if phase == v1alpha1.SessionSucceeded {
		result = metrics.RunSucceeded
	}
	metrics.DeploymentRuns.WithLabelValues(sess.Namespace, deployment, result).Inc()
}
