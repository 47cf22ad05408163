// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
)

// The lifecycle driver reconciles every kind whose objects each own one remote object: Agent,
// Environment, and the kinds that follow them (Vault, Skill, MemoryStore). The model is
// crossplane-runtime's managed reconciler: the driver owns the lifecycle, a kind owns only the
// translation between its spec and the API.
//
// The driver (lifecycle[O], lifecycle_sync.go and lifecycle_delete.go) does, the same way for every kind:
//   - the finalizer, stored before the first remote create. A finalizer stored by this very reconcile
//     proves that no remote object exists yet, so the search by UID is skipped ("never created");
//   - the paused annotation: the Paused condition, and no API call at all;
//   - finding the remote object before any create: the id in status, else spec.externalID (adoption),
//     else the object's UID in the remote metadata (a create whose answer was lost), else create;
//   - a remote object gone (recreated, with a Warning) or archived (Ready=False/RemoteArchived)
//     behind the operator's back;
//   - updates, re-reading and retrying on 409 (someone else changed the object in between), with an
//     Updated or DriftCorrected Event and the drift metric;
//   - the config hash and the resync period, so that an object in sync costs no API call until its
//     next resync, and a resync costs one read and no write;
//   - status: id, observedGeneration, configHash, lastSyncTime, and the Ready, Synced and Paused
//     conditions, with a Warning Event only when a condition changes;
//   - deletion per policy (Retain, Archive, Delete), a blocked deletion, and letting go when the
//     credentials are gone for good (giveUpRelease).
//
// A kind plugs in with a remoteKind[O] (its translation) and newLifecycle. Its whole contract:
//
//	fields(obj)                  where the shared status fields live, plus the credentials
//	                             reference, spec.externalID and the deletion policy
//	connect(ctx, obj, api)       resolve the desired remote state for one reconcile (ConfigMaps,
//	                             references); references not ready yet are a *referenceError
//	findByUID(ctx, api, uid)     the id of a remote object whose metadata carries the UID, or ""
//	release(ctx, api, id, act)   archive or delete the remote object (never called for Retain)
//
// and the connection that connect returns:
//
//	configHash()                 fingerprint of the desired state (an unchanged one costs no call)
//	observe(ctx, id)             read the remote object: exists? archived? the owned fields that
//	                             differ from the spec (empty: up to date). Absent is exists=false, not an error
//	create(ctx)                  create it with the UID in its metadata (ownerMetadata)
//	update(ctx, current)         bring it in line, sending what observe read (a version) so that a
//	                             concurrent change answers 409 instead of being overwritten
//	record(current, reason)      write the kind's own status fields (an agent's version history)
//
// Errors are the API's classified errors (managedagents.Error), *CredentialError, *referenceError
// or *managedagents.InvalidSpecError; the driver turns each into conditions and a retry policy.
type remoteKind[O client.Object] interface {
	fields(obj O) managedFields
	connect(ctx context.Context, obj O, api managedagents.Client) (remoteConnection, error)
	findByUID(ctx context.Context, api managedagents.Client, uid types.UID) (string, error)
	release(ctx context.Context, api managedagents.Client, id string, action releaseAction) error
}

// remoteConnection is a kind's translation bound to one object's desired state and API client, for
// one reconcile. See remoteKind.
type remoteConnection interface {
	configHash() string
	observe(ctx context.Context, id string) (observation, error)
	create(ctx context.Context) (observation, error)
	update(ctx context.Context, current observation) (observation, error)
	record(current observation, reason Reason)
}

// observation is what the driver needs to know about a remote object.
type observation struct {
	// exists is false when the API says the object does not exist.
	exists bool
	id     string
	// detail names the remote state in Events, logs and the Ready message, e.g. "version 3".
	detail string
	// archived objects are read-only: they can no longer be brought in line with the spec.
	archived bool
	// diff lists the owned fields that differ from the spec; empty means up to date.
	diff []string
	// remote is the kind's own snapshot, handed back to its update and record.
	remote any
}

// releaseAction is what deletion does with the remote object, from the kind's deletion policy.
type releaseAction string

const (
	releaseRetain  releaseAction = "Retain"
	releaseArchive releaseAction = "Archive"
	releaseDelete  releaseAction = "Delete"
)

// managedFields points at what the driver reads and writes in one object. The pointers are into the
// object itself, so that the driver's writes land in its status.
type managedFields struct {
	ID                 *string
	ObservedGeneration *int64
	ConfigHash         *string
	LastSyncTime       **metav1.Time
	Conditions         *[]metav1.Condition
	// Status is the whole status; the driver compares it before and after a reconcile so that a
	// reconcile that changed nothing writes nothing.
	Status any

	APIKeySecretRef *v1alpha1.SecretKeyReference
	ExternalID      string
	Deletion        releaseAction
}

// apiClients gives the driver an API client for an object's credentials.
type apiClients interface {
	// forSync returns a client for the key the object's Secret holds now.
	forSync(ctx context.Context, namespace string, ref *v1alpha1.SecretKeyReference) (managedagents.Client, error)
	// forRelease returns a client for releasing a deleted object's remote twin: with the Secret's key
	// or, when the Secret is gone, with the last key read from it (remembered).
	forRelease(ctx context.Context, namespace string, ref *v1alpha1.SecretKeyReference) (api managedagents.Client, remembered bool, err error)
	// released says that an object let go of its remote twin, so a deleted Secret's last key can go.
	released(ctx context.Context, obj client.Object, ref *v1alpha1.SecretKeyReference)
}

// keyedClients builds API clients from the keys that Credentials reads.
type keyedClients struct {
	credentials *Credentials
	factory     *managedagents.Factory
}

func (k keyedClients) forSync(ctx context.Context, namespace string, ref *v1alpha1.SecretKeyReference) (managedagents.Client, error) {
	key, err := k.credentials.APIKey(ctx, namespace, ref)
	if err != nil {
		return nil, err
	}
	return k.factory.For(key), nil
}

func (k keyedClients) forRelease(ctx context.Context, namespace string, ref *v1alpha1.SecretKeyReference) (managedagents.Client, bool, error) {
	key, remembered, err := k.credentials.APIKeyForRelease(ctx, namespace, ref)
	if err != nil {
		return nil, false, err
	}
	return k.factory.For(key), remembered, nil
}

func (k keyedClients) released(ctx context.Context, obj client.Object, ref *v1alpha1.SecretKeyReference) {
	k.credentials.Released(ctx, obj, ref)
}

// lifecycle is the driver for one kind. See remoteKind.
type lifecycle[O client.Object] struct {
	client client.Client
	// kind is the Kubernetes kind ("Agent"); noun names the remote object ("agent") in Events, logs
	// ("agentID") and messages.
	kind, noun string
	newObject  func() O
	remote     remoteKind[O]
	apis       apiClients
	recorder   events.EventRecorder
	resync     *resyncTracker
}
