// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/schedule"
)

// The AgentDeployment controller creates run Sessions and deletes them past the history limits.
// +kubebuilder:rbac:groups=claude.anthropic.com,resources=agentdeployments,verbs=get;list;watch;update
// +kubebuilder:rbac:groups=claude.anthropic.com,resources=agentdeployments/status,verbs=patch
// +kubebuilder:rbac:groups=claude.anthropic.com,resources=agentdeployments/finalizers,verbs=update
// +kubebuilder:rbac:groups=claude.anthropic.com,resources=sessions,verbs=create

// DefaultDeploymentPollInterval is how often an AgentDeployment's runs are looked for when nothing
// else is due (--deployment-poll-interval): runs started outside the operator show within it.
const DefaultDeploymentPollInterval = time.Minute

// fireSlack is how long after a schedule time the runs are looked for: the API fires each run
// shortly after its listed time (a small per-schedule jitter).
const fireSlack = 3 * time.Second

// DeploymentOptions configure the AgentDeployment controller.
type DeploymentOptions struct {
	// PollInterval is how often runs are looked for when no schedule time or run request is due.
	// Zero means DefaultDeploymentPollInterval.
	PollInterval time.Duration
}

// agentDeploymentReconciler is the lifecycle driver for the remote deployment, followed by the run
// step: the run request, the runs' Sessions, their history, and the schedule's status. Status is
// written once, at the end.
type agentDeploymentReconciler struct {
	*lifecycle[*v1alpha1.AgentDeployment]
	poll time.Duration

	mu sync.Mutex
	// looked is when this process last listed each deployment's runs.
	looked map[types.UID]time.Time
}

// SetupDeployments registers the AgentDeployment controller with the manager.
func SetupDeployments(ctx context.Context, mgr ctrl.Manager, opts Options, dopts DeploymentOptions) error {
	creds := opts.Credentials
	if creds == nil {
		return errNoCredentials
	}
	indexer := mgr.GetFieldIndexer()
	if err := indexer.IndexField(ctx, &v1alpha1.AgentDeployment{}, indexAPIKeySecret, func(o client.Object) []string {
		return apiKeySecretIndex(o.(*v1alpha1.AgentDeployment).Spec.APIKeySecretRef)
	}); err != nil {
		return err
	}
	if err := indexer.IndexField(ctx, &v1alpha1.AgentDeployment{}, indexAgentRef, func(o client.Object) []string {
		if ref := o.(*v1alpha1.AgentDeployment).Spec.AgentRef; ref != nil {
			return []string{ref.Name}
		}
		return nil
	}); err != nil {
		return err
	}
	poll := dopts.PollInterval
	if poll <= 0 {
		poll = DefaultDeploymentPollInterval
	}
	lc := newLifecycle(mgr, opts, creds, "AgentDeployment", "deployment", deploymentRemote{client: mgr.GetClient(), reader: mgr.GetAPIReader()})
	r := &agentDeploymentReconciler{lifecycle: lc, poll: poll, looked: map[types.UID]time.Time{}}
	newList := func() client.ObjectList { return &v1alpha1.AgentDeploymentList{} }
	return ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.AgentDeployment{}, builder.WithPredicates(specChanged())).
		Owns(&v1alpha1.Session{}).
		Watches(&v1alpha1.Agent{}, refMapper{client: mgr.GetClient(), newList: newList, index: indexAgentRef}.handler()).
		WatchesMetadata(&corev1.Secret{}, refMapper{client: mgr.GetClient(), newList: newList, index: indexAPIKeySecret, defaultSecret: opts.DefaultAPIKeySecret}.handler()).
		WithOptions(controller.Options{MaxConcurrentReconciles: 2}).
		Complete(r)
}

// Reconcile syncs the remote deployment, then its runs, and writes status once if it changed.
func (r *agentDeploymentReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	d := &v1alpha1.AgentDeployment{}
	if err := r.client.Get(ctx, req.NamespacedName, d); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	original := d.DeepCopy()
	result, err := r.reconcileDeployment(ctx, d)
	if d.DeletionTimestamp.IsZero() {
		reportManagedProgress(d, r.remote.fields(d), v1alpha1.IsPaused(d.Annotations))
	}
	changed := !equality.Semantic.DeepEqual(original.Status, d.Status)
	if perr := patchStatusIfChanged(ctx, r.client, "AgentDeployment", original, d, changed); perr != nil {
		return quietConflict(ctrl.Result{}, perr)
	}
	return quietConflict(result, err)
}

func (r *agentDeploymentReconciler) reconcileDeployment(ctx context.Context, d *v1alpha1.AgentDeployment) (ctrl.Result, error) {
	if !d.DeletionTimestamp.IsZero() {
		if controllerutil.ContainsFinalizer(d, Finalizer) && !v1alpha1.IsPaused(d.Annotations) {
			if err := r.deleteAllRuns(ctx, d); err != nil {
				return ctrl.Result{}, err
			}
			r.forgetLook(d)
		}
		return r.reconcile(ctx, d)
	}
	result, err := r.reconcile(ctx, d)
	if err != nil || !r.followsRuns(d) {
		return result, err
	}
	runResult, err := r.reconcileRuns(ctx, d)
	return earliest(result, runResult), err
}

// followsRuns reports whether the run step may run: the remote deployment exists, is not archived,
// and the paused annotation does not hold every remote call.
func (r *agentDeploymentReconciler) followsRuns(d *v1alpha1.AgentDeployment) bool {
	ready := meta.FindStatusCondition(d.Status.Conditions, v1alpha1.ConditionReady)
	archived := ready != nil && ready.Reason == string(ReasonRemoteArchived)
	return d.Status.ID != "" && !archived && !v1alpha1.IsPaused(d.Annotations)
}

