// SPDX-License-Identifier: Apache-2.0

package controller_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/controller"
	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

// TestAgentCreateUpdateAndSystemFrom proves the main path: a new Agent gets a remote agent at
// version 1, a spec change makes version 2 with an Event, and editing the ConfigMap that holds the
// system prompt makes version 3.
func TestAgentCreateUpdateAndSystemFrom(t *testing.T) {
	ctx := testContext(t, time.Minute)
	ns := newNamespace(t)
	agent := newAgent(ns, "coder")
	create(t, agent)
	key := client.ObjectKeyFromObject(agent)
	agent = waitAgent(t, key, "Ready at version 1", func(a *v1alpha1.Agent) bool { return isReady(a.Status.Conditions) && a.Status.Version == 1 })
	if !slices.Contains(agent.Finalizers, controller.Finalizer) {
		t.Errorf("finalizer missing: %v", agent.Finalizers)
	}
	remote, err := sdk().Beta.Agents.Get(ctx, agent.Status.ID, anthropic.BetaAgentGetParams{})
	if err != nil {
		t.Fatal(err)
	}
	if remote.Name != "coder" || remote.System != "You are helpful." || remote.Metadata[v1alpha1.MetadataKeyUID] != string(agent.UID) {
		t.Errorf("remote agent does not reflect the spec: name=%q system=%q metadata=%v", remote.Name, remote.System, remote.Metadata)
	}
	waitEvent(t, agent, controller.ReasonCreated)

	agent.Spec.System = "You are terse."
	if err := k8s.Update(ctx, agent); err != nil {
		t.Fatal(err)
	}
	agent = waitAgent(t, key, "version 2", func(a *v1alpha1.Agent) bool {
		return a.Status.Version == 2 && a.Status.ObservedGeneration == a.Generation && isReady(a.Status.Conditions)
	})
	waitEvent(t, agent, controller.ReasonUpdated)

	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "prompts"}, Data: map[string]string{"coder": "From a ConfigMap."}}
	if err := k8s.Create(ctx, cm); err != nil {
		t.Fatal(err)
	}
	agent.Spec.System, agent.Spec.SystemFrom = "", &v1alpha1.ConfigMapKeyReference{Name: "prompts", Key: "coder"}
	if err := k8s.Update(ctx, agent); err != nil {
		t.Fatal(err)
	}
	waitAgent(t, key, "version 3 from the ConfigMap", func(a *v1alpha1.Agent) bool { return a.Status.Version == 3 })
	cm.Data["coder"] = "Edited in the ConfigMap."
	if err := k8s.Update(ctx, cm); err != nil {
		t.Fatal(err)
	}
	agent = waitAgent(t, key, "version 4 after the ConfigMap edit", func(a *v1alpha1.Agent) bool { return a.Status.Version == 4 })
	remote, err = sdk().Beta.Agents.Get(ctx, agent.Status.ID, anthropic.BetaAgentGetParams{})
	if err != nil || remote.System != "Edited in the ConfigMap." {
		t.Errorf("remote system = %q, %v; want the ConfigMap's text", remote.System, err)
	}
	if got := len(agent.Status.VersionHistory); got != 4 || agent.Status.VersionHistory[0].Version != 4 {
		t.Errorf("version history = %+v, want 4 entries newest first", agent.Status.VersionHistory)
	}
}

// TestAgentMissingConfigMapWaitsAndRecovers proves a systemFrom reference to a missing ConfigMap
// shows a clear condition, and that creating the ConfigMap is enough to proceed.
func TestAgentMissingConfigMapWaitsAndRecovers(t *testing.T) {
	ctx := testContext(t, time.Minute)
	ns := newNamespace(t)
	agent := newAgent(ns, "late")
	agent.Spec.System, agent.Spec.SystemFrom = "", &v1alpha1.ConfigMapKeyReference{Name: "later", Key: "system"}
	create(t, agent)
	key := client.ObjectKeyFromObject(agent)
	waitAgent(t, key, "ConfigMapNotFound", func(a *v1alpha1.Agent) bool {
		return hasReason(a.Status.Conditions, controller.ReasonConfigMapNotFound)
	})
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "later"}, Data: map[string]string{"system": "hi"}}
	if err := k8s.Create(ctx, cm); err != nil {
		t.Fatal(err)
	}
	waitAgent(t, key, "Ready", func(a *v1alpha1.Agent) bool { return isReady(a.Status.Conditions) })
}

