package controller

import (
	"context"
	"errors"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/metrics"
)

// SessionReconciler launches remote sessions, turns their event streams (held by the Pump) into
// status, and carries out what the user asks by editing the spec: messages, answers, interrupts.
type SessionReconciler struct {
	client.Client
	Factory     *managedagents.Factory
	Credentials *Credentials
	Recorder    events.EventRecorder
	Pump        *Pump
	// StatusInterval coalesces status writes from the event stream: at most one per interval per
	// session. Launch, sends and phase changes are written at once.
	StatusInterval time.Duration
	// DeleteTimeout bounds how long deletion waits for an interrupted session to go idle.
	DeleteTimeout time.Duration

	lastWrite sync.Map // types.NamespacedName -> time.Time
	// countedUsage is the usage already added to the token and cost counters, per Session UID. It
	// starts from status after a restart, and the counters restart from zero with the process.
	countedUsage sync.Map // types.UID -> *v1alpha1.SessionUsage
	// launched remembers the remote session created for each Session UID by this process.
	launched sync.Map // types.UID -> string
	// announced remembers the finished phase already counted and reported, per Session UID.
	announced sync.Map // types.UID -> v1alpha1.SessionPhase
	// resync says when each Session's remote title, metadata and budget are next compared with the spec.
	resync *resyncTracker
	// statusPatcher writes status without decoding the answer; nil uses the client.
	statusPatcher *statusPatcher
}

