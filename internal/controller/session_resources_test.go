// SPDX-License-Identifier: Apache-2.0

package controller_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/controller"
	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

// Simulator endpoints of session resources, as its request counters name them.
const (
	addResource    = "POST /v1/sessions/{id}/resources"
	listResources  = "GET /v1/sessions/{id}/resources"
	updateResource = "POST /v1/sessions/{id}/resources/{rid}"
	deleteResource = "DELETE /v1/sessions/{id}/resources/{rid}"
)

const repoURL = "https://github.com/acme/app"

// editSession changes a Session's spec, retrying on conflicts with the operator's status writes.
func editSession(t *testing.T, key client.ObjectKey, edit func(*v1alpha1.Session)) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var s v1alpha1.Session
		if err := k8s.Get(context.Background(), key, &s); err != nil {
			return err
		}
		edit(&s)
		return k8s.Update(context.Background(), &s)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// openSessionWithRepo creates a Session that stays open (completionPolicy Never) with a private
// repository whose token comes from the Secret "gh-token", and waits until it is launched.
func openSessionWithRepo(t *testing.T, f *sessionFixture, name string, extra ...v1alpha1.SessionResource) *v1alpha1.Session {
	t.Helper()
	sess := f.newSession(name, "hello")
	sess.Spec.CompletionPolicy = v1alpha1.CompletionNever
	sess.Spec.Resources = append([]v1alpha1.SessionResource{{GitHubRepository: &v1alpha1.GitHubRepositoryResource{
		URL: repoURL, TokenSecretRef: &v1alpha1.SecretKeyReference{Name: "gh-token"}}}}, extra...)
	create(t, sess)
	return waitSession(t, client.ObjectKeyFromObject(sess), "launched with its resources", func(s *v1alpha1.Session) bool {
		return s.Status.Phase == v1alpha1.SessionIdle && len(s.Status.Resources) == len(s.Spec.Resources)
	})
}

// remoteResources returns the simulator's resources of a session.
func remoteResources(t *testing.T, sessionID string) []simulator.ResourceInfo {
	t.Helper()
	res, ok := sim.SessionResources(sessionID)
	if !ok {
		t.Fatalf("session %s is not in the simulator", sessionID)
	}
	return res
}

// remoteRepo returns the session's repository resource as stored, with its token.
func remoteRepo(t *testing.T, sessionID string) simulator.ResourceInfo {
	t.Helper()
	for _, r := range remoteResources(t, sessionID) {
		if r.Type == "github_repository" {
			return r
		}
	}
	t.Fatalf("session %s mounts no repository", sessionID)
	return simulator.ResourceInfo{}
}

// mountedFiles counts the session's file resources by file id.
func mountedFiles(t *testing.T, sessionID string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, r := range remoteResources(t, sessionID) {
		if r.Type == "file" {
			out[r.Resource["file_id"].(string)]++
		}
	}
	return out
}

// statusRepo returns the repository's entry of status.resources.
func statusRepo(s *v1alpha1.Session) *v1alpha1.SessionResourceStatus {
	for i := range s.Status.Resources {
		if s.Status.Resources[i].Type == v1alpha1.SessionResourceGitHubRepository {
			return &s.Status.Resources[i]
		}
	}
	return nil
}

