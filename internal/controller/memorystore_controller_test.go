// SPDX-License-Identifier: Apache-2.0

package controller_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// TestMemoryStoreSeededAndMounted is the MemoryStore test: a store seeded from a ConfigMap,
// the remote copy as the source of truth once agents write to it, and a Session that mounts it.
func TestMemoryStoreSeededAndMounted(t *testing.T) {
	f := newSessionFixture(t)
	ns := f.ns
	configMap(t, ns, "seed", map[string]string{"conventions.md": "Use gofmt.", "contacts.md": "Ask #platform."})
	store := &v1alpha1.MemoryStore{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "team-memory"}, Spec: v1alpha1.MemoryStoreSpec{
		Description: "The team's conventions", Seed: &v1alpha1.MemorySeed{ConfigMapRef: v1alpha1.LocalObjectReference{Name: "seed"}, PathPrefix: "/team/"}}}
	store.Annotations = map[string]string{v1alpha1.AnnotationResyncPeriod: "1s"}
	create(t, store)
	key := client.ObjectKeyFromObject(store)
	m := waitMemoryStore(t, key, "seeded and Ready", func(m *v1alpha1.MemoryStore) bool {
		return isReady(m.Status.Conditions) && m.Status.Memories == 2
	})
	if m.Status.SizeBytes != int64(len("Use gofmt.")+len("Ask #platform.")) || m.Status.SeedHash == "" {
		t.Fatalf("status %+v", m.Status)
	}
	got, err := sim.Memories(m.Status.ID)
	if err != nil || got["/team/conventions.md"] != "Use gofmt." {
		t.Fatalf("remote memories %v (%v)", got, err)
	}

	t.Run("the remote copy is the source of truth after seeding", func(t *testing.T) {
		// An agent rewrites a seeded memory and learns something new.
		if err := sim.WriteMemory(m.Status.ID, "/team/conventions.md", "Use gofmt and golangci-lint."); err != nil {
			t.Fatal(err)
		}
		if err := sim.WriteMemory(m.Status.ID, "/learned.md", "CI needs Go 1.25."); err != nil {
			t.Fatal(err)
		}
		// The seed changes that memory too, and adds one.
		setConfigMap(t, ns, "seed", map[string]string{"conventions.md": "Use tabs.", "contacts.md": "Ask #platform.", "oncall.md": "Page the on-call."})
		waitMemoryStore(t, key, "the new seed memory and the agent's counted", func(m *v1alpha1.MemoryStore) bool {
			return isReady(m.Status.Conditions) && m.Status.Memories == 4
		})
		got, _ := sim.Memories(m.Status.ID)
		if got["/team/conventions.md"] != "Use gofmt and golangci-lint." || got["/team/oncall.md"] != "Page the on-call." {
			t.Fatalf("remote memories %v", got)
		}
	})
	t.Run("a Session mounts it", func(t *testing.T) {
		sess := f.newSession("remember", "hello")
		sess.Spec.Resources = []v1alpha1.SessionResource{{MemoryStore: &v1alpha1.MemoryStoreResource{MemoryStoreID: m.Status.ID, Access: "ReadOnly"}}}
		create(t, sess)
		s := waitSession(t, client.ObjectKeyFromObject(sess), "launched", func(s *v1alpha1.Session) bool { return s.Status.ID != "" })
		res, ok := sim.SessionResources(s.Status.ID)
		if !ok || len(res) != 1 || res[0].Resource["memory_store_id"] != m.Status.ID || res[0].Resource["mount_path"] != "/mnt/memory/team-memory" {
			t.Fatalf("session resources %+v", res)
		}
	})
	t.Run("deletion archives it", func(t *testing.T) {
		if err := k8s.Delete(context.Background(), store); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the remote store archived", func() (bool, string) {
			remote, err := sdk().Beta.MemoryStores.Get(context.Background(), m.Status.ID, anthropic.BetaMemoryStoreGetParams{})
			return err == nil && !remote.ArchivedAt.IsZero(), fmt.Sprint(err)
		})
	})
}

// TestMemoryStoreMissingSeed waits for its seed ConfigMap, naming it.
func TestMemoryStoreMissingSeed(t *testing.T) {
	ns := newNamespace(t)
	store := &v1alpha1.MemoryStore{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "waiting"}, Spec: v1alpha1.MemoryStoreSpec{
		Seed: &v1alpha1.MemorySeed{ConfigMapRef: v1alpha1.LocalObjectReference{Name: "later"}}}}
	create(t, store)
	key := client.ObjectKeyFromObject(store)
	m := waitMemoryStore(t, key, "Ready=False naming the ConfigMap", func(m *v1alpha1.MemoryStore) bool {
		return readyReason(m.Status.Conditions) == "ConfigMapNotFound"
	})
	if msg := readyCondition(m.Status.Conditions); !strings.Contains(msg, "ConfigMap later not found") {
		t.Fatalf("Ready %q", msg)
	}
	configMap(t, ns, "later", map[string]string{"a.md": "alpha"})
	waitMemoryStore(t, key, "seeded", func(m *v1alpha1.MemoryStore) bool { return isReady(m.Status.Conditions) && m.Status.Memories == 1 })
}
