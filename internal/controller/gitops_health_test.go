// SPDX-License-Identifier: Apache-2.0

package controller_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	kstatus "sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/test/gitops"
)

// health is what kstatus (Flux) and our Argo CD check say about one object, as read from the API
// server.
type health struct {
	kstatus       kstatus.Status
	kstatusMsg    string
	argo          gitops.Health
	stalledReason string
	stalledMsg    string
	generation    int64
	observed      int64
}

func (h health) String() string {
	return fmt.Sprintf("kstatus %s %q, Argo CD %s %q, generation %d observed %d", h.kstatus, h.kstatusMsg, h.argo.Status, h.argo.Message, h.generation, h.observed)
}

// healthOf computes both from an object as the tools see it: its JSON from the API server.
func healthOf(t *testing.T, u *unstructured.Unstructured) health {
	t.Helper()
	res, err := kstatus.Compute(u)
	if err != nil {
		t.Fatal(err)
	}
	script, err := gitops.ScriptFor(u.GetKind())
	if err != nil {
		t.Fatal(err)
	}
	argo, err := gitops.ArgoHealth(script, u)
	if err != nil {
		t.Fatalf("the Argo CD check of %s failed: %v", u.GetKind(), err)
	}
	h := health{kstatus: res.Status, kstatusMsg: res.Message, argo: argo, generation: u.GetGeneration()}
	h.observed, _, _ = unstructured.NestedInt64(u.Object, "status", "observedGeneration")
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		if m, _ := c.(map[string]any); m["type"] == v1alpha1.ConditionStalled && m["status"] == "True" {
			h.stalledReason, h.stalledMsg = fmt.Sprint(m["reason"]), fmt.Sprint(m["message"])
		}
	}
	return h
}

// readHealth reads an object's health from the API server.
func readHealth(t *testing.T, obj client.Object) health {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(v1alpha1.GroupVersion.WithKind(kindOf(t, obj)))
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), u); err != nil {
		t.Fatal(err)
	}
	return healthOf(t, u)
}

func kindOf(t *testing.T, obj client.Object) string {
	t.Helper()
	gvks, _, err := k8s.Scheme().ObjectKinds(obj)
	if err != nil || len(gvks) == 0 {
		t.Fatalf("kind of %T: %v", obj, err)
	}
	return gvks[0].Kind
}

// expect is one step's verdict: kstatus's status, Argo CD's, and a text that Argo CD's message holds
// and, unless the object is Current (which kstatus words itself), kstatus's.
type expect struct {
	kstatus kstatus.Status
	argo    string
	message string
}

// waitHealth polls an object until kstatus gives the expected status, then holds both tools to the
// whole verdict on that same object. A Failed object must carry the Stalled condition's message.
func waitHealth(t *testing.T, obj client.Object, step string, want expect) health {
	t.Helper()
	var h health
	eventually(t, step+": kstatus "+string(want.kstatus), func() (bool, string) {
		h = readHealth(t, obj)
		return h.kstatus == want.kstatus && strings.Contains(h.argo.Message, want.message), h.String()
	})
	checkHealth(t, step, h, want)
	return h
}

func checkHealth(t *testing.T, step string, h health, want expect) {
	t.Helper()
	// kstatus words Current itself ("Resource is Ready"); InProgress and Failed carry our message.
	if h.kstatus != want.kstatus || (want.kstatus != kstatus.CurrentStatus && !strings.Contains(h.kstatusMsg, want.message)) {
		t.Errorf("%s: %s; want kstatus %s with %q", step, h, want.kstatus, want.message)
	}
	if h.argo.Status != want.argo || !strings.Contains(h.argo.Message, want.message) {
		t.Errorf("%s: %s; want Argo CD %s with %q", step, h, want.argo, want.message)
	}
	if want.kstatus == kstatus.FailedStatus && (h.stalledMsg == "" || h.kstatusMsg != h.stalledMsg) {
		t.Errorf("%s: kstatus says %q, want the Stalled condition's message %q", step, h.kstatusMsg, h.stalledMsg)
	}
}