// TestSessionRepositoryTokenFollowsItsSecret rotates a GitHub token Secret while the session runs:
// the remote resource gets the new token exactly once, status says when (never the token), and
// neither the reconciles that follow nor a restart send it again; a rotation whose answer is lost is
// sent once more with the same token.
func TestSessionRepositoryTokenFollowsItsSecret(t *testing.T) {
	scanLogsFor(t, "ghp_firstTokenValue", "ghp_secondTokenValue", "ghp_thirdTokenValue")
	f := newSessionFixture(t)
	secret(t, f.ns, "gh-token", map[string]string{"token": "ghp_firstTokenValue"})
	sess := openSessionWithRepo(t, f, "rotating")
	key := client.ObjectKeyFromObject(sess)
	if repo := remoteRepo(t, sess.Status.ID); repo.Token != "ghp_firstTokenValue" || repo.TokenUpdates != 0 {
		t.Fatalf("at launch the repository holds %q after %d updates, want the Secret's token and none", repo.Token, repo.TokenUpdates)
	}
	if e := statusRepo(sess); e == nil || e.TokenDigest == "" || e.LastTokenRotation != nil || e.Source != repoURL {
		t.Fatalf("status.resources after launch: %+v", sess.Status.Resources)
	}

	setSecret(t, f.ns, "gh-token", map[string]string{"token": "ghp_secondTokenValue"})
	eventually(t, "the new token on the remote resource", func() (bool, string) {
		repo := remoteRepo(t, sess.Status.ID)
		return repo.Token == "ghp_secondTokenValue", fmt.Sprintf("%d updates", repo.TokenUpdates)
	})
	sess = waitSession(t, key, "the rotation in status", func(s *v1alpha1.Session) bool {
		e := statusRepo(s)
		return e != nil && e.LastTokenRotation != nil &&
			conditionIs(s.Status.Conditions, v1alpha1.ConditionResourcesSynced, "True", controller.ReasonUpToDate)
	})
	waitEvent(t, sess, controller.ReasonTokenRotated)
	time.Sleep(2 * time.Second) // reconciles that a rotation and its status write cause
	restartManager(t)
	waitSession(t, key, "followed again after the restart", func(s *v1alpha1.Session) bool {
		return conditionIs(s.Status.Conditions, v1alpha1.ConditionResourcesSynced, "True", controller.ReasonUpToDate)
	})
	time.Sleep(2 * time.Second)
	if n := remoteRepo(t, sess.Status.ID).TokenUpdates; n != 1 {
		t.Fatalf("the token was sent %d times, want once", n)
	}

	// A rotation whose answer is lost is sent again, with the same token: the remote resource ends
	// with the new token, and Synced recovers.
	sim.LoseNextResponse(updateResource)
	setSecret(t, f.ns, "gh-token", map[string]string{"token": "ghp_thirdTokenValue"})
	eventually(t, "the third token on the remote resource after a lost answer", func() (bool, string) {
		repo := remoteRepo(t, sess.Status.ID)
		return repo.Token == "ghp_thirdTokenValue" && repo.TokenUpdates == 3, fmt.Sprintf("%d updates", repo.TokenUpdates)
	})
	sess = waitSession(t, key, "Synced again", func(s *v1alpha1.Session) bool {
		return conditionIs(s.Status.Conditions, v1alpha1.ConditionSynced, "True", controller.ReasonSynced) &&
			conditionIs(s.Status.Conditions, v1alpha1.ConditionResourcesSynced, "True", controller.ReasonUpToDate)
	})
	time.Sleep(time.Second)
	if n := remoteRepo(t, sess.Status.ID).TokenUpdates; n != 3 {
		t.Fatalf("%d token updates after the lost answer, want 3 (one resend of the same token)", n)
	}
	assertNoSecretsAnywhere(t, sess, sess.Status, "ghp_firstTokenValue", "ghp_secondTokenValue", "ghp_thirdTokenValue")
}

// TestSessionFilesFollowTheSpec adds a file to a running Session and removes another: each change
// reaches the remote session once, the add even when its answer is lost (the retry finds the file
// mounted and does not mount it again).
func TestSessionFilesFollowTheSpec(t *testing.T) {
	f := newSessionFixture(t)
	secret(t, f.ns, "gh-token", map[string]string{"token": "ghp_filesTest"})
	sess := openSessionWithRepo(t, f, "files", v1alpha1.SessionResource{File: &v1alpha1.FileResource{FileID: "file_first"}})
	key := client.ObjectKeyFromObject(sess)

	sim.ResetStats()
	sim.LoseNextResponse(addResource)
	editSession(t, key, func(s *v1alpha1.Session) {
		s.Spec.Resources = append(s.Spec.Resources, v1alpha1.SessionResource{File: &v1alpha1.FileResource{FileID: "file_second", MountPath: "/data/second.csv"}})
	})
	sess = waitSession(t, key, "the added file in status", func(s *v1alpha1.Session) bool {
		return len(s.Status.Resources) == 3 && s.Status.ObservedGeneration == s.Generation &&
			conditionIs(s.Status.Conditions, v1alpha1.ConditionResourcesSynced, "True", controller.ReasonUpToDate)
	})
	time.Sleep(time.Second)
	if files := mountedFiles(t, sess.Status.ID); files["file_second"] != 1 || files["file_first"] != 1 {
		t.Fatalf("mounted files %v, want file_first and file_second once each", files)
	}
	if adds := sim.Stats()[addResource]; adds != 1 {
		t.Fatalf("%d add calls, want 1 (the lost answer is found by listing, not added again)", adds)
	}

	editSession(t, key, func(s *v1alpha1.Session) { s.Spec.Resources = slicesWithout(s.Spec.Resources, "file_first") })
	eventually(t, "the removed file gone remotely", func() (bool, string) {
		files := mountedFiles(t, sess.Status.ID)
		return files["file_first"] == 0 && files["file_second"] == 1, fmt.Sprint(files)
	})
	sess = waitSession(t, key, "the removal in status", func(s *v1alpha1.Session) bool { return len(s.Status.Resources) == 2 })
	waitEvent(t, sess, controller.ReasonResourceRemoved)
	if n := sim.Stats()[deleteResource]; n != 1 {
		t.Fatalf("%d delete calls, want 1", n)
	}
}

