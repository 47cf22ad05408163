// SPDX-License-Identifier: Apache-2.0

package crd

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/scheme"
	"github.com/anthropics/managed-agents-operator/internal/testenv"
)

// TestSessionConditionsSurviveTheUpgradeToAnAtomicList proves a Helm upgrade from a release whose
// Session conditions were a map list (keyed by type) to today's atomic list: a Session written
// under the old schema, whose managedFields track each condition, takes the manager's status merge
// patches under the new one, and its managedFields then track the list as one field.
func TestSessionConditionsSurviveTheUpgradeToAnAtomicList(t *testing.T) {
	current := readSessionCRD(t)
	old := current.DeepCopy()
	setConditionsListType(t, old, "map", "type")
	dir := t.TempDir()
	writeCRD(t, filepath.Join(dir, "sessions.yaml"), old)

	cluster, err := testenv.StartWith(testenv.Options{CRDDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cluster.Stop() })
	s := scheme.New()
	if err := apiextensionsv1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cluster.Config, client.Options{Scheme: s})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	sess := &v1alpha1.Session{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "upgraded"},
		Spec: v1alpha1.SessionSpec{AgentID: "agent_1", EnvironmentID: "env_1", Prompt: "fix the build"}}
	if err := c.Create(ctx, sess); err != nil {
		t.Fatal(err)
	}
	patchConditions(ctx, t, c, "Launching", 1)
	if mf := statusManagedFields(ctx, t, c); !strings.Contains(mf, `k:{\"type\":\"Ready\"}`) {
		t.Fatalf("under the old schema managedFields should track each condition: %s", mf)
	}

	var installed apiextensionsv1.CustomResourceDefinition
	if err := c.Get(ctx, client.ObjectKey{Name: current.Name}, &installed); err != nil {
		t.Fatal(err)
	}
	installed.Spec = current.Spec
	if err := c.Update(ctx, &installed); err != nil {
		t.Fatalf("the API server refused the upgraded CRD: %v", err)
	}

	// The new schema is served shortly after the update; until then a patch still succeeds.
	for i := 2; ; i++ {
		patchConditions(ctx, t, c, "Running", i)
		mf := statusManagedFields(ctx, t, c)
		if !strings.Contains(mf, `k:{`) && strings.Contains(mf, `"f:conditions":{}`) {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("managedFields still track each condition after the upgrade: %s", mf)
		}
		time.Sleep(200 * time.Millisecond)
	}
	var got v1alpha1.Session
	if err := c.Get(ctx, client.ObjectKeyFromObject(sess), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Status.Conditions) != 2 || got.Status.Conditions[0].Reason != "Running" {
		t.Fatalf("conditions after the upgrade = %+v, want the two the last patch wrote", got.Status.Conditions)
	}
}

// patchConditions writes the whole conditions list and a counter in one status merge patch, as
// the manager does.
func patchConditions(ctx context.Context, t *testing.T, c client.Client, reason string, count int) {
	t.Helper()
	now := metav1.Now()
	status := map[string]any{"eventCount": count, "conditions": []metav1.Condition{
		{Type: v1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: reason, Message: "the agent is working", LastTransitionTime: now},
		{Type: v1alpha1.ConditionStalled, Status: metav1.ConditionFalse, Reason: "NotStalled", Message: "nothing stalls", LastTransitionTime: now},
	}}
	body, err := json.Marshal(map[string]any{"status": status})
	if err != nil {
		t.Fatal(err)
	}
	sess := &v1alpha1.Session{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "upgraded"}}
	if err := c.Status().Patch(ctx, sess, client.RawPatch(types.MergePatchType, body)); err != nil {
		t.Fatalf("status patch (%s): %v", reason, err)
	}
}

// statusManagedFields is the JSON of the managedFields entry of the status writes.
func statusManagedFields(ctx context.Context, t *testing.T, c client.Client) string {
	t.Helper()
	var sess v1alpha1.Session
	if err := c.Get(ctx, client.ObjectKey{Namespace: "default", Name: "upgraded"}, &sess); err != nil {
		t.Fatal(err)
	}
	for _, e := range sess.ManagedFields {
		if e.Subresource == "status" && e.FieldsV1 != nil {
			return e.FieldsV1.GetRawString()
		}
	}
	t.Fatalf("no managedFields entry for the status: %+v", sess.ManagedFields)
	return ""
}

func readSessionCRD(t *testing.T) *apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "crd", "bases", "claude.anthropic.com_sessions.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.Unmarshal(data, &crd); err != nil {
		t.Fatal(err)
	}
	return &crd
}

// setConditionsListType makes status.conditions of the Session CRD a list of listType, keyed by
// keys, after checking that it is an atomic list today.
func setConditionsListType(t *testing.T, crd *apiextensionsv1.CustomResourceDefinition, listType string, keys ...string) {
	t.Helper()
	root := crd.Spec.Versions[0].Schema.OpenAPIV3Schema
	status := root.Properties["status"]
	cond, ok := status.Properties["conditions"]
	if !ok || cond.XListType == nil || *cond.XListType != "atomic" {
		t.Fatalf("status.conditions should be an atomic list today: %v", cond.XListType)
	}
	cond.XListType, cond.XListMapKeys = &listType, keys
	status.Properties["conditions"] = cond
	root.Properties["status"] = status
}

func writeCRD(t *testing.T, path string, crd *apiextensionsv1.CustomResourceDefinition) {
	t.Helper()
	data, err := yaml.Marshal(crd)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
