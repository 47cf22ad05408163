// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/metrics"
)

// defaultGitHubTokenKey is the Secret key of a GitHub token when the reference names none.
const defaultGitHubTokenKey = "token"

// launch resolves references and credentials and creates the remote session exactly once: it looks
// for a session carrying this object's UID before every create that may follow an earlier one (all
// but the first, which neverLaunched marks), and the create is never retried by the SDK, so a lost
// response cannot leave two sessions. A launch the API refuses ends the Session as Failed, through
// the same finish path as every other end.
func (r *SessionReconciler) launch(ctx context.Context, s *sessionScope, neverLaunched bool) (ctrl.Result, error) {
	sess := s.sess
	s.decide = true // Pending until launched
	in, err := r.resolveReferences(ctx, sess)
	if err != nil {
		setCondition(&sess.Status.Conditions, sess.Generation, v1alpha1.ConditionReferencesResolved, metav1.ConditionFalse, ReasonReferenceNotReady, err.Error())
		return r.failed(s, err)
	}
	setCondition(&sess.Status.Conditions, sess.Generation, v1alpha1.ConditionReferencesResolved, metav1.ConditionTrue, ReasonResolved,
		fmt.Sprintf("agent %s (version %d) in environment %s", in.AgentID, in.AgentVersion, in.EnvironmentID))
	api, err := r.apiClient(ctx, sess)
	if err != nil {
		return r.failed(s, err)
	}
	if in.GitHubTokens, err = r.githubTokens(ctx, sess); err != nil {
		return r.failed(s, err)
	}
	remote, created, err := r.findOrCreate(ctx, api, sess, in, neverLaunched)
	if r.attachmentsBlocked(ctx, s, 0, err) {
		return ctrl.Result{}, nil // Pending; the ConfigMap watch brings the Session back
	}
	if err != nil {
		if f := classifyFailure(err); f.reason == ReasonInvalidSpec || f.reason == ReasonRemoteNotFound {
			setCondition(&sess.Status.Conditions, sess.Generation, v1alpha1.ConditionLaunched, metav1.ConditionFalse, ReasonLaunchFailed, f.message)
			s.inputs.LaunchRejected = f.message
		}
		return r.failed(s, err)
	}
	if created {
		metrics.SessionsLaunched.WithLabelValues(sess.Namespace).Inc()
		metrics.LaunchLatency.Observe(time.Since(sess.CreationTimestamp.Time).Seconds())
		logf.FromContext(ctx).Info("Launched remote session", "sessionID", remote.ID, "agentID", remote.Agent.ID, "version", remote.Agent.Version)
		r.Recorder.Eventf(sess, nil, corev1.EventTypeNormal, string(ReasonLaunched), "Launch", "Launched remote session %s (agent %s version %d)", remote.ID, remote.Agent.ID, remote.Agent.Version)
	} else {
		logf.FromContext(ctx).Info("Found the remote session launched earlier for this object", "sessionID", remote.ID)
	}
	recordLaunch(sess, remote)
	recordLaunchedResources(sess, remote, in.GitHubTokens, created)
	s.handled = true
	r.resync.markVerified(sess) // just created or found with the spec's fields: nothing to compare yet
	r.Pump.Follow(sess, api)
	return ctrl.Result{}, nil
}

// findOrCreate returns the session already created for this object or creates it, and reports
// whether it created one. This process remembers what it launched, so a reconcile that reads a
// stale cache costs one GET; otherwise, unless the object was never launched, it searches the API
// for a session carrying the UID. The search lists the agent's recent sessions, so skipping it keeps
// a launch at two API calls however many sessions the agent has.
func (r *SessionReconciler) findOrCreate(ctx context.Context, api managedagents.Client, sess *v1alpha1.Session, in managedagents.SessionInputs, neverLaunched bool) (*managedagents.Session, bool, error) {
	key := client.ObjectKeyFromObject(sess)
	if id := r.memory.get(key, sess.UID).launched; id != "" {
		remote, err := api.GetSession(ctx, id)
		return remote, false, err
	}
	if !neverLaunched {
		if found, err := findLaunched(ctx, api, sess, in.AgentID); err != nil || found != nil {
			return found, false, err
		}
	}
	var err error
	if in.PromptAttachments, err = r.attachmentData(ctx, sess, 0); err != nil {
		return nil, false, err
	}
	params, err := managedagents.NewSessionParams(&sess.Spec, in, ownerMetadata(sess))
	if err != nil {
		return nil, false, err
	}
	r.attachmentsResolved(sess, 0)
	remote, err := api.CreateSession(ctx, params)
	if err != nil {
		return nil, false, err
	}
	r.memory.update(key, sess.UID, func(m *sessionMemory) { m.launched = remote.ID })
	return remote, true, nil
}

// findLaunched searches the API for a remote session carrying the Session's UID, created since
// shortly before the Session was (clocks differ). agentID narrows the search when it is known.
func findLaunched(ctx context.Context, api managedagents.Client, sess *v1alpha1.Session, agentID string) (*managedagents.Session, error) {
	since := sess.CreationTimestamp.Add(-5 * time.Minute)
	return api.FindSession(ctx, agentID, string(sess.UID), since)
}