// Reconcile brings one Session forward. See reconcileSession.
func (r *SessionReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	sess := &v1alpha1.Session{}
	if err := r.Get(ctx, req.NamespacedName, sess); err != nil {
		if client.IgnoreNotFound(err) == nil {
			r.Pump.Stop(req.NamespacedName)
			r.lastWrite.Delete(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	original := sess.DeepCopy()
	result, err := r.reconcileSession(ctx, sess)
	if werr := r.writeStatus(ctx, original, sess, &result); werr != nil {
		return quietConflict(ctrl.Result{}, werr)
	}
	return quietConflict(result, err)
}

func (r *SessionReconciler) reconcileSession(ctx context.Context, sess *v1alpha1.Session) (ctrl.Result, error) {
	if !sess.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(ctx, sess)
	}
	if v1alpha1.IsPaused(sess.GetAnnotations()) {
		result := r.observePaused(ctx, sess)
		setCondition(&sess.Status.Conditions, sess.Generation, v1alpha1.ConditionReady, "False", ReasonPaused,
			"annotation "+v1alpha1.AnnotationPaused+" is \"true\": nothing is sent until it is removed; status still follows the session")
		return result, nil
	}
	// A finalizer stored by this reconcile proves that no remote session exists yet: every create
	// comes after the finalizer is stored, and this Update would have conflicted had another process
	// stored it first. Such a launch needs no search for an earlier create.
	neverLaunched := false
	if controllerutil.AddFinalizer(sess, Finalizer) {
		if err := r.Update(ctx, sess); err != nil {
			return ctrl.Result{}, err
		}
		neverLaunched = true
	}
	if sess.Status.Phase == "" {
		sess.Status.Phase = v1alpha1.SessionPending
	}
	if sess.Status.ID == "" {
		return r.launch(ctx, sess, neverLaunched)
	}
	api, err := r.apiClient(ctx, sess)
	if err != nil {
		return r.fail(sess, err)
	}
	if isFinished(sess.Status.Phase) && !r.reopens(sess) {
		r.Pump.Stop(client.ObjectKeyFromObject(sess))
		r.observeFinished(ctx, sess, api)
		return r.afterFinished(ctx, sess)
	}
	return r.follow(ctx, sess, api)
}

// writeStatus writes a changed status. Changes that come only from the event stream are coalesced
// to one write per StatusInterval; the caller is re-queued to write the rest.
func (r *SessionReconciler) writeStatus(ctx context.Context, original, sess *v1alpha1.Session, result *ctrl.Result) error {
	if equality.Semantic.DeepEqual(original.Status, sess.Status) || released(sess) {
		return nil
	}
	key := client.ObjectKeyFromObject(sess)
	if streamOnlyChange(&original.Status, &sess.Status) {
		if last, ok := r.lastWrite.Load(key); ok {
			if wait := r.StatusInterval - time.Since(last.(time.Time)); wait > 0 {
				if result.RequeueAfter == 0 || result.RequeueAfter > wait {
					result.RequeueAfter = wait
				}
				return nil
			}
		}
	}
	metrics.StatusPatches.WithLabelValues("Session").Inc()
	// The interval runs from when the write is sent, not from its answer: under a loaded API server
	// the answer can take a sizable part of an interval, which would stretch every interval by it.
	sent := time.Now()
	var err error
	if r.statusPatcher != nil {
		err = r.statusPatcher.patch(ctx, original, sess)
	} else {
		err = r.Status().Patch(ctx, sess, statusPatch(original, sess))
	}
	if err != nil {
		return client.IgnoreNotFound(err)
	}
	r.lastWrite.Store(key, sent)
	if stream := r.Pump.Get(key); stream != nil {
		stream.markWritten(sess.Status.EventCount, sent)
	}
	return nil
}

// streamOnlyChange reports whether only stream-derived fields changed: no launch, send, phase or
// condition change, which are always written at once.
func streamOnlyChange(before, after *v1alpha1.SessionStatus) bool {
	return before.ID == after.ID && before.Phase == after.Phase && before.MessagesSent == after.MessagesSent &&
		before.InterruptRequest == after.InterruptRequest && len(before.RespondedActions) == len(after.RespondedActions) &&
		equality.Semantic.DeepEqual(before.Conditions, after.Conditions)
}

// fail shows an error in the Ready condition, with a Warning Event only when it is new.
func (r *SessionReconciler) fail(sess *v1alpha1.Session, err error) (ctrl.Result, error) {
	if errors.Is(err, context.Canceled) {
		return ctrl.Result{}, err
	}
	f := classifyFailure(err)
	if setCondition(&sess.Status.Conditions, sess.Generation, v1alpha1.ConditionReady, "False", f.reason, f.message) {
		r.Recorder.Eventf(sess, nil, corev1.EventTypeWarning, f.reason, "Sync", "%s", f.message)
	}
	return f.result, f.err
}

func (r *SessionReconciler) apiClient(ctx context.Context, sess *v1alpha1.Session) (managedagents.Client, error) {
	key, err := r.Credentials.APIKey(ctx, sess.Namespace, sess.Spec.APIKeySecretRef)
	if err != nil {
		return nil, err
	}
	return r.Factory.For(key), nil
}

// isFinished reports whether a phase is an end state.
func isFinished(p v1alpha1.SessionPhase) bool {
	switch p {
	case v1alpha1.SessionSucceeded, v1alpha1.SessionFailed, v1alpha1.SessionTimedOut, v1alpha1.SessionTerminated:
		return true
	}
	return false
}

// reopens reports whether a finished Session has more to do: the user appended a message or raised
// the budget of a session that is still alive remotely.
func (r *SessionReconciler) reopens(sess *v1alpha1.Session) bool {
	st := &sess.Status
	if st.Phase != v1alpha1.SessionSucceeded && st.Phase != v1alpha1.SessionFailed {
		return false
	}
	if st.LastError != nil && st.LastError.RetryStatus == "terminal" {
		return false
	}
	moreMessages := int(st.MessagesSent) < len(sess.Spec.Messages)
	budgetRaised := st.StopReason == "budget_reached" && st.ObservedGeneration != sess.Generation
	return moreMessages || budgetRaised
}

// observeFinished applies title and metadata edits to a finished session, best effort (the remote
// may be archived or terminated), and marks the new generation observed either way.
func (r *SessionReconciler) observeFinished(ctx context.Context, sess *v1alpha1.Session, api managedagents.Client) {
	if sess.Status.ObservedGeneration == sess.Generation {
		return
	}
	if err := r.syncRemoteFields(ctx, sess, api); err != nil {
		logf.FromContext(ctx).Info("Could not update a finished session", "sessionID", sess.Status.ID, "error", err.Error())
	}
	observeGeneration(sess)
}

// afterFinished applies ttlSecondsAfterFinished.
func (r *SessionReconciler) afterFinished(ctx context.Context, sess *v1alpha1.Session) (ctrl.Result, error) {
	ttl := sess.Spec.TTLSecondsAfterFinished
	if ttl == nil || sess.Status.CompletionTime == nil {
		return ctrl.Result{}, nil
	}
	expiry := sess.Status.CompletionTime.Add(time.Duration(*ttl) * time.Second)
	if wait := time.Until(expiry); wait > 0 {
		return ctrl.Result{RequeueAfter: wait}, nil
	}
	r.Recorder.Eventf(sess, nil, corev1.EventTypeNormal, "Expired", "Delete", "Deleting the Session %ds after it finished (ttlSecondsAfterFinished)", *ttl)
	return ctrl.Result{}, client.IgnoreNotFound(r.Delete(ctx, sess))
}