// TestAgentDriftIsRestored proves an out-of-band change made through the SDK is detected by the
// periodic resync and undone, with a DriftCorrected Event.
func TestAgentDriftIsRestored(t *testing.T) {
	ctx := testContext(t, time.Minute)
	ns := newNamespace(t)
	agent := newAgent(ns, "drifty")
	agent.Annotations = map[string]string{v1alpha1.AnnotationResyncPeriod: "1s"}
	create(t, agent)
	key := client.ObjectKeyFromObject(agent)
	agent = waitAgent(t, key, "Ready", func(a *v1alpha1.Agent) bool { return isReady(a.Status.Conditions) })

	_, err := sdk().Beta.Agents.Update(ctx, agent.Status.ID, anthropic.BetaAgentUpdateParams{
		Version: anthropic.Int(agent.Status.Version), System: anthropic.String("Changed by hand."),
	})
	if err != nil {
		t.Fatal(err)
	}
	waitAgent(t, key, "drift corrected at version 3", func(a *v1alpha1.Agent) bool { return a.Status.Version == 3 })
	remote, err := sdk().Beta.Agents.Get(ctx, agent.Status.ID, anthropic.BetaAgentGetParams{})
	if err != nil || remote.System != "You are helpful." {
		t.Errorf("remote system = %q, %v; want the spec's", remote.System, err)
	}
	waitEvent(t, agent, controller.ReasonDriftCorrected)
}

// TestAgentAdoptsExternalID proves spec.externalID takes over an existing remote agent instead of
// creating one, and brings it in line with the spec.
func TestAgentAdoptsExternalID(t *testing.T) {
	ctx := testContext(t, time.Minute)
	existing, err := sdk().Beta.Agents.New(ctx, anthropic.BetaAgentNewParams{
		Name: "made-elsewhere", Model: anthropic.BetaManagedAgentsModelConfigParams{ID: "claude-opus-4-8"},
	})
	if err != nil {
		t.Fatal(err)
	}
	ns := newNamespace(t)
	agent := newAgent(ns, "adopter")
	agent.Spec.ExternalID = existing.ID
	create(t, agent)
	agent = waitAgent(t, client.ObjectKeyFromObject(agent), "Ready", func(a *v1alpha1.Agent) bool { return isReady(a.Status.Conditions) })
	if agent.Status.ID != existing.ID || agent.Status.Version != 2 {
		t.Errorf("status id=%s version=%d, want %s at version 2 (adopted, then updated)", agent.Status.ID, agent.Status.Version, existing.ID)
	}
	if n := len(remoteAgentsWithUID(t, string(agent.UID))); n != 1 {
		t.Errorf("%d remote agents carry the UID, want 1 (the adopted one)", n)
	}
}

// TestAgentCreateWithLostResponseLeavesOneRemote proves crash-safety: the API commits the create but
// the response never arrives; the retry finds the agent by UID instead of creating a second one.
func TestAgentCreateWithLostResponseLeavesOneRemote(t *testing.T) {
	sim.LoseNextResponse("POST /v1/agents")
	ns := newNamespace(t)
	agent := newAgent(ns, "lost")
	create(t, agent)
	agent = waitAgent(t, client.ObjectKeyFromObject(agent), "Ready", func(a *v1alpha1.Agent) bool { return isReady(a.Status.Conditions) })
	if n := len(remoteAgentsWithUID(t, string(agent.UID))); n != 1 {
		t.Fatalf("%d remote agents carry the UID, want exactly 1", n)
	}
}

