package controller

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/metrics"
)

// Session condition reasons beyond the shared ones.
const (
	ReasonLaunched     = "Launched"
	ReasonResolved     = "Resolved"
	ReasonLaunchFailed = "LaunchFailed"
)

// defaultGitHubTokenKey is the Secret key of a GitHub token when the reference names none.
const defaultGitHubTokenKey = "token"

// launch resolves references and credentials and creates the remote session exactly once: it looks
// for a session carrying this object's UID before every create that may follow an earlier one (all
// but the first, which neverLaunched marks), and the create is never retried by the SDK, so a lost
// response cannot leave two sessions.
func (r *SessionReconciler) launch(ctx context.Context, sess *v1alpha1.Session, neverLaunched bool) (ctrl.Result, error) {
	in, err := r.resolveReferences(ctx, sess)
	if err != nil {
		setCondition(&sess.Status.Conditions, sess.Generation, v1alpha1.ConditionReferencesResolved, metav1.ConditionFalse, ReasonReferenceNotReady, err.Error())
		setCondition(&sess.Status.Conditions, sess.Generation, v1alpha1.ConditionTurnComplete, metav1.ConditionFalse, string(v1alpha1.SessionPending), "waiting to launch")
		return r.fail(sess, err)
	}
	setCondition(&sess.Status.Conditions, sess.Generation, v1alpha1.ConditionReferencesResolved, metav1.ConditionTrue, ReasonResolved,
		fmt.Sprintf("agent %s (version %d) in environment %s", in.AgentID, in.AgentVersion, in.EnvironmentID))
	api, err := r.apiClient(ctx, sess)
	if err != nil {
		return r.fail(sess, err)
	}
	if in.GitHubTokens, err = r.githubTokens(ctx, sess); err != nil {
		return r.fail(sess, err)
	}
	remote, created, err := r.findOrCreate(ctx, api, sess, in, neverLaunched)
	if err != nil {
		return r.launchFailed(sess, err)
	}
	if created {
		metrics.SessionsLaunched.WithLabelValues(sess.Namespace).Inc()
		metrics.LaunchLatency.Observe(time.Since(sess.CreationTimestamp.Time).Seconds())
	}
	r.recordLaunch(sess, remote)
	if created {
		logf.FromContext(ctx).Info("Launched remote session", "sessionID", remote.ID, "agentID", remote.Agent.ID, "version", remote.Agent.Version)
		r.Recorder.Eventf(sess, nil, corev1.EventTypeNormal, ReasonLaunched, "Launch", "Launched remote session %s (agent %s version %d)", remote.ID, remote.Agent.ID, remote.Agent.Version)
	} else {
		logf.FromContext(ctx).Info("Found the remote session launched earlier for this object", "sessionID", remote.ID)
	}
	r.resync.markVerified(sess) // just created or found with the spec's fields: nothing to compare yet
	r.Pump.Ensure(sess, api)
	return ctrl.Result{}, nil
}

// findOrCreate returns the session already created for this object or creates it, and reports
// whether it created one. This process remembers what it launched, so a reconcile that reads a
// stale cache costs one GET; otherwise, unless the object was never launched, it searches the API
// for a session carrying the UID. The search lists the agent's recent sessions, so skipping it keeps
// a launch at two API calls however many sessions the agent has.
func (r *SessionReconciler) findOrCreate(ctx context.Context, api managedagents.Client, sess *v1alpha1.Session, in managedagents.SessionInputs, neverLaunched bool) (*managedagents.Session, bool, error) {
	if id, ok := r.launched.Load(sess.UID); ok {
		remote, err := api.GetSession(ctx, id.(string))
		return remote, false, err
	}
	if !neverLaunched {
		since := sess.CreationTimestamp.Add(-5 * time.Minute)
		if found, err := api.FindSession(ctx, in.AgentID, string(sess.UID), since); err != nil || found != nil {
			return found, false, err
		}
	}
	params, err := managedagents.NewSessionParams(&sess.Spec, in, ownerMetadata(sess))
	if err != nil {
		return nil, false, err
	}
	remote, err := api.CreateSession(ctx, params)
	if err != nil {
		return nil, false, err
	}
	r.launched.Store(sess.UID, remote.ID)
	return remote, true, nil
}

