// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
)

// A running session's resources follow spec.resources and the repositories' token Secrets:
//
//   - a file added to the spec is mounted (Resources.Add), a file removed from it is unmounted
//     (Resources.Delete); admission keeps repositories and memory stores as they were at creation;
//   - a repository whose token Secret changed gets the new token (Resources.Update).
//
// Remote resources are keyed by what they mount (a file and its mount path, a repository's URL and
// mount path), never by a position in the spec, and every add or delete is planned from a fresh
// listing of the session's resources, so a lost answer or a restart never mounts a file twice. A
// token is compared by a salted digest kept in status.resources (and, while the informer cache lags
// behind this process's own status write, in memory), so it is sent again only when its Secret holds
// another value.
//
// Nothing here calls the API while status.resources already matches the spec and the tokens, which
// is every reconcile of a session whose spec and Secrets did not change; the resources are listed
// again at each resync period, which undoes files mounted or unmounted outside the operator.

// resourceMemory is what this process remembers about a Session's resources (see sessionMemory).
type resourceMemory struct {
	// sent maps a repository resource id to the token digest last sent to it and when.
	sent map[string]sentToken
	// failed is the fingerprint of the spec and tokens of the last sync that failed for good (a
	// missing Secret, an API refusal): nothing is tried again until one of them changes or the resync
	// period passes, so a refused resource never turns into a loop.
	failed string
}

type sentToken struct {
	digest string
	at     metav1.Time
}

// resourceSync is one sync of a running session's resources.
type resourceSync struct {
	r    *SessionReconciler
	sess *v1alpha1.Session
	api  managedagents.Client
	// tokens holds each repository's token by spec index, read from its Secret.
	tokens map[int]string
	// failures are this sync's problems that only a spec or Secret change fixes; transient is the
	// first one that time may fix (a 5xx, a rate limit, an unreachable API server).
	failures  []error
	transient error
}

// syncResources makes the running session's resources match spec.resources and their Secrets. It
// reports failures in the ResourcesSynced condition and returns only a transient error, for the
// caller's backoff; it never holds up the session's steering.
func (r *SessionReconciler) syncResources(ctx context.Context, s *sessionScope, api managedagents.Client, remoteStatus string) error {
	sess := s.sess
	if remoteStatus == sessionevents.StatusTerminated {
		return nil // the API refuses every resource change of a terminated session
	}
	if sess.Spec.ExternalID != "" {
		return nil // a followed session's resources are whatever started it mounted (an AgentDeployment's)
	}
	rs := &resourceSync{r: r, sess: sess, api: api}
	if err := rs.readTokens(ctx); err != nil {
		return err
	}
	key := client.ObjectKeyFromObject(sess)
	mem := r.memory.get(key, sess.UID).resources
	fingerprint := rs.fingerprint()
	due := r.resync.due(sess) && (len(sess.Spec.Resources) > 0 || len(sess.Status.Resources) > 0)
	if mem.failed == fingerprint && !due {
		return nil // failed for good with these inputs; the condition still says why
	}
	restoreSentTokens(sess, mem.sent)
	if due || !resourcesMatchSpec(sess) {
		rs.reconcileMounts(ctx)
	}
	if rs.transient == nil {
		rs.rotateTokens(ctx)
	}
	failed := ""
	if len(rs.failures) > 0 && rs.transient == nil {
		failed = fingerprint
	}
	r.memory.update(key, sess.UID, func(m *sessionMemory) { m.resources.failed = failed })
	rs.setCondition()
	return rs.transient
}

// readTokens reads the token of every repository that names a token Secret. A missing Secret or key
// is a failure of that repository alone.
func (rs *resourceSync) readTokens(ctx context.Context) error {
	rs.tokens = map[int]string{}
	for i := range rs.sess.Spec.Resources {
		token, err := rs.r.repositoryToken(ctx, rs.sess, i)
		var credErr *CredentialError
		switch {
		case errors.As(err, &credErr):
			rs.failures = append(rs.failures, err)
		case err != nil:
			return err
		case token != "":
			rs.tokens[i] = token
		}
	}
	return nil
}

// repositoryToken reads the token of spec.resources[i] when it is a repository with a tokenSecretRef
// ("" otherwise). A missing Secret or key is a *CredentialError that names the field.
func (r *SessionReconciler) repositoryToken(ctx context.Context, sess *v1alpha1.Session, i int) (string, error) {
	repo := sess.Spec.Resources[i].GitHubRepository
	if repo == nil || repo.TokenSecretRef == nil {
		return "", nil
	}
	ref := repo.TokenSecretRef
	id := secretField{secret: types.NamespacedName{Namespace: sess.Namespace, Name: ref.Name}, field: ref.Key}
	if id.field == "" {
		id.field = defaultGitHubTokenKey
	}
	token, err := r.Credentials.secretKey(ctx, id)
	var credErr *CredentialError
	if errors.As(err, &credErr) {
		return "", &CredentialError{Message: fmt.Sprintf("spec.resources[%d].githubRepository.tokenSecretRef: %s", i, credErr.Message)}
	}
	return token, err
}

