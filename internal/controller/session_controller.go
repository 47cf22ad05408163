// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/metrics"
	"github.com/anthropics/managed-agents-operator/internal/sessionstatus"
	"github.com/anthropics/managed-agents-operator/internal/sessionstream"
)

// SessionReconciler runs each Session as a run object (Tekton's TaskRun is the model): it launches
// the remote session once, follows its event stream (held by the Pump) into status, carries out what
// the user asks by editing the spec (messages, answers, interrupts), and ends it through one finish
// path. Failed, TimedOut and Terminated are final.
type SessionReconciler struct {
	client.Client
	Factory     *managedagents.Factory
	Credentials *Credentials
	Recorder    events.EventRecorder
	Pump        *sessionstream.Pump
	// DeleteTimeout bounds how long deletion waits for an interrupted session to go idle.
	DeleteTimeout time.Duration
	// OutcomeGrace bounds how long an idle session waits for the grader's verdict on spec.outcome.
	OutcomeGrace time.Duration

	// memory holds what this process remembers per Session (see sessionMemory).
	memory sessionMemories
	// resync says when each Session's remote title, metadata and budget are next compared with the spec.
	resync *resyncTracker
	// statusPatcher writes status without decoding the answer; nil uses the client.
	statusPatcher *statusPatcher
	// reader reads the ConfigMaps of attachments straight from the API server: the operator caches
	// only their metadata.
	reader client.Reader
}

// sessionScope is one reconcile of one Session: the object as read, the object being changed, and
// what this reconcile learned that the phase depends on. Status is computed from it once, at the end.
type sessionScope struct {
	original, sess *v1alpha1.Session
	// decide says this reconcile learned enough to decide the phase; inputs is what it learned.
	decide bool
	inputs sessionstatus.Inputs
	// syncErr is the failure of this reconcile's API calls, shown in Synced; nil means they worked.
	syncErr error
	// handled says this reconcile carried out the current spec, so its generation is observed.
	handled bool
	// finished says the Session was finished before this reconcile: nothing called the API for it,
	// so Synced keeps what the last attempt showed (a refused launch's message, say).
	finished bool
}

// Reconcile brings one Session forward: get → deleted? → finished? → paused? → launch → follow →
// compute status once → one patch.
func (r *SessionReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	sess := &v1alpha1.Session{}
	if err := r.Get(ctx, req.NamespacedName, sess); err != nil {
		if client.IgnoreNotFound(err) == nil {
			r.forget(req.NamespacedName) // gone by any path: nothing of it stays in memory
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	s := &sessionScope{original: sess.DeepCopy(), sess: sess}
	result, err := r.reconcileSession(ctx, s)
	result = r.computeStatus(ctx, s, result)
	if werr := r.writeStatus(ctx, s, &result); werr != nil {
		return quietConflict(ctrl.Result{}, werr)
	}
	return quietConflict(result, err)
}

// reconcileSession runs the phases in order; each returns when it has done what this reconcile can.
func (r *SessionReconciler) reconcileSession(ctx context.Context, s *sessionScope) (ctrl.Result, error) {
	sess := s.sess
	switch {
	case !sess.DeletionTimestamp.IsZero():
		return r.reconcileDelete(ctx, s)
	case sess.Status.Phase.Final(), sess.Status.Phase == v1alpha1.SessionSucceeded && !resumedByUser(sess):
		return r.reconcileFinished(ctx, s)
	case v1alpha1.IsPaused(sess.GetAnnotations()):
		return r.followPaused(ctx, s), nil
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
	switch {
	case sess.Status.ID == "" && sess.Spec.ExternalID != "":
		return r.adopt(ctx, s)
	case sess.Status.ID == "":
		return r.launch(ctx, s, neverLaunched)
	}
	return r.follow(ctx, s)
}

// resumedByUser reports whether the user asked a Succeeded Session for more by editing its spec:
// appended a message. Nothing else (an Agent, a Secret, a resync) resumes a finished Session.
func resumedByUser(sess *v1alpha1.Session) bool {
	return sess.Status.ObservedGeneration != sess.Generation && int(sess.Status.MessagesSent) < len(sess.Spec.Messages)
}

// writeStatus writes a changed status once. A change that comes only from the event stream waits
// for the Pump's clock (at most one such write per status interval); the caller is re-queued for it.
func (r *SessionReconciler) writeStatus(ctx context.Context, s *sessionScope, result *ctrl.Result) error {
	original, sess := s.original, s.sess
	if equality.Semantic.DeepEqual(original.Status, sess.Status) || released(sess) {
		return nil
	}
	key := client.ObjectKeyFromObject(sess)
	if streamOnlyChange(&original.Status, &sess.Status) {
		if wait := r.Pump.WriteDelay(key); wait > 0 {
			if result.RequeueAfter == 0 || result.RequeueAfter > wait {
				result.RequeueAfter = wait
			}
			return nil
		}
	}
	metrics.StatusPatches.WithLabelValues("Session").Inc()
	sent := time.Now()
	var err error
	if r.statusPatcher != nil {
		err = r.statusPatcher.patch(ctx, original, sess)
	} else {
		err = r.Status().Patch(ctx, sess, statusPatch(original, sess))
	}
	r.Pump.StatusPatched(time.Since(sent))
	if err != nil {
		return client.IgnoreNotFound(err)
	}
	r.Pump.Written(key, sess.Status.EventCount, sent)
	return nil
}

// streamOnlyChange reports whether only stream-derived fields changed: no launch, send, phase or
// condition change, which are always written at once.
func streamOnlyChange(before, after *v1alpha1.SessionStatus) bool {
	return before.ID == after.ID && before.Phase == after.Phase && before.MessagesSent == after.MessagesSent &&
		before.InterruptRequest == after.InterruptRequest && before.InterruptsSeen == after.InterruptsSeen &&
		len(before.RespondedActions) == len(after.RespondedActions) &&
		equality.Semantic.DeepEqual(before.Resources, after.Resources) && // a sent token's digest
		equality.Semantic.DeepEqual(before.Conditions, after.Conditions)
}

// apiClient returns the client for the Session's credentials.
func (r *SessionReconciler) apiClient(ctx context.Context, sess *v1alpha1.Session) (managedagents.Client, error) {
	key, err := r.Credentials.APIKey(ctx, sess.Namespace, sess.Spec.APIKeySecretRef)
	if err != nil {
		return nil, err
	}
	return r.Factory.For(key), nil
}