// launchFailed keeps transient errors retrying (each retry looks for the session first) and turns a
// rejected launch into phase Failed with the API's message.
func (r *SessionReconciler) launchFailed(sess *v1alpha1.Session, err error) (ctrl.Result, error) {
	f := classifyFailure(err)
	if f.reason == ReasonInvalidSpec || f.reason == ReasonRemoteNotFound {
		sess.Status.Phase = v1alpha1.SessionFailed
		now := metav1.Now()
		sess.Status.CompletionTime = &now
		setCondition(&sess.Status.Conditions, sess.Generation, v1alpha1.ConditionLaunched, metav1.ConditionFalse, ReasonLaunchFailed, f.message)
		setCondition(&sess.Status.Conditions, sess.Generation, v1alpha1.ConditionFinished, metav1.ConditionTrue, ReasonLaunchFailed, f.message)
		setCondition(&sess.Status.Conditions, sess.Generation, v1alpha1.ConditionTurnComplete, metav1.ConditionTrue, string(v1alpha1.SessionFailed), f.message)
	}
	return r.fail(sess, err)
}

// recordLaunch records the remote session in status.
func (r *SessionReconciler) recordLaunch(sess *v1alpha1.Session, remote *managedagents.Session) {
	st := &sess.Status
	st.ID, st.AgentID, st.AgentVersion, st.EnvironmentID = remote.ID, remote.Agent.ID, remote.Agent.Version, remote.EnvironmentID
	start := metav1.NewTime(remote.CreatedAt)
	if remote.CreatedAt.IsZero() {
		start = metav1.Now()
	}
	st.StartTime = &start
	st.Phase = v1alpha1.SessionIdle
	if sess.Spec.Prompt != "" || remote.Status == "running" {
		st.Phase = v1alpha1.SessionRunning
	}
	setCondition(&st.Conditions, sess.Generation, v1alpha1.ConditionLaunched, metav1.ConditionTrue, ReasonLaunched, "remote session "+remote.ID)
	setCondition(&st.Conditions, sess.Generation, v1alpha1.ConditionReady, metav1.ConditionTrue, ReasonLaunched, "remote session "+remote.ID)
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
		if err := r.Get(ctx, types.NamespacedName{Namespace: sess.Namespace, Name: ref.Name}, &agent); err != nil || agent.Status.ID == "" || !isReady(agent.Status.Conditions) {
			return in, notReady("Agent", sess.Namespace, ref.Name, err)
		}
		in.AgentID, in.AgentVersion = agent.Status.ID, agent.Status.Version
		if ref.Version != nil {
			in.AgentVersion = *ref.Version
		}
	}
	if ref := sess.Spec.EnvironmentRef; ref != nil {
		var env v1alpha1.Environment
		if err := r.Get(ctx, types.NamespacedName{Namespace: sess.Namespace, Name: ref.Name}, &env); err != nil || env.Status.ID == "" || !isReady(env.Status.Conditions) {
			return in, notReady("Environment", sess.Namespace, ref.Name, err)
		}
		in.EnvironmentID = env.Status.ID
	}
	return in, nil
}

func notReady(kind, namespace, name string, err error) error {
	msg := fmt.Sprintf("%s %s/%s is not Ready yet", kind, namespace, name)
	if err != nil {
		msg = fmt.Sprintf("%s %s/%s: %v", kind, namespace, name, err)
	}
	return &referenceError{reason: ReasonReferenceNotReady, message: msg}
}

// githubTokens reads the token of every GitHub repository resource from its Secret.
func (r *SessionReconciler) githubTokens(ctx context.Context, sess *v1alpha1.Session) (map[int]string, error) {
	tokens := map[int]string{}
	for i, res := range sess.Spec.Resources {
		if res.GitHubRepository == nil || res.GitHubRepository.TokenSecretRef == nil {
			continue
		}
		ref := res.GitHubRepository.TokenSecretRef
		field := ref.Key
		if field == "" {
			field = defaultGitHubTokenKey
		}
		token, err := readSecretKey(ctx, r.Credentials.Reader, types.NamespacedName{Namespace: sess.Namespace, Name: ref.Name}, field)
		if err != nil {
			return nil, err
		}
		tokens[i] = token
	}
	return tokens, nil
}
