// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
)

// adopt takes on the remote session that spec.externalID names, in place of a launch: it reads the
// session, records it in status as a launch would, and follows its stream from the start of its
// history. Nothing is created and nothing is sent for it, so a Session that follows another's run
// (an AgentDeployment's) can never start a second session. A session that does not exist, or
// belongs to another agent or environment than the spec names, ends the Session as Failed.
func (r *SessionReconciler) adopt(ctx context.Context, s *sessionScope) (ctrl.Result, error) {
	sess := s.sess
	s.decide = true
	api, err := r.apiClient(ctx, sess)
	if err != nil {
		return r.failed(s, err)
	}
	remote, err := api.GetSession(ctx, sess.Spec.ExternalID)
	if managedagents.IsNotFound(err) {
		return r.adoptRejected(s, fmt.Sprintf("remote session %s does not exist", sess.Spec.ExternalID))
	}
	if err != nil {
		return r.failed(s, err)
	}
	if msg := adoptionMismatch(sess, remote); msg != "" {
		return r.adoptRejected(s, msg)
	}
	logf.FromContext(ctx).Info("Adopted remote session", "sessionID", remote.ID, "agentID", remote.Agent.ID, "version", remote.Agent.Version)
	r.Recorder.Eventf(sess, nil, corev1.EventTypeNormal, string(ReasonAdopted), "Adopt",
		"Following remote session %s (spec.externalID; agent %s version %d)", remote.ID, remote.Agent.ID, remote.Agent.Version)
	recordLaunch(sess, remote)
	setCondition(&sess.Status.Conditions, sess.Generation, v1alpha1.ConditionReferencesResolved, metav1.ConditionTrue, ReasonResolved,
		fmt.Sprintf("agent %s (version %d) in environment %s", remote.Agent.ID, remote.Agent.Version, remote.EnvironmentID))
	s.handled = true
	r.resync.markVerified(sess)
	r.Pump.Follow(sess, api)
	return ctrl.Result{}, nil
}

// adoptionMismatch says how the remote session differs from the agent and environment the spec
// names by id, or "" when it matches. References by name are not compared: they resolve to
// whatever the named objects point at now.
func adoptionMismatch(sess *v1alpha1.Session, remote *managedagents.Session) string {
	switch {
	case sess.Spec.AgentID != "" && sess.Spec.AgentID != remote.Agent.ID:
		return fmt.Sprintf("remote session %s runs agent %s, not spec.agentID %s", remote.ID, remote.Agent.ID, sess.Spec.AgentID)
	case sess.Spec.EnvironmentID != "" && sess.Spec.EnvironmentID != remote.EnvironmentID:
		return fmt.Sprintf("remote session %s runs in environment %s, not spec.environmentID %s", remote.ID, remote.EnvironmentID, sess.Spec.EnvironmentID)
	}
	return ""
}

// adoptRejected ends the Session as Failed through the launch's failure path: the session to follow
// is not there to follow.
func (r *SessionReconciler) adoptRejected(s *sessionScope, detail string) (ctrl.Result, error) {
	sess := s.sess
	specErr := &managedagents.InvalidSpecError{Field: "externalID", Message: detail}
	msg := specErr.Error()
	setCondition(&sess.Status.Conditions, sess.Generation, v1alpha1.ConditionLaunched, metav1.ConditionFalse, ReasonLaunchFailed, msg)
	s.inputs.LaunchRejected = msg
	return r.failed(s, specErr)
}