// reconcileRuns acts on a run request, gives new runs their Sessions, applies the history limits and
// shows the runs and the schedule in status. The API is called only when a look is due: the poll
// interval passed, a schedule time passed, or a run is requested; Session changes cost no call.
func (r *agentDeploymentReconciler) reconcileRuns(ctx context.Context, d *v1alpha1.AgentDeployment) (ctrl.Result, error) {
	runs, err := r.listRunSessions(ctx, d)
	if err != nil {
		return ctrl.Result{}, err
	}
	watermark := d.Status.RunsSeenUntil.DeepCopy()
	if r.lookDue(d) {
		if err := r.look(ctx, d, runs); err != nil {
			return r.fail(d, r.remote.fields(d), err, "")
		}
	}
	summarizeRuns(d, runs)
	if err := r.pruneHistory(ctx, d, runs, watermark); err != nil {
		return ctrl.Result{}, err
	}
	r.showSchedule(d)
	return ctrl.Result{RequeueAfter: r.nextLook(d)}, nil
}

// look reads the remote deployment and its new runs, acting on a run request in between.
func (r *agentDeploymentReconciler) look(ctx context.Context, d *v1alpha1.AgentDeployment, runs *runSessions) error {
	api, err := r.apis.forSync(ctx, d.Namespace, d.Spec.APIKeySecretRef)
	if err != nil {
		return err
	}
	remote, err := api.GetDeployment(ctx, d.Status.ID)
	if err != nil {
		return err
	}
	d.Status.PausedReason = pausedReason(remote)
	if runRequested(d) {
		if err := r.actOnRunRequest(ctx, d, api, remote); err != nil {
			return err
		}
	}
	if err := r.discoverRuns(ctx, d, api, runs); err != nil {
		return err
	}
	r.markLooked(d)
	return nil
}

// lookDue reports whether the runs must be read from the API in this reconcile.
func (r *agentDeploymentReconciler) lookDue(d *v1alpha1.AgentDeployment) bool {
	r.mu.Lock()
	last, ok := r.looked[d.UID]
	r.mu.Unlock()
	if !ok || runRequested(d) || time.Since(last) >= r.poll {
		return true
	}
	// A schedule time passed (plus the API's jitter) since the last look.
	sched := activeSchedule(d)
	return sched != nil && !sched.Last(last.Add(-fireSlack), time.Now().Add(-fireSlack), 10000).IsZero()
}

// activeSchedule is the parsed schedule while it fires on its own: set, valid, not suspended and
// not paused by the API; else nil.
func activeSchedule(d *v1alpha1.AgentDeployment) *schedule.Schedule {
	sched := d.Spec.Schedule
	if sched == nil || d.Spec.Suspend || d.Status.PausedReason != "" {
		return nil
	}
	parsed, err := schedule.Parse(sched.Cron, scheduleZone(sched))
	if err != nil {
		return nil
	}
	return parsed
}

// scheduleZone is the schedule's time zone, UTC when unset.
func scheduleZone(s *v1alpha1.DeploymentSchedule) string {
	if s.TimeZone == "" {
		return "UTC"
	}
	return s.TimeZone
}

func (r *agentDeploymentReconciler) markLooked(d *v1alpha1.AgentDeployment) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.looked[d.UID] = time.Now()
}

func (r *agentDeploymentReconciler) forgetLook(d *v1alpha1.AgentDeployment) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.looked, d.UID)
}

// nextLook is when to look at the runs again: shortly after the next schedule time, and at least
// every poll interval.
func (r *agentDeploymentReconciler) nextLook(d *v1alpha1.AgentDeployment) time.Duration {
	wait := r.poll
	if next := d.Status.NextScheduleTime; next != nil {
		if untilFire := time.Until(next.Add(fireSlack)); untilFire < wait {
			wait = max(untilFire, time.Second)
		}
	}
	return wait
}

// showSchedule writes the next schedule time and the Scheduled condition.
func (r *agentDeploymentReconciler) showSchedule(d *v1alpha1.AgentDeployment) {
	st, gen := &d.Status, d.Generation
	sched := d.Spec.Schedule
	st.NextScheduleTime = nil
	switch {
	case sched == nil:
		setCondition(&st.Conditions, gen, v1alpha1.ConditionScheduled, "False", ReasonNoSchedule, "spec.schedule is not set: runs start only on demand (spec.runRequest)")
		return
	case d.Spec.Suspend:
		setCondition(&st.Conditions, gen, v1alpha1.ConditionScheduled, "False", ReasonSuspended, "spec.suspend is true: the remote schedule is paused; on-demand runs still start")
		return
	case st.PausedReason != "" && st.PausedReason != "Manual":
		msg := fmt.Sprintf("the API paused the schedule after a failed run (%s); fix the cause, then change the spec (for example set spec.suspend to true and back) to resume", st.PausedReason)
		if setCondition(&st.Conditions, gen, v1alpha1.ConditionScheduled, "False", ReasonPausedByAPI, msg) {
			r.event(d, corev1.EventTypeWarning, ReasonPausedByAPI, "Schedule", "%s", msg)
		}
		return
	}
	parsed := activeSchedule(d)
	if parsed == nil {
		return // Ready shows the invalid schedule (connect checks it)
	}
	next := metav1.NewTime(parsed.Next(time.Now()))
	st.NextScheduleTime = &next
	setCondition(&st.Conditions, gen, v1alpha1.ConditionScheduled, "True", ReasonScheduled,
		fmt.Sprintf("cron %q in %s", sched.Cron, scheduleZone(sched)))
}