// slicesWithout drops the file resource with the id.
func slicesWithout(resources []v1alpha1.SessionResource, fileID string) []v1alpha1.SessionResource {
	var out []v1alpha1.SessionResource
	for _, r := range resources {
		if r.File == nil || r.File.FileID != fileID {
			out = append(out, r)
		}
	}
	return out
}

// TestSessionResourceTokenSecretMissing points a running session's repository at a Secret that does
// not exist: ResourcesSynced names the field and the Secret, nothing is called or reported again
// while nothing changes, and creating the Secret sends its token.
func TestSessionResourceTokenSecretMissing(t *testing.T) {
	f := newSessionFixture(t)
	secret(t, f.ns, "gh-token", map[string]string{"token": "ghp_beforeMissing"})
	sess := openSessionWithRepo(t, f, "missing-token")
	key := client.ObjectKeyFromObject(sess)

	editSession(t, key, func(s *v1alpha1.Session) {
		s.Spec.Resources[0].GitHubRepository.TokenSecretRef = &v1alpha1.SecretKeyReference{Name: "gh-token-next", Key: "pat"}
	})
	sess = waitSession(t, key, "ResourcesSynced False naming the Secret", func(s *v1alpha1.Session) bool {
		c := meta.FindStatusCondition(s.Status.Conditions, v1alpha1.ConditionResourcesSynced)
		return c != nil && c.Status == "False" && c.Reason == string(controller.ReasonCredentialsNotFound) &&
			strings.Contains(c.Message, "spec.resources[0].githubRepository.tokenSecretRef") && strings.Contains(c.Message, "gh-token-next")
	})
	if sess.Status.Phase != v1alpha1.SessionIdle {
		t.Fatalf("a missing token Secret stopped the session: phase %s", sess.Status.Phase)
	}
	before := sim.Stats()
	time.Sleep(3 * time.Second)
	after := sim.Stats()
	for _, ep := range []string{listResources, updateResource} {
		if after[ep] != before[ep] {
			t.Errorf("%d calls of %s while the Secret is missing, want none", after[ep]-before[ep], ep)
		}
	}
	if n := countReason(t, sess, controller.ReasonCredentialsNotFound); n != 1 {
		t.Errorf("%d CredentialsNotFound Events, want 1", n)
	}

	secret(t, f.ns, "gh-token-next", map[string]string{"pat": "ghp_afterMissing"})
	eventually(t, "the new Secret's token on the remote resource", func() (bool, string) {
		repo := remoteRepo(t, sess.Status.ID)
		return repo.Token == "ghp_afterMissing" && repo.TokenUpdates == 1, fmt.Sprintf("%d updates", repo.TokenUpdates)
	})
	waitSession(t, key, "ResourcesSynced True", func(s *v1alpha1.Session) bool {
		return conditionIs(s.Status.Conditions, v1alpha1.ConditionResourcesSynced, "True", controller.ReasonUpToDate)
	})
}

// TestSessionLaunchWithMissingTokenSecret names the field and the Secret in Synced and waits, with
// no launch attempt, until the Secret appears.
func TestSessionLaunchWithMissingTokenSecret(t *testing.T) {
	f := newSessionFixture(t)
	sess := f.newSession("no-token-yet", "hello")
	sess.Spec.Resources = []v1alpha1.SessionResource{{GitHubRepository: &v1alpha1.GitHubRepositoryResource{
		URL: repoURL, TokenSecretRef: &v1alpha1.SecretKeyReference{Name: "gh-late"}}}}
	create(t, sess)
	key := client.ObjectKeyFromObject(sess)
	waitSession(t, key, "Synced False naming the field", func(s *v1alpha1.Session) bool {
		c := meta.FindStatusCondition(s.Status.Conditions, v1alpha1.ConditionSynced)
		return s.Status.ID == "" && c != nil && c.Status == "False" &&
			strings.Contains(c.Message, "spec.resources[0].githubRepository.tokenSecretRef") && strings.Contains(c.Message, "gh-late")
	})
	before := sim.Stats()["POST /v1/sessions"]
	time.Sleep(2 * time.Second)
	if after := sim.Stats()["POST /v1/sessions"]; after != before {
		t.Fatalf("%d session creates while the token Secret is missing", after-before)
	}
	secret(t, f.ns, "gh-late", map[string]string{"token": "ghp_lateToken"})
	sess = waitSession(t, key, "launched", func(s *v1alpha1.Session) bool { return s.Status.ID != "" })
	if repo := remoteRepo(t, sess.Status.ID); repo.Token != "ghp_lateToken" {
		t.Fatal("the repository was not mounted with the Secret's token")
	}
}