// TestAgentDeletionPolicies proves Archive archives the remote agent and Retain leaves it alone.
func TestAgentDeletionPolicies(t *testing.T) {
	for _, policy := range []v1alpha1.AgentDeletionPolicy{v1alpha1.AgentDeletionArchive, v1alpha1.AgentDeletionRetain} {
		t.Run(string(policy), func(t *testing.T) {
			ctx := testContext(t, time.Minute)
			agent := newAgent(newNamespace(t), "doomed")
			agent.Spec.DeletionPolicy = policy
			create(t, agent)
			key := client.ObjectKeyFromObject(agent)
			agent = waitAgent(t, key, "Ready", func(a *v1alpha1.Agent) bool { return isReady(a.Status.Conditions) })
			if err := k8s.Delete(ctx, agent); err != nil {
				t.Fatal(err)
			}
			eventually(t, "the Agent to be gone", func() (bool, string) {
				err := k8s.Get(ctx, key, &v1alpha1.Agent{})
				return client.IgnoreNotFound(err) == nil && err != nil, "still present"
			})
			remote, err := sdk().Beta.Agents.Get(ctx, agent.Status.ID, anthropic.BetaAgentGetParams{})
			if err != nil {
				t.Fatal(err)
			}
			if archived := !remote.ArchivedAt.IsZero(); archived != (policy == v1alpha1.AgentDeletionArchive) {
				t.Errorf("remote archived = %v with policy %s", archived, policy)
			}
		})
	}
}

// TestAgentCredentials proves a missing key Secret gives CredentialsNotFound, a wrong key gives
// Unauthorized with the API's message, and fixing the Secret (a rotation) recovers without a restart.
func TestAgentCredentials(t *testing.T) {
	ctx := testContext(t, time.Minute)
	ns := newNamespace(t)
	agent := newAgent(ns, "keyed")
	agent.Spec.APIKeySecretRef = &v1alpha1.SecretKeyReference{Name: "team-key"}
	create(t, agent)
	key := client.ObjectKeyFromObject(agent)
	waitAgent(t, key, "CredentialsNotFound", func(a *v1alpha1.Agent) bool {
		return hasReason(a.Status.Conditions, controller.ReasonCredentialsNotFound)
	})
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "team-key"}, Data: map[string][]byte{"api-key": []byte("sk-wrong-key")}}
	if err := k8s.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}
	agent = waitAgent(t, key, "Unauthorized", func(a *v1alpha1.Agent) bool { return hasReason(a.Status.Conditions, controller.ReasonUnauthorized) })
	if msg := readyCondition(agent.Status.Conditions); containsAny(msg, "sk-wrong-key", simulatorKey) {
		t.Errorf("condition leaks a key: %s", msg)
	}
	secret.Data["api-key"] = []byte(simulatorKey)
	if err := k8s.Update(ctx, secret); err != nil {
		t.Fatal(err)
	}
	waitAgent(t, key, "Ready after the rotation", func(a *v1alpha1.Agent) bool { return isReady(a.Status.Conditions) })
}

// TestAgentInvalidSpecDoesNotHotLoop proves a spec the API rejects (400) shows the API's message and
// is not retried until the spec changes: a bounded number of calls over 30 seconds.
func TestAgentInvalidSpecDoesNotHotLoop(t *testing.T) {
	ctx := testContext(t, time.Minute)
	ns := newNamespace(t)
	agent := newAgent(ns, "bad-model")
	agent.Spec.Model.ID = "gpt-4"
	sim.ResetStats()
	create(t, agent)
	key := client.ObjectKeyFromObject(agent)
	agent = waitAgent(t, key, "InvalidSpec", func(a *v1alpha1.Agent) bool { return hasReason(a.Status.Conditions, controller.ReasonInvalidSpec) })
	if msg := readyCondition(agent.Status.Conditions); !containsAny(msg, "unknown model") {
		t.Errorf("condition does not carry the API's message: %s", msg)
	}
	time.Sleep(30 * time.Second)
	if creates := sim.Stats()["POST /v1/agents"]; creates > 2 {
		t.Errorf("%d create attempts in 30s for a rejected spec, want at most 2", creates)
	}
	agent = waitAgent(t, key, "latest", func(*v1alpha1.Agent) bool { return true })
	agent.Spec.Model.ID = "claude-opus-4-8"
	if err := k8s.Update(ctx, agent); err != nil {
		t.Fatal(err)
	}
	waitAgent(t, key, "Ready after the fix", func(a *v1alpha1.Agent) bool { return isReady(a.Status.Conditions) })
}