// managedKind is one kind of the lifecycle driver, as the life test drives it.
type managedKind struct {
	kind string
	// build returns a valid object of the kind; prepare makes what it needs besides its key Secret.
	build   func(ns string) client.Object
	prepare func(t *testing.T, ns string)
	// set points the object at a key Secret and sets its deletion policy, the spec change every kind
	// allows: "" (the kind's default) or Retain.
	set func(obj client.Object, keySecret string, policy string)
}

func managedKinds() []managedKind {
	return []managedKind{
		{kind: "Agent", build: func(ns string) client.Object { return newAgent(ns, "health") },
			set: func(o client.Object, key, policy string) {
				a := o.(*v1alpha1.Agent)
				a.Spec.APIKeySecretRef, a.Spec.DeletionPolicy = &v1alpha1.SecretKeyReference{Name: key}, v1alpha1.AgentDeletionPolicy(policy)
			}},
		{kind: "Environment", build: func(ns string) client.Object { return newEnvironment(ns, "health") },
			set: func(o client.Object, key, policy string) {
				e := o.(*v1alpha1.Environment)
				e.Spec.APIKeySecretRef, e.Spec.DeletionPolicy = &v1alpha1.SecretKeyReference{Name: key}, v1alpha1.EnvironmentDeletionPolicy(policy)
			}},
		{kind: "Vault", build: func(ns string) client.Object { return newVault(ns, "health") },
			set: func(o client.Object, key, policy string) {
				v := o.(*v1alpha1.Vault)
				v.Spec.APIKeySecretRef, v.Spec.DeletionPolicy = &v1alpha1.SecretKeyReference{Name: key}, v1alpha1.VaultDeletionPolicy(policy)
			}},
		{kind: "Skill", build: func(ns string) client.Object { return newSkill(ns, "health", "health-files") },
			prepare: func(t *testing.T, ns string) {
				configMap(t, ns, "health-files", map[string]string{"SKILL.md": skillMD("Report health."), "format.py": "print(1)\n"})
			},
			set: func(o client.Object, key, policy string) {
				s := o.(*v1alpha1.Skill)
				s.Spec.APIKeySecretRef, s.Spec.DeletionPolicy = &v1alpha1.SecretKeyReference{Name: key}, v1alpha1.SkillDeletionPolicy(policy)
			}},
		{kind: "MemoryStore", build: func(ns string) client.Object {
			return &v1alpha1.MemoryStore{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "health"}, Spec: v1alpha1.MemoryStoreSpec{Description: "health"}}
		},
			set: func(o client.Object, key, policy string) {
				m := o.(*v1alpha1.MemoryStore)
				m.Spec.APIKeySecretRef, m.Spec.DeletionPolicy = &v1alpha1.SecretKeyReference{Name: key}, v1alpha1.MemoryStoreDeletionPolicy(policy)
			}},
		{kind: "AgentDeployment", build: func(ns string) client.Object { return newHealthDeployment(ns, false) },
			prepare: func(t *testing.T, ns string) { newSessionFixtureIn(t, ns) },
			set: func(o client.Object, key, policy string) {
				d := o.(*v1alpha1.AgentDeployment)
				d.Spec.APIKeySecretRef, d.Spec.DeletionPolicy = &v1alpha1.SecretKeyReference{Name: key}, v1alpha1.AgentDeploymentDeletionPolicy(policy)
			}},
	}
}

// newHealthDeployment is an AgentDeployment of the session fixture's Agent and Environment.
func newHealthDeployment(ns string, suspend bool) *v1alpha1.AgentDeployment {
	return &v1alpha1.AgentDeployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "health"}, Spec: v1alpha1.AgentDeploymentSpec{
		AgentRef: &v1alpha1.AgentReference{Name: "coder"}, EnvironmentRef: &v1alpha1.LocalObjectReference{Name: "env"},
		Prompt: "report health", Suspend: suspend}}
}