// recordLaunch records the remote session in status.
func recordLaunch(sess *v1alpha1.Session, remote *managedagents.Session) {
	st := &sess.Status
	st.ID, st.AgentID, st.AgentVersion, st.EnvironmentID = remote.ID, remote.Agent.ID, remote.Agent.Version, remote.EnvironmentID
	start := metav1.NewTime(remote.CreatedAt)
	if remote.CreatedAt.IsZero() {
		start = metav1.Now()
	}
	st.StartTime = &start
	setCondition(&st.Conditions, sess.Generation, v1alpha1.ConditionLaunched, metav1.ConditionTrue, ReasonLaunched, "remote session "+remote.ID)
}

// resolveReferences finds the remote agent and environment. A referenced object that is not Ready
// yet leaves the Session waiting; a watch re-queues it when that object changes.
func (r *SessionReconciler) resolveReferences(ctx context.Context, sess *v1alpha1.Session) (managedagents.SessionInputs, error) {
	in := managedagents.SessionInputs{AgentID: sess.Spec.AgentID, EnvironmentID: sess.Spec.EnvironmentID, Title: sess.Spec.Title}
	if in.Title == "" {
		in.Title = defaultTitle(sess)
	}
	if ref := sess.Spec.AgentRef; ref != nil {
		var agent v1alpha1.Agent
		if err := r.Get(ctx, types.NamespacedName{Namespace: sess.Namespace, Name: ref.Name}, &agent); err != nil || !current(&agent, agent.Status.ID, agent.Status.ObservedGeneration, agent.Status.Conditions) {
			return in, notReady("Agent", sess.Namespace, ref.Name, err)
		}
		in.AgentID, in.AgentVersion = agent.Status.ID, agent.Status.Version
		if ref.Version != nil {
			in.AgentVersion = *ref.Version
		}
	}
	if ref := sess.Spec.EnvironmentRef; ref != nil {
		var env v1alpha1.Environment
		if err := r.Get(ctx, types.NamespacedName{Namespace: sess.Namespace, Name: ref.Name}, &env); err != nil || !current(&env, env.Status.ID, env.Status.ObservedGeneration, env.Status.Conditions) {
			return in, notReady("Environment", sess.Namespace, ref.Name, err)
		}
		in.EnvironmentID = env.Status.ID
	}
	return in, r.resolveVaultsAndMemoryStores(ctx, sess, &in)
}

// resolveVaultsAndMemoryStores finds the remote ids of the Vaults in spec.vaultRefs and the
// MemoryStores named in spec.resources; each must be Ready for its current generation.
func (r *SessionReconciler) resolveVaultsAndMemoryStores(ctx context.Context, sess *v1alpha1.Session, in *managedagents.SessionInputs) error {
	for _, ref := range sess.Spec.VaultRefs {
		var vault v1alpha1.Vault
		if err := r.Get(ctx, types.NamespacedName{Namespace: sess.Namespace, Name: ref.Name}, &vault); err != nil || !current(&vault, vault.Status.ID, vault.Status.ObservedGeneration, vault.Status.Conditions) {
			return notReady("Vault", sess.Namespace, ref.Name, err)
		}
		in.VaultIDs = append(in.VaultIDs, vault.Status.ID)
	}
	for i, res := range sess.Spec.Resources {
		if res.MemoryStore == nil || res.MemoryStore.MemoryStoreRef == nil {
			continue
		}
		name := res.MemoryStore.MemoryStoreRef.Name
		var store v1alpha1.MemoryStore
		if err := r.Get(ctx, types.NamespacedName{Namespace: sess.Namespace, Name: name}, &store); err != nil || !current(&store, store.Status.ID, store.Status.ObservedGeneration, store.Status.Conditions) {
			return notReady("MemoryStore", sess.Namespace, name, err)
		}
		if in.MemoryStoreIDs == nil {
			in.MemoryStoreIDs = map[int]string{}
		}
		in.MemoryStoreIDs[i] = store.Status.ID
	}
	return nil
}

// current reports whether a referenced object is usable for a launch: it has a remote id and is
// Ready for its current generation. Ready for an older generation would launch against the remote
// object as it was before the user's newest edit (an agent version behind). A paused object stays
// usable as it was last synced: pausing stops reconciling it, not its dependents.
func current(obj client.Object, id string, observedGeneration int64, conds []metav1.Condition) bool {
	upToDate := observedGeneration == obj.GetGeneration() || v1alpha1.IsPaused(obj.GetAnnotations())
	return id != "" && upToDate && isReady(conds)
}

func notReady(kind, namespace, name string, err error) error {
	msg := fmt.Sprintf("%s %s/%s is not Ready for its current spec yet", kind, namespace, name)
	if err != nil {
		msg = fmt.Sprintf("%s %s/%s: %v", kind, namespace, name, err)
	}
	return &referenceError{reason: ReasonReferenceNotReady, message: msg, watched: true}
}

// githubTokens reads the token of every GitHub repository resource from its Secret.
func (r *SessionReconciler) githubTokens(ctx context.Context, sess *v1alpha1.Session) (map[int]string, error) {
	tokens := map[int]string{}
	for i := range sess.Spec.Resources {
		token, err := r.repositoryToken(ctx, sess, i)
		if err != nil {
			return nil, err
		}
		if token != "" {
			tokens[i] = token
		}
	}
	return tokens, nil
}
