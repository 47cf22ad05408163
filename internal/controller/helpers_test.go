// SPDX-License-Identifier: Apache-2.0

package controller_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

var nsSeq atomic.Int64

// newNamespace gives each test its own namespace, so tests never see each other's objects.
func newNamespace(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("t%d-%s", nsSeq.Add(1), strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())))
	if len(name) > 50 {
		name = name[:50]
	}
	name = strings.TrimRight(name, "-")
	if err := k8s.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
		t.Fatal(err)
	}
	return name
}

func testContext(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// eventually polls cond every 100ms until it holds or the limit passes.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(eventuallyLimit)
	last := ""
	for time.Now().Before(deadline) {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s; last state: %s", what, last)
}

// sdk is an API client that plays the part of someone changing remote objects out of band.
func sdk() *anthropic.Client {
	c := anthropic.NewClient(option.WithoutEnvironmentDefaults(), option.WithBaseURL(simURL),
		option.WithAPIKey(simulatorKey), option.WithMaxRetries(0))
	return &c
}

// readyCondition returns the object's Ready condition as "Status/Reason: message".
func readyCondition(conds []metav1.Condition) string {
	c := meta.FindStatusCondition(conds, v1alpha1.ConditionReady)
	if c == nil {
		return "no Ready condition"
	}
	return fmt.Sprintf("%s/%s: %s", c.Status, c.Reason, c.Message)
}

// waitAgent polls an Agent until check passes.
func waitAgent(t *testing.T, key client.ObjectKey, what string, check func(*v1alpha1.Agent) bool) *v1alpha1.Agent {
	t.Helper()
	agent := &v1alpha1.Agent{}
	eventually(t, what, func() (bool, string) {
		if err := k8s.Get(context.Background(), key, agent); err != nil {
			return false, err.Error()
		}
		return check(agent), fmt.Sprintf("id=%s version=%d %s", agent.Status.ID, agent.Status.Version, readyCondition(agent.Status.Conditions))
	})
	return agent
}

// waitEnvironment polls an Environment until check passes.
func waitEnvironment(t *testing.T, key client.ObjectKey, what string, check func(*v1alpha1.Environment) bool) *v1alpha1.Environment {
	t.Helper()
	env := &v1alpha1.Environment{}
	eventually(t, what, func() (bool, string) {
		if err := k8s.Get(context.Background(), key, env); err != nil {
			return false, err.Error()
		}
		return check(env), fmt.Sprintf("id=%s %s", env.Status.ID, readyCondition(env.Status.Conditions))
	})
	return env
}

func hasReason[R ~string](conds []metav1.Condition, reason R) bool {
	c := meta.FindStatusCondition(conds, v1alpha1.ConditionReady)
	return c != nil && c.Reason == string(reason)
}

// conditionIs reports whether a condition has this status and reason.
func conditionIs[R ~string](conds []metav1.Condition, condType string, status metav1.ConditionStatus, reason R) bool {
	c := meta.FindStatusCondition(conds, condType)
	return c != nil && c.Status == status && c.Reason == string(reason)
}

func isReady(conds []metav1.Condition) bool {
	return meta.IsStatusConditionTrue(conds, v1alpha1.ConditionReady)
}

// eventReasons lists the reasons of the Kubernetes Events about an object.
func eventReasons(t *testing.T, obj client.Object) []string {
	t.Helper()
	var reasons []string
	for _, e := range objectEvents(t, obj) {
		reasons = append(reasons, e.Reason)
	}
	return reasons
}

// objectEvents lists the Kubernetes Events about an object (of any kind).
func objectEvents(t *testing.T, obj client.Object) []corev1.Event {
	t.Helper()
	var list corev1.EventList
	if err := k8s.List(context.Background(), &list, client.InNamespace(obj.GetNamespace())); err != nil {
		t.Fatal(err)
	}
	var about []corev1.Event
	for _, e := range list.Items {
		if e.InvolvedObject.UID == obj.GetUID() {
			about = append(about, e)
		}
	}
	return about
}

// waitEvent waits for an Event with this reason about obj.
func waitEvent[R ~string](t *testing.T, obj client.Object, reason R) {
	t.Helper()
	eventually(t, "event "+string(reason), func() (bool, string) {
		reasons := eventReasons(t, obj)
		for _, r := range reasons {
			if r == string(reason) {
				return true, ""
			}
		}
		return false, fmt.Sprint(reasons)
	})
}

// newAgent returns a minimal Agent.
func newAgent(ns, name string) *v1alpha1.Agent {
	return &v1alpha1.Agent{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.AgentSpec{
			Model:  v1alpha1.ModelConfig{ID: "claude-opus-4-8"},
			System: "You are helpful.",
		},
	}
}

// remoteAgentsWithUID counts remote agents, archived or not, that carry this object's UID.
func remoteAgentsWithUID(t *testing.T, uid string) []anthropic.BetaManagedAgentsAgent {
	t.Helper()
	pager := sdk().Beta.Agents.ListAutoPaging(context.Background(), anthropic.BetaAgentListParams{IncludeArchived: anthropic.Bool(true)})
	var found []anthropic.BetaManagedAgentsAgent
	for pager.Next() {
		if a := pager.Current(); a.Metadata[v1alpha1.MetadataKeyUID] == uid {
			found = append(found, a)
		}
	}
	if err := pager.Err(); err != nil {
		t.Fatal(err)
	}
	return found
}

// writes sums the simulator's counters for non-GET requests.
func writes(stats map[string]int64) int64 {
	var n int64
	for k, v := range stats {
		if !strings.HasPrefix(k, "GET ") {
			n += v
		}
	}
	return n
}

// create makes an object and deletes it when the test ends, so periodic work (resyncs) of one test
// never shows up in another test's counters.
func create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := k8s.Create(context.Background(), obj); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), obj) })
}