// fingerprint digests the inputs of a sync: the spec's resources, each token (salted, as a digest)
// and each problem reading one.
func (rs *resourceSync) fingerprint() string {
	h := sha256.New()
	for i, res := range rs.sess.Spec.Resources {
		fmt.Fprintf(h, "%d\x00%+v\x00", i, res)
		if repo := res.GitHubRepository; repo != nil {
			fmt.Fprintf(h, "%+v\x00%s\x00", repo.TokenSecretRef, tokenDigest(rs.sess.UID, "", rs.tokens[i]))
		}
	}
	for _, err := range rs.failures {
		fmt.Fprintf(h, "%s\x00", err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// tokenDigest is the salted digest of a repository token: salted with the Session's UID and the
// remote resource's id, so that one token used by two resources or two Sessions does not show as
// equal digests. It is truncated: it only has to tell "changed" from "unchanged".
func tokenDigest(uid types.UID, resourceID, token string) string {
	sum := sha256.Sum256([]byte(string(uid) + "\x00" + resourceID + "\x00" + token))
	return hex.EncodeToString(sum[:12])
}

// mountedFromStatus turns status.resources back into the API's shape, for the managedagents planners.
func mountedFromStatus(entries []v1alpha1.SessionResourceStatus) []managedagents.SessionResource {
	out := make([]managedagents.SessionResource, 0, len(entries))
	for _, e := range entries {
		m := managedagents.SessionResource{ID: e.ID, Type: string(e.Type), MountPath: e.MountPath}
		switch e.Type {
		case v1alpha1.SessionResourceGitHubRepository:
			m.URL = e.Source
		case v1alpha1.SessionResourceFile:
			m.FileID = e.Source
		case v1alpha1.SessionResourceMemoryStore:
			m.MemoryStoreID = e.Source
		}
		out = append(out, m)
	}
	return out
}

// resourcesMatchSpec reports, without an API call, whether status.resources mounts every file of
// the spec and no other, and holds a resource for every repository of the spec.
func resourcesMatchSpec(sess *v1alpha1.Session) bool {
	mounted := mountedFromStatus(sess.Status.Resources)
	if plan := managedagents.PlanSessionFiles(&sess.Spec, mounted); len(plan.Add) > 0 || len(plan.Remove) > 0 {
		return false
	}
	ids := managedagents.RepositoryResourceIDs(&sess.Spec, mounted)
	for i, res := range sess.Spec.Resources {
		if res.GitHubRepository != nil && ids[i] == "" {
			return false
		}
	}
	return true
}

// restoreSentTokens puts the digests this process sent back into status entries that do not show
// them: the informer cache has not caught up with the status write yet, or the write was lost.
func restoreSentTokens(sess *v1alpha1.Session, sent map[string]sentToken) {
	for i := range sess.Status.Resources {
		e := &sess.Status.Resources[i]
		if t, ok := sent[e.ID]; ok && e.TokenDigest != t.digest {
			at := t.at
			e.TokenDigest, e.LastTokenRotation = t.digest, &at
		}
	}
}

// setCondition sets ResourcesSynced from this sync's failures, with a Warning Event when it turns
// False or its reason changes.
func (rs *resourceSync) setCondition() {
	sess := rs.sess
	failures := rs.failures
	if rs.transient != nil {
		failures = append(failures, rs.transient)
	}
	if len(failures) == 0 {
		setCondition(&sess.Status.Conditions, sess.Generation, v1alpha1.ConditionResourcesSynced, metav1.ConditionTrue, ReasonUpToDate,
			"the remote session's resources and repository tokens match spec.resources and their Secrets")
		return
	}
	msgs := make([]string, 0, len(failures))
	for _, err := range failures {
		msgs = append(msgs, err.Error()) // each names its field; API errors carry the API's message
	}
	reason := classifyFailure(failures[0]).reason
	msg := sessionevents.Truncate(strings.Join(msgs, "; "), v1alpha1.MaxErrorMessageBytes)
	if setCondition(&sess.Status.Conditions, sess.Generation, v1alpha1.ConditionResourcesSynced, metav1.ConditionFalse, reason, msg) {
		rs.r.Recorder.Eventf(sess, nil, corev1.EventTypeWarning, string(reason), "SyncResources", "%s", msg)
	}
}

// fail records a failed step: a transient one stops the sync (time fixes it, and the next attempt
// starts from a fresh listing); any other is kept for the condition while the other resources go on.
func (rs *resourceSync) fail(err error) {
	switch managedagents.KindOf(err) {
	case managedagents.KindTerminal, managedagents.KindNotFound:
		rs.failures = append(rs.failures, err)
	default:
		if rs.transient == nil {
			rs.transient = err
		}
	}
}
