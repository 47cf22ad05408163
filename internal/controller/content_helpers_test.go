// SPDX-License-Identifier: Apache-2.0

package controller_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// waitObject polls an object until check passes; describe says what it looked like last.
func waitObject[O client.Object](t *testing.T, key client.ObjectKey, obj O, what string, check func(O) bool, describe func(O) string) O {
	t.Helper()
	eventually(t, what, func() (bool, string) {
		if err := k8s.Get(context.Background(), key, obj); err != nil {
			return false, err.Error()
		}
		return check(obj), describe(obj)
	})
	return obj
}

func waitVault(t *testing.T, key client.ObjectKey, what string, check func(*v1alpha1.Vault) bool) *v1alpha1.Vault {
	t.Helper()
	return waitObject(t, key, &v1alpha1.Vault{}, what, check, func(v *v1alpha1.Vault) string {
		b, _ := json.Marshal(v.Status)
		return string(b)
	})
}

func waitSkill(t *testing.T, key client.ObjectKey, what string, check func(*v1alpha1.Skill) bool) *v1alpha1.Skill {
	t.Helper()
	return waitObject(t, key, &v1alpha1.Skill{}, what, check, func(s *v1alpha1.Skill) string {
		return fmt.Sprintf("id=%s latest=%s %s", s.Status.ID, s.Status.LatestVersion, readyCondition(s.Status.Conditions))
	})
}

func waitMemoryStore(t *testing.T, key client.ObjectKey, what string, check func(*v1alpha1.MemoryStore) bool) *v1alpha1.MemoryStore {
	t.Helper()
	return waitObject(t, key, &v1alpha1.MemoryStore{}, what, check, func(m *v1alpha1.MemoryStore) string {
		return fmt.Sprintf("id=%s memories=%d %s", m.Status.ID, m.Status.Memories, readyCondition(m.Status.Conditions))
	})
}

// secret creates a Secret and deletes it when the test ends.
func secret(t *testing.T, ns, name string, data map[string]string) {
	t.Helper()
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, StringData: data})
}

// setSecret replaces a Secret's data.
func setSecret(t *testing.T, ns, name string, data map[string]string) {
	t.Helper()
	var s corev1.Secret
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &s); err != nil {
		t.Fatal(err)
	}
	s.Data, s.StringData = nil, data
	if err := k8s.Update(context.Background(), &s); err != nil {
		t.Fatal(err)
	}
}

// configMap creates a ConfigMap and deletes it when the test ends.
func configMap(t *testing.T, ns, name string, data map[string]string) {
	t.Helper()
	create(t, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: data})
}

// setConfigMap replaces a ConfigMap's data.
func setConfigMap(t *testing.T, ns, name string, data map[string]string) {
	t.Helper()
	var cm corev1.ConfigMap
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &cm); err != nil {
		t.Fatal(err)
	}
	cm.Data = data
	if err := k8s.Update(context.Background(), &cm); err != nil {
		t.Fatal(err)
	}
}

// assertNoSecretsAnywhere scans an object's status, its Events and the process's metrics for the
// secret values.
func assertNoSecretsAnywhere(t *testing.T, obj client.Object, status any, secrets ...string) {
	t.Helper()
	var seen strings.Builder
	b, _ := json.Marshal(status)
	seen.Write(b)
	for _, e := range objectEvents(t, obj) {
		seen.WriteString(e.Message + "\n")
	}
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				seen.WriteString(l.GetValue() + "\n")
			}
		}
	}
	for _, s := range secrets {
		if strings.Contains(seen.String(), s) {
			t.Fatalf("the secret %q shows in status, Events or metrics", s)
		}
	}
}

// readyReason is the Ready condition's reason, or "".
func readyReason(conds []metav1.Condition) string {
	for _, c := range conds {
		if c.Type == v1alpha1.ConditionReady {
			return c.Reason
		}
	}
	return ""
}