// TestAgentRateLimitStorm proves a burst of 429s is ridden out: the agent converges, and nothing is
// sent while the API's retry-after is in force.
func TestAgentRateLimitStorm(t *testing.T) {
	sim.ResetStats()
	sim.RateLimitNext(3, 2*time.Second)
	start := time.Now()
	agent := newAgent(newNamespace(t), "throttled")
	create(t, agent)
	waitAgent(t, client.ObjectKeyFromObject(agent), "Ready", func(a *v1alpha1.Agent) bool { return isReady(a.Status.Conditions) })
	// Three 429s with retry-after 2s, each honored before the next call: at least 6s.
	if elapsed := time.Since(start); elapsed < 6*time.Second {
		t.Errorf("converged in %v; three 2s retry-afters were not all honored", elapsed)
	}
	total := int64(0)
	for _, n := range sim.Stats() {
		total += n
	}
	if total > 12 {
		t.Errorf("%d API calls during a 3x429 storm, want a handful", total)
	}
}

// TestAgentPause proves the paused annotation stops remote writes and says so in its own Paused
// condition, while Ready keeps saying that the remote agent matches the last spec it was synced to.
func TestAgentPause(t *testing.T) {
	ctx := testContext(t, time.Minute)
	agent := newAgent(newNamespace(t), "paused")
	create(t, agent)
	key := client.ObjectKeyFromObject(agent)
	agent = waitAgent(t, key, "Ready", func(a *v1alpha1.Agent) bool { return isReady(a.Status.Conditions) })
	agent.Annotations = map[string]string{v1alpha1.AnnotationPaused: "true"}
	agent.Spec.System = "Do not send me."
	if err := k8s.Update(ctx, agent); err != nil {
		t.Fatal(err)
	}
	agent = waitAgent(t, key, "Paused", func(a *v1alpha1.Agent) bool {
		return conditionIs(a.Status.Conditions, v1alpha1.ConditionPaused, metav1.ConditionTrue, controller.ReasonPaused)
	})
	if !conditionIs(agent.Status.Conditions, v1alpha1.ConditionReady, metav1.ConditionTrue, controller.ReasonUpToDate) {
		t.Errorf("pausing changed Ready: %s", readyCondition(agent.Status.Conditions))
	}
	remote, err := sdk().Beta.Agents.Get(ctx, agent.Status.ID, anthropic.BetaAgentGetParams{})
	if err != nil || remote.Version != 1 {
		t.Errorf("remote changed while paused: version %d, %v", remote.Version, err)
	}
	delete(agent.Annotations, v1alpha1.AnnotationPaused)
	if err := k8s.Update(ctx, agent); err != nil {
		t.Fatal(err)
	}
	waitAgent(t, key, "version 2 after unpausing", func(a *v1alpha1.Agent) bool {
		return a.Status.Version == 2 && isReady(a.Status.Conditions) &&
			conditionIs(a.Status.Conditions, v1alpha1.ConditionPaused, metav1.ConditionFalse, controller.ReasonNotPaused)
	})
}

// TestAgentTransientFailureWarnsOnce proves that an API outage retried several times gives one
// Warning Event, not one per retry (each failed attempt's message names another request id), and
// that Synced says what failed.
func TestAgentTransientFailureWarnsOnce(t *testing.T) {
	id, err := sim.AddFault(simulator.Fault{Kind: simulator.FaultError, Status: 500, Endpoint: "POST /v1/agents", Count: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.RemoveFault(id) })
	agent := newAgent(newNamespace(t), "outage")
	create(t, agent)
	agent = waitAgent(t, client.ObjectKeyFromObject(agent), "Ready after the outage", func(a *v1alpha1.Agent) bool { return isReady(a.Status.Conditions) })
	warnings := 0
	for _, e := range objectEvents(t, agent) {
		if e.Type == corev1.EventTypeWarning && e.Reason == string(controller.ReasonAPIUnavailable) {
			warnings++
		}
	}
	if warnings != 1 {
		t.Errorf("%d Warning Events for one outage of 4 failed attempts, want 1", warnings)
	}
}

