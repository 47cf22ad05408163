// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
)

// memoryStoreRemote is the MemoryStore's translation for the lifecycle driver: a remote memory store,
// seeded once from a ConfigMap. After seeding, the remote store is the source of truth for its
// memories: the seed only creates memories at paths that hold none, and nothing is ever overwritten
// or deleted because the ConfigMap changed.
type memoryStoreRemote struct {
	// reader reads ConfigMaps straight from the API server: the operator caches only their metadata.
	reader client.Reader
	// recorder emits the Seeded Event; the driver emits the store's own.
	recorder events.EventRecorder
}

var _ remoteKind[*v1alpha1.MemoryStore] = memoryStoreRemote{}

func (memoryStoreRemote) fields(m *v1alpha1.MemoryStore) managedFields {
	st := &m.Status
	deletion := releaseArchive
	switch m.Spec.DeletionPolicy {
	case v1alpha1.MemoryStoreDeletionRetain:
		deletion = releaseRetain
	case v1alpha1.MemoryStoreDeletionDelete:
		deletion = releaseDelete
	}
	return managedFields{
		ID: &st.ID, ObservedGeneration: &st.ObservedGeneration, ConfigHash: &st.ConfigHash,
		LastSyncTime: &st.LastSyncTime, Conditions: &st.Conditions, Status: st,
		APIKeySecretRef: m.Spec.APIKeySecretRef, Deletion: deletion,
	}
}

func (r memoryStoreRemote) connect(ctx context.Context, m *v1alpha1.MemoryStore, api managedagents.Client) (remoteConnection, error) {
	c := &memoryStoreConnection{api: api, store: m, recorder: r.recorder, name: m.Name, owner: ownerMetadata(m)}
	if seed := m.Spec.Seed; seed != nil {
		src, err := readConfigMap(ctx, r.reader, m.Namespace, seed.ConfigMapRef.Name)
		if err != nil {
			return nil, err
		}
		c.seed, err = managedagents.SeedMemories(seed, src)
		var missing *managedagents.MissingReferenceError
		if errors.As(err, &missing) {
			return nil, &referenceError{reason: ReasonConfigMapNotFound, message: missing.Error()}
		}
		if err != nil {
			return nil, err
		}
		c.seedHash = managedagents.SeedHash(c.seed)
	}
	c.hash = configHash(m.Spec, c.name, c.owner, c.seedHash)
	return c, nil
}

func (memoryStoreRemote) findByUID(ctx context.Context, api managedagents.Client, uid types.UID) (string, error) {
	remote, err := api.FindMemoryStore(ctx, string(uid))
	if err != nil || remote == nil {
		return "", err
	}
	return remote.ID, nil
}

func (memoryStoreRemote) release(ctx context.Context, api managedagents.Client, id string, action releaseAction) error {
	if action == releaseDelete {
		return api.DeleteMemoryStore(ctx, id)
	}
	err := api.ArchiveMemoryStore(ctx, id)
	if err == nil || managedagents.IsNotFound(err) {
		return err
	}
	if remote, getErr := api.GetMemoryStore(ctx, id); getErr == nil && !remote.ArchivedAt.IsZero() {
		return nil
	}
	return err
}

// memoryStoreConnection is one MemoryStore's desired store and seed, for one reconcile.
type memoryStoreConnection struct {
	api      managedagents.Client
	store    *v1alpha1.MemoryStore
	recorder events.EventRecorder
	name     string // the default remote name (metadata.name)
	owner    map[string]string
	seed     []managedagents.SeedMemory
	seedHash string
	hash     string
}

// memoryStoreState is what observe read: the store and how many memories of what size it holds.
type memoryStoreState struct {
	store           *managedagents.MemoryStore
	memories, bytes int64
	seeded          bool
}

func (c *memoryStoreConnection) configHash() string { return c.hash }