// TestGitOpsHealthOfSuspendedDeployment: an AgentDeployment whose schedule spec.suspend holds is in
// line with its spec (kstatus Current) and Suspended in Argo CD, with the Scheduled condition's words.
func TestGitOpsHealthOfSuspendedDeployment(t *testing.T) {
	ns := newNamespace(t)
	newSessionFixtureIn(t, ns)
	d := newHealthDeployment(ns, true)
	d.Spec.Schedule = &v1alpha1.DeploymentSchedule{Cron: "0 3 * * *"}
	create(t, d)
	waitHealth(t, d, "suspended", expect{kstatus.CurrentStatus, gitops.Suspended, "spec.suspend is true"})
}

// TestGitOpsHealthOfManagedKinds drives each kind that owns one remote object through its life on
// the API server and asserts, at every step, what kstatus (Flux) and the Argo CD check of
// docs/argocd compute from the very same object. Before the Reconciling and Stalled conditions,
// kstatus called such an object Current before the operator had seen it and never Failed.
func TestGitOpsHealthOfManagedKinds(t *testing.T) {
	for _, k := range managedKinds() {
		t.Run(k.kind, func(t *testing.T) {
			ctx := testContext(t, 2*time.Minute)
			ns := newNamespace(t)
			if k.prepare != nil {
				k.prepare(t, ns)
			}
			obj := k.build(ns)
			k.set(obj, "gitops-key", "") // the kind's default deletion policy
			create(t, obj)
			// The object as the create returned it, before any controller saw it: the schema default
			// (observedGeneration -1) keeps it from reading as Current.
			h := healthOfTyped(t, obj)
			checkHealth(t, "just created", h, expect{kstatus.InProgressStatus, gitops.Progressing, "latest observed generation is -1"})

			waitHealth(t, obj, "key Secret missing", expect{kstatus.InProgressStatus, gitops.Progressing, "gitops-key"})

			secret(t, ns, "gitops-key", map[string]string{"api-key": "sk-wrong-key"})
			h = waitHealth(t, obj, "wrong key", expect{kstatus.FailedStatus, gitops.Degraded, "invalid x-api-key"})
			if h.stalledReason != "Unauthorized" {
				t.Errorf("wrong key: Stalled reason %q, want Unauthorized", h.stalledReason)
			}

			setSecret(t, ns, "gitops-key", map[string]string{"api-key": simulatorKey})
			waitHealth(t, obj, "right key", expect{kstatus.CurrentStatus, gitops.Healthy, "matches the spec"})

			// A spec change: the answer of the update itself is what a GitOps tool reads first.
			if err := k8s.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
				t.Fatal(err)
			}
			k.set(obj, "gitops-key", "Retain")
			if err := k8s.Update(ctx, obj); err != nil {
				t.Fatal(err)
			}
			checkHealth(t, "spec changed", healthOfTyped(t, obj), expect{kstatus.InProgressStatus, gitops.Progressing, "generation is 2, but latest observed generation is 1"})
			h = waitHealth(t, obj, "change applied", expect{kstatus.CurrentStatus, gitops.Healthy, "matches the spec"})
			if h.observed != 2 {
				t.Errorf("change applied: observedGeneration %d, want 2", h.observed)
			}

			// Paused, and changed while paused: held as the annotation asks, which Flux takes as Current.
			pauseAndChange(t, obj, func() { k.set(obj, "gitops-key", "") })
			h = waitHealth(t, obj, "paused", expect{kstatus.CurrentStatus, gitops.Suspended, v1alpha1.AnnotationPaused})
			if h.observed != h.generation {
				t.Errorf("paused: %s; a paused object observes its generation", h)
			}
			unpause(ctx, t, obj)
			waitHealth(t, obj, "unpaused", expect{kstatus.CurrentStatus, gitops.Healthy, "matches the spec"})
		})
	}
}

// TestGitOpsHealthOfRejectedSpec: a spec the API rejects (400) is Failed with the API's message,
// and fixing the spec makes the object Current again.
func TestGitOpsHealthOfRejectedSpec(t *testing.T) {
	ctx := testContext(t, time.Minute)
	ns := newNamespace(t)
	agent := newAgent(ns, "rejected")
	agent.Spec.Model.ID = "gpt-4"
	create(t, agent)
	h := waitHealth(t, agent, "rejected spec", expect{kstatus.FailedStatus, gitops.Degraded, "unknown model"})
	if h.stalledReason != "InvalidSpec" {
		t.Errorf("Stalled reason %q, want InvalidSpec", h.stalledReason)
	}
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(agent), agent); err != nil {
		t.Fatal(err)
	}
	agent.Spec.Model.ID = "claude-opus-4-8"
	if err := k8s.Update(ctx, agent); err != nil {
		t.Fatal(err)
	}
	waitHealth(t, agent, "spec fixed", expect{kstatus.CurrentStatus, gitops.Healthy, "matches the spec"})
}