// TestSessionLaunchesWhenItsVaultBecomesReady proves that a Session waiting for a Vault is woken by
// the Vault's watch: it launches within seconds of the Vault becoming Ready, where the 10 s reference
// poll it used before would launch it about 10 s after it started waiting.
func TestSessionLaunchesWhenItsVaultBecomesReady(t *testing.T) {
	f := newSessionFixture(t)
	sess := f.newSession("watching", "hello")
	sess.Spec.VaultRefs = []v1alpha1.LocalObjectReference{{Name: "late-vault"}}
	create(t, sess)
	key := client.ObjectKeyFromObject(sess)
	waitSession(t, key, "waiting for the Vault", func(s *v1alpha1.Session) bool {
		return conditionIs(s.Status.Conditions, v1alpha1.ConditionReferencesResolved, "False", controller.ReasonReferenceNotReady)
	})
	secret(t, f.ns, "late-key", map[string]string{"api-key": "sk_test_late"})
	vault := newVault(f.ns, "late-vault", envCredential("late", "LATE_KEY", "late-key"))
	create(t, vault)
	waitVault(t, client.ObjectKeyFromObject(vault), "Vault Ready", func(v *v1alpha1.Vault) bool { return isReady(v.Status.Conditions) })
	ready := time.Now()
	waitSession(t, key, "launched", func(s *v1alpha1.Session) bool { return s.Status.ID != "" })
	if took := time.Since(ready); took > 4*time.Second {
		t.Fatalf("the Session launched %s after its Vault became Ready; a watch launches it at once", took.Round(time.Millisecond))
	}
}

// countReason counts the Events of an object with the reason.
func countReason[R ~string](t *testing.T, obj client.Object, reason R) int {
	t.Helper()
	n := 0
	for _, e := range objectEvents(t, obj) {
		if e.Reason == string(reason) {
			n++
		}
	}
	return n
}

// TestSessionMountsAMemoryStoreByReference names a MemoryStore that does not exist yet: the Session
// waits, is woken by the MemoryStore's watch when the store turns Ready, mounts it with its remote
// id, and lists it in status.resources.
func TestSessionMountsAMemoryStoreByReference(t *testing.T) {
	f := newSessionFixture(t)
	sess := f.newSession("with-memory", "hello")
	sess.Spec.Resources = []v1alpha1.SessionResource{{MemoryStore: &v1alpha1.MemoryStoreResource{
		MemoryStoreRef: &v1alpha1.LocalObjectReference{Name: "notes"}, Access: "ReadOnly"}}}
	create(t, sess)
	key := client.ObjectKeyFromObject(sess)
	waitSession(t, key, "waiting for the MemoryStore", func(s *v1alpha1.Session) bool {
		c := meta.FindStatusCondition(s.Status.Conditions, v1alpha1.ConditionReferencesResolved)
		return c != nil && c.Status == "False" && strings.Contains(c.Message, "MemoryStore "+f.ns+"/notes")
	})
	configMap(t, f.ns, "notes-seed", map[string]string{"style.md": "Short sentences."})
	store := &v1alpha1.MemoryStore{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "notes"},
		Spec: v1alpha1.MemoryStoreSpec{Seed: &v1alpha1.MemorySeed{ConfigMapRef: v1alpha1.LocalObjectReference{Name: "notes-seed"}}}}
	create(t, store)
	store = waitMemoryStore(t, client.ObjectKeyFromObject(store), "seeded and Ready", func(m *v1alpha1.MemoryStore) bool {
		return isReady(m.Status.Conditions) && m.Status.Memories == 1
	})
	ready := time.Now()
	sess = waitSession(t, key, "launched", func(s *v1alpha1.Session) bool { return s.Status.ID != "" })
	if took := time.Since(ready); took > 4*time.Second {
		t.Errorf("the Session launched %s after its MemoryStore became Ready; a watch launches it at once", took.Round(time.Millisecond))
	}
	res := remoteResources(t, sess.Status.ID)
	if len(res) != 1 || res[0].Resource["memory_store_id"] != store.Status.ID || res[0].Resource["access"] != "read_only" {
		t.Fatalf("remote resources %+v", res)
	}
	if st := sess.Status.Resources; len(st) != 1 || st[0].Type != v1alpha1.SessionResourceMemoryStore || st[0].Source != store.Status.ID || st[0].ID != res[0].ID {
		t.Fatalf("status.resources %+v", st)
	}
}