func (c *memoryStoreConnection) observe(ctx context.Context, id string) (observation, error) {
	remote, err := c.api.GetMemoryStore(ctx, id)
	if managedagents.IsNotFound(err) {
		return observation{}, nil
	}
	if err != nil {
		return observation{}, err
	}
	state := &memoryStoreState{store: remote}
	if remote.ArchivedAt.IsZero() {
		if err := c.count(ctx, state); err != nil {
			return observation{}, err
		}
	}
	return c.observed(state), nil
}

// count reads how many memories the store holds and their total size (metadata only).
func (c *memoryStoreConnection) count(ctx context.Context, state *memoryStoreState) error {
	state.memories, state.bytes = 0, 0
	return c.api.ListMemories(ctx, state.store.ID, func(m managedagents.MemoryListItem) bool {
		if m.Type == "memory" {
			state.memories++
			state.bytes += m.ContentSizeBytes
		}
		return true
	})
}

func (c *memoryStoreConnection) observed(state *memoryStoreState) observation {
	diff := managedagents.MemoryStoreDrift(&c.store.Spec, c.name, c.owner, state.store)
	if c.seedHash != "" && c.store.Status.SeedHash != c.seedHash && !state.seeded {
		diff = append(diff, "seed")
	}
	return observation{exists: true, id: state.store.ID, detail: fmt.Sprintf("%d memories", state.memories),
		archived: !state.store.ArchivedAt.IsZero(), diff: diff, remote: state}
}

// create makes the store; the seed follows in update, since it shows as a difference.
func (c *memoryStoreConnection) create(ctx context.Context) (observation, error) {
	remote, err := c.api.CreateMemoryStore(ctx, managedagents.NewMemoryStoreParams(&c.store.Spec, c.name, c.owner))
	if err != nil {
		return observation{}, err
	}
	return c.observed(&memoryStoreState{store: remote}), nil
}

// update brings the store's fields in line, then seeds: each seed memory is created at a path that
// holds none. A path that holds a memory already (the agent's, anyone's, or an earlier seed's) is
// left as it is: the remote store is the source of truth.
func (c *memoryStoreConnection) update(ctx context.Context, current observation) (observation, error) {
	state := current.remote.(*memoryStoreState)
	if len(managedagents.MemoryStoreDrift(&c.store.Spec, c.name, c.owner, state.store)) > 0 {
		p, opts := managedagents.UpdateMemoryStoreParams(&c.store.Spec, c.name, c.owner, state.store)
		updated, err := c.api.UpdateMemoryStore(ctx, state.store.ID, p, opts...)
		if err != nil {
			return observation{}, err
		}
		state.store = updated
	}
	if c.seedHash != "" && c.store.Status.SeedHash != c.seedHash {
		if err := c.plant(ctx, state); err != nil {
			return observation{}, err
		}
	}
	if err := c.count(ctx, state); err != nil {
		return observation{}, err
	}
	return c.observed(state), nil
}

// plant creates the seed memories that are missing.
func (c *memoryStoreConnection) plant(ctx context.Context, state *memoryStoreState) error {
	created, kept := 0, 0
	for _, m := range c.seed {
		_, err := c.api.CreateMemory(ctx, state.store.ID, m.Path, m.Content)
		switch {
		case managedagents.IsConflict(err):
			kept++
		case err != nil:
			return err
		default:
			created++
		}
	}
	state.seeded = true
	logf.FromContext(ctx).Info("Seeded remote memory store", "memoryStoreID", state.store.ID, "created", created, "kept", kept)
	if created > 0 {
		c.recorder.Eventf(c.store, nil, corev1.EventTypeNormal, string(ReasonSeeded), "Seed",
			"Created %d seed memories in remote memory store %s; %d paths held a memory already and were kept", created, state.store.ID, kept)
	}
	return nil
}

func (c *memoryStoreConnection) record(current observation, _ Reason) {
	state := current.remote.(*memoryStoreState)
	st := &c.store.Status
	st.Memories, st.SizeBytes = state.memories, state.bytes
	if state.seeded {
		st.SeedHash = c.seedHash
	}
}