// TestGitOpsHealthOfSessions: a Session waiting for its Agent is InProgress, a running one is
// Current (it does what it was asked), and so is one that Succeeded; one that Failed is Failed with
// how it ended; one whose tool calls wait for an answer is Current, and Suspended in Argo CD.
func TestGitOpsHealthOfSessions(t *testing.T) {
	ns := newNamespace(t)
	f := &sessionFixture{ns: ns}
	waiting := f.newSession("waits", "[[slow:15s]] hello")
	create(t, waiting)
	checkHealth(t, "just created", healthOfTyped(t, waiting), expect{kstatus.InProgressStatus, gitops.Progressing, "latest observed generation is -1"})
	waitHealth(t, waiting, "waiting for its Agent", expect{kstatus.InProgressStatus, gitops.Progressing, "Agent " + ns + "/coder"})

	ready := newSessionFixtureIn(t, ns)
	waitHealth(t, waiting, "running", expect{kstatus.CurrentStatus, gitops.Healthy, "Running"})
	waitHealth(t, waiting, "succeeded", expect{kstatus.CurrentStatus, gitops.Healthy, "Succeeded"})

	failing := ready.newSession("fails", "[[error:terminal]]")
	create(t, failing)
	h := waitHealth(t, failing, "failed", expect{kstatus.FailedStatus, gitops.Degraded, "terminated by"})
	if h.stalledReason != string(v1alpha1.SessionFailed) {
		t.Errorf("Stalled reason %q, want Failed", h.stalledReason)
	}

	asking := ready.newSession("asks", `file it [[custom:open_ticket:{"title":"CI red"}]]`)
	create(t, asking)
	waitHealth(t, asking, "requires action", expect{kstatus.CurrentStatus, gitops.Suspended, "wait for an answer"})
}

// healthOfTyped computes the health of a typed object as the API server returned it (an update's
// answer), before any controller could act on it.
func healthOfTyped(t *testing.T, obj client.Object) health {
	t.Helper()
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{Object: content}
	u.SetGroupVersionKind(v1alpha1.GroupVersion.WithKind(kindOf(t, obj)))
	return healthOf(t, u)
}

// pauseAndChange sets the paused annotation and changes the spec in one update.
func pauseAndChange(t *testing.T, obj client.Object, change func()) {
	t.Helper()
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
		t.Fatal(err)
	}
	annotations := obj.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[v1alpha1.AnnotationPaused] = "true"
	obj.SetAnnotations(annotations)
	change()
	if err := k8s.Update(context.Background(), obj); err != nil {
		t.Fatal(err)
	}
}

// TestGitOpsHealthOfPausedAtCreation: an object created paused was never synced, so nothing exists
// remotely: kstatus keeps it InProgress (Ready is False), and Argo CD shows it Suspended, with the
// annotation named. Removing the annotation makes it Current.
func TestGitOpsHealthOfPausedAtCreation(t *testing.T) {
	ctx := testContext(t, time.Minute)
	ns := newNamespace(t)
	agent := newAgent(ns, "staged")
	agent.Annotations = map[string]string{v1alpha1.AnnotationPaused: "true"}
	create(t, agent)
	h := waitHealth(t, agent, "paused at creation", expect{kstatus.InProgressStatus, gitops.Suspended, v1alpha1.AnnotationPaused})
	if h.observed != h.generation {
		t.Errorf("paused at creation: %s; the operator observed the generation and holds it", h)
	}
	unpause(ctx, t, agent)
	waitHealth(t, agent, "unpaused", expect{kstatus.CurrentStatus, gitops.Healthy, "matches the spec"})
}