// TestAgentAndEnvironmentFirstCreateSkipsUIDSearch proves the "never created" shortcut: the
// reconcile that stores the finalizer knows no remote object exists, so the first create lists
// nothing (the search by UID lists every agent of the organization).
func TestAgentAndEnvironmentFirstCreateSkipsUIDSearch(t *testing.T) {
	ns := newNamespace(t)
	sim.ResetStats()
	agent := newAgent(ns, "first")
	create(t, agent)
	env := newEnvironment(ns, "first")
	create(t, env)
	waitAgent(t, client.ObjectKeyFromObject(agent), "Ready", func(a *v1alpha1.Agent) bool { return isReady(a.Status.Conditions) })
	waitEnvironment(t, client.ObjectKeyFromObject(env), "Ready", func(e *v1alpha1.Environment) bool { return isReady(e.Status.Conditions) })
	stats := sim.Stats()
	if lists := stats["GET /v1/agents"] + stats["GET /v1/environments"]; lists != 0 {
		t.Errorf("%d list calls for objects that were never created: %v", lists, stats)
	}
}

// TestAgentSteadyStateCostsNoWrites proves that once in sync, resyncs make one GET each and no
// remote or status writes.
func TestAgentSteadyStateCostsNoWrites(t *testing.T) {
	ctx := testContext(t, time.Minute)
	agent := newAgent(newNamespace(t), "steady")
	agent.Annotations = map[string]string{v1alpha1.AnnotationResyncPeriod: "1s"}
	create(t, agent)
	key := client.ObjectKeyFromObject(agent)
	waitAgent(t, key, "Ready", func(a *v1alpha1.Agent) bool { return isReady(a.Status.Conditions) })
	time.Sleep(time.Second) // let the first resync settle
	agent = waitAgent(t, key, "latest", func(*v1alpha1.Agent) bool { return true })
	sim.ResetStats()
	resourceVersion := agent.ResourceVersion
	time.Sleep(5 * time.Second)
	stats := sim.Stats()
	if w := writes(stats); w != 0 {
		t.Errorf("%d remote writes in steady state: %v", w, stats)
	}
	if gets := stats["GET /v1/agents/{id}"]; gets < 2 || gets > 6 {
		t.Errorf("%d GETs in 5s with a 1s resync, want about one per resync: %v", gets, stats)
	}
	if err := k8s.Get(ctx, key, agent); err != nil {
		t.Fatal(err)
	}
	if agent.ResourceVersion != resourceVersion {
		t.Errorf("the Agent was written in steady state (resourceVersion %s -> %s)", resourceVersion, agent.ResourceVersion)
	}
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if sub != "" && strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// TestAgentArchivedOutOfBand proves an agent archived behind the operator's back (it is read-only
// from then on) gets a clear RemoteArchived condition at the next resync instead of failed updates.
func TestAgentArchivedOutOfBand(t *testing.T) {
	ctx := testContext(t, time.Minute)
	agent := newAgent(newNamespace(t), "archived")
	agent.Annotations = map[string]string{v1alpha1.AnnotationResyncPeriod: "1s"}
	create(t, agent)
	key := client.ObjectKeyFromObject(agent)
	agent = waitAgent(t, key, "Ready", func(a *v1alpha1.Agent) bool { return isReady(a.Status.Conditions) })
	if _, err := sdk().Beta.Agents.Archive(ctx, agent.Status.ID, anthropic.BetaAgentArchiveParams{}); err != nil {
		t.Fatal(err)
	}
	agent = waitAgent(t, key, "RemoteArchived", func(a *v1alpha1.Agent) bool { return hasReason(a.Status.Conditions, controller.ReasonRemoteArchived) })
	if msg := readyCondition(agent.Status.Conditions); !strings.Contains(msg, agent.Status.ID) {
		t.Errorf("condition does not name the remote agent: %s", msg)
	}
}
