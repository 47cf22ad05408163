// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/metrics"
	"github.com/anthropics/managed-agents-operator/internal/scheme"
)

// fakeRemote is a remoteKind made of functions, one per call, for the driver's table tests. It uses
// the Environment's real field mapping; every call is logged in calls. A nil function fails the test.
type fakeRemote struct {
	t          *testing.T
	connectErr error
	observe    func(id string) (observation, error)
	create     func() (observation, error)
	update     func(current observation) (observation, error)
	findFn     func() (string, error)
	releaseFn  func(id string, action releaseAction) error
	calls      []string
}

const fakeHash = "hash-1"

func (f *fakeRemote) fields(e *v1alpha1.Environment) managedFields {
	return environmentRemote{}.fields(e)
}

func (f *fakeRemote) connect(context.Context, *v1alpha1.Environment, managedagents.Client) (remoteConnection, error) {
	f.calls = append(f.calls, "connect")
	if f.connectErr != nil {
		return nil, f.connectErr
	}
	return fakeConnection{f}, nil
}

func (f *fakeRemote) findByUID(context.Context, managedagents.Client, types.UID) (string, error) {
	f.calls = append(f.calls, "findByUID")
	must(f.t, f.findFn != nil, "findByUID")
	return f.findFn()
}

func (f *fakeRemote) release(_ context.Context, _ managedagents.Client, id string, action releaseAction) error {
	f.calls = append(f.calls, fmt.Sprintf("release %s %s", action, id))
	must(f.t, f.releaseFn != nil, "release")
	return f.releaseFn(id, action)
}

type fakeConnection struct{ f *fakeRemote }

func (c fakeConnection) configHash() string { return fakeHash }

func (c fakeConnection) observe(_ context.Context, id string) (observation, error) {
	c.f.calls = append(c.f.calls, "observe "+id)
	must(c.f.t, c.f.observe != nil, "observe")
	return c.f.observe(id)
}

func (c fakeConnection) create(context.Context) (observation, error) {
	c.f.calls = append(c.f.calls, "create")
	must(c.f.t, c.f.create != nil, "create")
	return c.f.create()
}

func (c fakeConnection) update(_ context.Context, current observation) (observation, error) {
	c.f.calls = append(c.f.calls, "update "+current.id)
	must(c.f.t, c.f.update != nil, "update")
	return c.f.update(current)
}

func (c fakeConnection) record(observation, Reason) {}

func must(t *testing.T, ok bool, call string) {
	t.Helper()
	if !ok {
		t.Fatalf("unexpected call: %s", call)
	}
}

// fakeAPIs hands out no client (the fake remote needs none) or the error a missing Secret gives.
// remembered says the release key came from memory because the Secret is gone.
type fakeAPIs struct {
	err        error
	remembered bool
}

func (a fakeAPIs) forSync(context.Context, string, *v1alpha1.SecretKeyReference) (managedagents.Client, error) {
	return nil, a.err
}

func (a fakeAPIs) forRelease(context.Context, string, *v1alpha1.SecretKeyReference) (managedagents.Client, bool, error) {
	return nil, a.remembered, a.err
}

func (a fakeAPIs) released(context.Context, client.Object, *v1alpha1.SecretKeyReference) {}

// recordedEvents keeps "Type Reason" of every Event.
type recordedEvents struct{ list []string }

func (r *recordedEvents) Eventf(_, _ runtime.Object, eventtype, reason, _, _ string, _ ...interface{}) {
	r.list = append(r.list, eventtype+" "+reason)
}

// remoteAt is an existing remote object with the given fields out of line.
func remoteAt(id string, diff ...string) observation {
	return observation{exists: true, id: id, detail: "v", diff: diff}
}

var (
	errUnavailable = &managedagents.Error{Kind: managedagents.KindTransient, StatusCode: 500, Message: "overloaded"}
	errRejected    = &managedagents.Error{Kind: managedagents.KindTerminal, StatusCode: 400, Message: "bad networking"}
	errConflict    = &managedagents.Error{Kind: managedagents.KindConflict, StatusCode: 409, Message: "stale version"}
	errGone        = &managedagents.Error{Kind: managedagents.KindNotFound, StatusCode: 404, Message: "no such environment"}
	errRevoked     = &managedagents.Error{Kind: managedagents.KindTerminal, StatusCode: 401, Message: "invalid x-api-key"}
	errNoSecret    = &CredentialError{Message: "Secret ns/key not found"}
)

// Object states the rows start from.
func fresh(*v1alpha1.Environment) {}

func withFinalizer(e *v1alpha1.Environment) { e.Finalizers = []string{Finalizer} }

// synced is an object whose last sync applied generation 1 with fakeHash.
func synced(e *v1alpha1.Environment) {
	withFinalizer(e)
	e.Status.ID, e.Status.ObservedGeneration, e.Status.ConfigHash = "env_1", 1, fakeHash
	setSynced(&e.Status.Conditions, 1, true, ReasonSynced, "ok")
	setCondition(&e.Status.Conditions, 1, v1alpha1.ConditionReady, "True", ReasonUpToDate, "ok")
}

func edited(e *v1alpha1.Environment) { synced(e); e.Generation = 2 }

func paused(e *v1alpha1.Environment) {
	e.Annotations = map[string]string{v1alpha1.AnnotationPaused: "true"}
}

func deleting(policy v1alpha1.EnvironmentDeletionPolicy) func(*v1alpha1.Environment) {
	return func(e *v1alpha1.Environment) {
		synced(e)
		e.Spec.DeletionPolicy = policy
		e.DeletionTimestamp = &metav1.Time{Time: time.Now()}
	}
}

// deletedAgo is an object deleted some time ago with policy Archive.
func deletedAgo(d time.Duration) func(*v1alpha1.Environment) {
	return func(e *v1alpha1.Environment) {
		deleting(v1alpha1.EnvironmentDeletionArchive)(e)
		e.DeletionTimestamp = &metav1.Time{Time: time.Now().Add(-d)}
	}
}

func both(a, b func(*v1alpha1.Environment)) func(*v1alpha1.Environment) {
	return func(e *v1alpha1.Environment) { a(e); b(e) }
}

// want is what one reconcile must leave behind. Conditions read "Status/Reason"; "" means absent.
type want struct {
	calls                 []string
	ready, synced, paused string
	events                []string
	id                    string
	err                   bool
	requeue               bool
	finalizer             bool
	gone                  bool
	// abandoned is how many remote objects the reconcile counted as left behind.
	abandoned float64
}

func TestLifecycleDriver(t *testing.T) {
	cases := []struct {
		name     string
		reason   string
		start    func(*v1alpha1.Environment)
		verified bool
		apis     fakeAPIs
		remote   fakeRemote
		want     want
	}{{
		name:   "created",
		reason: "A new object gets its finalizer, then one create and nothing else: the finalizer stored by this reconcile proves nothing was created before, so no search by UID.",
		start:  fresh,
		remote: fakeRemote{create: func() (observation, error) { return remoteAt("env_new"), nil }},
		want: want{calls: []string{"connect", "create"}, ready: "True/UpToDate", synced: "True/Synced", paused: "False/NotPaused",
			events: []string{"Normal Created"}, id: "env_new", requeue: true, finalizer: true},
	}, {
		name:   "found by UID",
		reason: "A finalizer stored earlier without an id in status means a create may have happened and its answer was lost: search by UID and adopt what it finds, never create a second one.",
		start:  withFinalizer,
		remote: fakeRemote{
			findFn:  func() (string, error) { return "env_lost", nil },
			observe: func(id string) (observation, error) { return remoteAt(id), nil },
		},
		want: want{calls: []string{"connect", "findByUID", "observe env_lost"}, ready: "True/UpToDate", synced: "True/Synced",
			paused: "False/NotPaused", events: []string{"Normal Adopted"}, id: "env_lost", requeue: true, finalizer: true},
	}, {
		name:   "search by UID finds nothing",
		reason: "The search by UID that finds nothing is followed by a create.",
		start:  withFinalizer,
		remote: fakeRemote{
			findFn: func() (string, error) { return "", nil },
			create: func() (observation, error) { return remoteAt("env_new"), nil },
		},
		want: want{calls: []string{"connect", "findByUID", "create"}, ready: "True/UpToDate", synced: "True/Synced",
			paused: "False/NotPaused", events: []string{"Normal Created"}, id: "env_new", requeue: true, finalizer: true},
	}, {
		name:   "adopted by externalID",
		reason: "spec.externalID takes over an existing remote object: it is read and brought in line, never created or searched for.",
		start:  func(e *v1alpha1.Environment) { withFinalizer(e); e.Spec.ExternalID = "env_theirs" },
		remote: fakeRemote{
			observe: func(id string) (observation, error) { return remoteAt(id, "packages"), nil },
			update:  func(c observation) (observation, error) { return remoteAt(c.id), nil },
		},
		want: want{calls: []string{"connect", "observe env_theirs", "update env_theirs"}, ready: "True/UpToDate", synced: "True/Synced",
			paused: "False/NotPaused", events: []string{"Normal Adopted", "Normal Updated"}, id: "env_theirs", requeue: true, finalizer: true},
	}, {
		name:   "externalID that does not exist",
		reason: "An externalID naming nothing is a spec error: Ready and Synced say so, and nothing is created in its place.",
		start:  func(e *v1alpha1.Environment) { withFinalizer(e); e.Spec.ExternalID = "env_typo" },
		remote: fakeRemote{observe: func(string) (observation, error) { return observation{}, nil }},
		want: want{calls: []string{"connect", "observe env_typo"}, ready: "False/RemoteNotFound", synced: "False/RemoteNotFound",
			paused: "False/NotPaused", events: []string{"Warning RemoteNotFound"}, finalizer: true},
	}, {
		name:   "found in status and up to date",
		reason: "An object whose status holds the id is read by id; a remote that matches needs no write and no Event.",
		start:  func(e *v1alpha1.Environment) { synced(e); e.Status.ConfigHash = "" },
		remote: fakeRemote{observe: func(id string) (observation, error) { return remoteAt(id), nil }},
		want: want{calls: []string{"connect", "observe env_1"}, ready: "True/UpToDate", synced: "True/Synced", paused: "False/NotPaused",
			id: "env_1", requeue: true, finalizer: true},
	}, {
		name:   "updated",
		reason: "A spec change (a new generation) is sent as an update, with an Updated Event.",
		start:  edited,
		remote: fakeRemote{
			observe: func(id string) (observation, error) { return remoteAt(id, "packages"), nil },
			update:  func(c observation) (observation, error) { return remoteAt(c.id), nil },
		},
		want: want{calls: []string{"connect", "observe env_1", "update env_1"}, ready: "True/UpToDate", synced: "True/Synced",
			paused: "False/NotPaused", events: []string{"Normal Updated"}, id: "env_1", requeue: true, finalizer: true},
	}, {
		name:   "409 re-read",
		reason: "A 409 on update means someone changed the remote object since it was read: read it again and retry with what is there now.",
		start:  edited,
		remote: func() fakeRemote {
			updates := 0
			return fakeRemote{
				observe: func(id string) (observation, error) { return remoteAt(id, "packages"), nil },
				update: func(c observation) (observation, error) {
					if updates++; updates == 1 {
						return observation{}, errConflict
					}
					return remoteAt(c.id), nil
				},
			}
		}(),
		want: want{calls: []string{"connect", "observe env_1", "update env_1", "observe env_1", "update env_1"}, ready: "True/UpToDate",
			synced: "True/Synced", paused: "False/NotPaused", events: []string{"Normal Updated"}, id: "env_1", requeue: true, finalizer: true},
	}, {
		name:   "409 that persists",
		reason: "The re-read and retry is bounded: a 409 that persists ends the reconcile as a failure, not a loop.",
		start:  edited,
		remote: fakeRemote{
			observe: func(id string) (observation, error) { return remoteAt(id, "packages"), nil },
			update:  func(observation) (observation, error) { return observation{}, errConflict },
		},
		want: want{calls: []string{"connect", "observe env_1", "update env_1", "observe env_1", "update env_1", "observe env_1",
			"update env_1", "observe env_1", "update env_1"}, ready: "False/APIUnavailable", synced: "False/APIUnavailable", paused: "False/NotPaused",
			events: []string{"Warning APIUnavailable"}, id: "env_1", err: true, finalizer: true},
	}, {
		name:   "drift",
		reason: "At the resync, a remote that differs from a spec already applied was changed outside the operator: it is restored, with a DriftCorrected Event.",
		start:  synced,
		remote: fakeRemote{
			observe: func(id string) (observation, error) { return remoteAt(id, "description"), nil },
			update:  func(c observation) (observation, error) { return remoteAt(c.id), nil },
		},
		want: want{calls: []string{"connect", "observe env_1", "update env_1"}, ready: "True/UpToDate", synced: "True/Synced",
			paused: "False/NotPaused", events: []string{"Normal DriftCorrected"}, id: "env_1", requeue: true, finalizer: true},
	}, {
		name:     "in sync before the resync",
		reason:   "An object in sync whose resync is not due costs no API call; it is requeued for its resync.",
		start:    synced,
		verified: true,
		remote:   fakeRemote{},
		want: want{calls: []string{"connect"}, ready: "True/UpToDate", synced: "True/Synced", paused: "False/NotPaused",
			id: "env_1", requeue: true, finalizer: true},
	}, {
		name:   "archived remotely",
		reason: "A remote object archived behind the operator's back is read-only: Ready=False/RemoteArchived with a Warning, and no update is attempted.",
		start:  edited,
		remote: fakeRemote{observe: func(id string) (observation, error) {
			o := remoteAt(id, "packages")
			o.archived = true
			return o, nil
		}},
		want: want{calls: []string{"connect", "observe env_1"}, ready: "False/RemoteArchived", synced: "True/Synced", paused: "False/NotPaused",
			events: []string{"Warning RemoteArchived"}, id: "env_1", finalizer: true},
	}, {
		name:   "deleted remotely",
		reason: "A remote object deleted behind the operator's back is replaced, with a Warning; the search by UID runs first in case a replacement was made already.",
		start:  synced,
		remote: fakeRemote{
			observe: func(string) (observation, error) { return observation{}, nil },
			findFn:  func() (string, error) { return "", nil },
			create:  func() (observation, error) { return remoteAt("env_2"), nil },
		},
		want: want{calls: []string{"connect", "observe env_1", "findByUID", "create"}, ready: "True/UpToDate", synced: "True/Synced",
			paused: "False/NotPaused", events: []string{"Warning RemoteNotFound", "Normal Created"}, id: "env_2", requeue: true, finalizer: true},
	}, {
		name:   "terminal",
		reason: "A spec the API rejects (400) shows the API's message in Ready and Synced and waits for a spec change: no error, no requeue, no hot loop.",
		start:  fresh,
		remote: fakeRemote{create: func() (observation, error) { return observation{}, errRejected }},
		want: want{calls: []string{"connect", "create"}, ready: "False/InvalidSpec", synced: "False/InvalidSpec", paused: "False/NotPaused",
			events: []string{"Warning InvalidSpec"}, finalizer: true},
	}, {
		name:   "transient before the first sync",
		reason: "An API outage before anything was created: Ready and Synced are False, and the error goes back for controller-runtime's backoff.",
		start:  fresh,
		remote: fakeRemote{create: func() (observation, error) { return observation{}, errUnavailable }},
		want: want{calls: []string{"connect", "create"}, ready: "False/APIUnavailable", synced: "False/APIUnavailable", paused: "False/NotPaused",
			events: []string{"Warning APIUnavailable"}, err: true, finalizer: true},
	}, {
		name:   "transient at a resync",
		reason: "An API outage at the resync of an object in sync leaves Ready True (the remote still matches as far as anyone knows, so dependents keep working); only Synced turns False.",
		start:  synced,
		remote: fakeRemote{observe: func(string) (observation, error) { return observation{}, errUnavailable }},
		want: want{calls: []string{"connect", "observe env_1"}, ready: "True/UpToDate", synced: "False/APIUnavailable", paused: "False/NotPaused",
			events: []string{"Warning APIUnavailable"}, id: "env_1", err: true, finalizer: true},
	}, {
		name:   "credentials missing",
		reason: "A missing key Secret is shown before anything else is tried; the Secret watch brings the object back.",
		start:  fresh,
		apis:   fakeAPIs{err: errNoSecret},
		remote: fakeRemote{},
		want: want{ready: "False/CredentialsNotFound", synced: "False/CredentialsNotFound", paused: "False/NotPaused",
			events: []string{"Warning CredentialsNotFound"}, finalizer: true},
	}, {
		name:   "reference not ready",
		reason: "A reference that is not ready (a ConfigMap, another object) is polled, not hot-looped, and nothing is sent.",
		start:  withFinalizer,
		remote: fakeRemote{connectErr: &referenceError{reason: ReasonReferenceNotReady, message: "Agent ns/other is not ready yet"}},
		want: want{calls: []string{"connect"}, ready: "False/ReferenceNotReady", synced: "False/ReferenceNotReady", paused: "False/NotPaused",
			events: []string{"Warning ReferenceNotReady"}, requeue: true, finalizer: true},
	}, {
		name:   "paused",
		reason: "A paused object makes no call at all; Paused is True and Ready keeps what the last sync established, so Sessions may still use it.",
		start:  both(edited, paused),
		remote: fakeRemote{},
		want:   want{ready: "True/UpToDate", synced: "True/Synced", paused: "True/Paused", id: "env_1", finalizer: true},
	}, {
		name:   "paused before the first sync",
		reason: "An object paused from creation gets no finalizer and no remote object, and its Ready says why it is not there.",
		start:  paused,
		remote: fakeRemote{},
		want:   want{ready: "False/Paused", paused: "True/Paused"},
	}, {
		name:   "deletion with Retain",
		reason: "Retain leaves the remote object alone, says so, and lets the object go.",
		start:  deleting(v1alpha1.EnvironmentDeletionRetain),
		remote: fakeRemote{},
		want:   want{events: []string{"Normal Retained"}, gone: true},
	}, {
		name:   "deletion with Archive",
		reason: "Archive archives the remote object, then the finalizer goes.",
		start:  deleting(v1alpha1.EnvironmentDeletionArchive),
		remote: fakeRemote{releaseFn: func(string, releaseAction) error { return nil }},
		want:   want{calls: []string{"release Archive env_1"}, events: []string{"Normal Archived"}, gone: true},
	}, {
		name:   "deletion with Delete",
		reason: "Delete deletes the remote object, then the finalizer goes.",
		start:  deleting(v1alpha1.EnvironmentDeletionDelete),
		remote: fakeRemote{releaseFn: func(string, releaseAction) error { return nil }},
		want:   want{calls: []string{"release Delete env_1"}, events: []string{"Normal Deleted"}, gone: true},
	}, {
		name:   "deletion of a remote object gone already",
		reason: "A remote object that no longer exists is as released as it gets.",
		start:  deleting(v1alpha1.EnvironmentDeletionDelete),
		remote: fakeRemote{releaseFn: func(string, releaseAction) error { return errGone }},
		want:   want{calls: []string{"release Delete env_1"}, events: []string{"Normal Deleted"}, gone: true},
	}, {
		name:   "deletion before the id reached status",
		reason: "Deleting an object whose create answer was lost finds the remote object by UID and releases it, instead of leaking it.",
		start:  func(e *v1alpha1.Environment) { deleting(v1alpha1.EnvironmentDeletionArchive)(e); e.Status.ID = "" },
		remote: fakeRemote{findFn: func() (string, error) { return "env_lost", nil }, releaseFn: func(string, releaseAction) error { return nil }},
		want:   want{calls: []string{"findByUID", "release Archive env_lost"}, events: []string{"Normal Archived"}, gone: true},
	}, {
		name:   "deletion blocked",
		reason: "A release that fails keeps the finalizer, says what blocks it and how to let go, and retries with backoff.",
		start:  deleting(v1alpha1.EnvironmentDeletionArchive),
		remote: fakeRemote{releaseFn: func(string, releaseAction) error { return errUnavailable }},
		want: want{calls: []string{"release Archive env_1"}, ready: "False/DeletionBlocked", synced: "False/APIUnavailable",
			events: []string{"Warning DeletionBlocked"}, id: "env_1", err: true, finalizer: true},
	}, {
		name:   "deletion after the Secret went, with its key remembered",
		reason: "A namespace deletion removes the key Secret with the objects: the last key read from it releases the remote object.",
		start:  deleting(v1alpha1.EnvironmentDeletionArchive),
		apis:   fakeAPIs{remembered: true},
		remote: fakeRemote{releaseFn: func(string, releaseAction) error { return nil }},
		want:   want{calls: []string{"release Archive env_1"}, events: []string{"Normal Archived"}, gone: true},
	}, {
		name:   "deletion without a key, waiting",
		reason: "With the Secret gone and no key known (a restart since), deletion waits a bounded time for the Secret to come back: no error, a short requeue, the finalizer kept.",
		start:  deletedAgo(0),
		apis:   fakeAPIs{err: errNoSecret},
		remote: fakeRemote{},
		want: want{ready: "False/DeletionBlocked", synced: "False/CredentialsNotFound", events: []string{"Warning DeletionBlocked"},
			id: "env_1", requeue: true, finalizer: true},
	}, {
		name:   "deletion with a remembered key that is refused",
		reason: "The remembered key of a deleted Secret that the API refuses is no key at all: the same bounded wait, not a block forever.",
		start:  deletedAgo(0),
		apis:   fakeAPIs{remembered: true},
		remote: fakeRemote{releaseFn: func(string, releaseAction) error { return errRevoked }},
		want: want{calls: []string{"release Archive env_1"}, ready: "False/DeletionBlocked", synced: "False/Unauthorized",
			events: []string{"Warning DeletionBlocked"}, id: "env_1", requeue: true, finalizer: true},
	}, {
		name:   "deletion without a key, given up",
		reason: "Past the bounded wait the object goes, so that its namespace can go too; the remote object is left in place with a Warning and the abandoned metric.",
		start:  deletedAgo(releaseGiveUpAfter + time.Second),
		apis:   fakeAPIs{err: errNoSecret},
		remote: fakeRemote{},
		want:   want{events: []string{"Warning RemoteAbandoned"}, gone: true, abandoned: 1},
	}, {
		name:   "deletion while paused",
		reason: "A paused object's deletion waits: nothing is released and the finalizer stays.",
		start:  both(deleting(v1alpha1.EnvironmentDeletionArchive), paused),
		remote: fakeRemote{},
		want:   want{ready: "True/UpToDate", synced: "True/Synced", paused: "True/Paused", id: "env_1", finalizer: true},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, remote, rec, c := newTestDriver(t, tc.start, tc.remote, tc.apis)
			if tc.verified {
				obj := &v1alpha1.Environment{}
				must(t, c.Get(context.Background(), testKey, obj) == nil, "get")
				d.resync.markVerified(obj)
			}
			abandonedBefore := counterValue(t, metrics.RemoteObjectsAbandoned.WithLabelValues("Environment"))
			result, err := d.Reconcile(context.Background(), ctrl.Request{NamespacedName: testKey})
			checkDriver(t, tc.reason, tc.want, result, err, remote.calls, rec.list, c)
			if got := counterValue(t, metrics.RemoteObjectsAbandoned.WithLabelValues("Environment")) - abandonedBefore; got != tc.want.abandoned {
				t.Errorf("%s\n  remote objects counted as abandoned: %v, want %v", tc.reason, got, tc.want.abandoned)
			}
		})
	}
}

var testKey = types.NamespacedName{Namespace: "ns", Name: "env"}

// counterValue reads a Prometheus counter.
func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// newTestDriver returns the driver for an Environment built by start, with a fake remote and a fake
// Kubernetes client holding the object.
func newTestDriver(t *testing.T, start func(*v1alpha1.Environment), remote fakeRemote, apis fakeAPIs) (
	*lifecycle[*v1alpha1.Environment], *fakeRemote, *recordedEvents, client.Client) {
	t.Helper()
	obj := &v1alpha1.Environment{ObjectMeta: metav1.ObjectMeta{Namespace: testKey.Namespace, Name: testKey.Name, UID: "uid-1", Generation: 1}}
	start(obj)
	c := fake.NewClientBuilder().WithScheme(scheme.New()).WithObjects(obj).WithStatusSubresource(obj).Build()
	remote.t = t
	rec := &recordedEvents{}
	d := &lifecycle[*v1alpha1.Environment]{
		client: c, kind: "Environment", noun: "environment", newObject: newObjectOf[*v1alpha1.Environment](),
		remote: &remote, apis: apis, recorder: rec, resync: newResyncTracker(10 * time.Minute),
	}
	return d, &remote, rec, c
}

func checkDriver(t *testing.T, reason string, w want, result ctrl.Result, err error, calls, events []string, c client.Client) {
	t.Helper()
	fail := func(format string, args ...any) { t.Errorf("%s\n  "+format, append([]any{reason}, args...)...) }
	if !slices.Equal(calls, w.calls) {
		fail("calls = %q, want %q", calls, w.calls)
	}
	if !slices.Equal(events, w.events) {
		fail("events = %q, want %q", events, w.events)
	}
	if (err != nil) != w.err {
		fail("error = %v, want error: %v", err, w.err)
	}
	if requeue := result.RequeueAfter > 0; requeue != w.requeue {
		fail("requeueAfter = %v, want a requeue: %v", result.RequeueAfter, w.requeue)
	}
	obj := &v1alpha1.Environment{}
	if getErr := c.Get(context.Background(), testKey, obj); getErr != nil {
		if !w.gone {
			fail("object gone: %v", getErr)
		}
		return
	}
	if w.gone {
		fail("object still there with finalizers %v", obj.Finalizers)
	}
	if has := slices.Contains(obj.Finalizers, Finalizer); has != w.finalizer {
		fail("finalizer present = %v, want %v", has, w.finalizer)
	}
	if obj.Status.ID != w.id {
		fail("status.id = %q, want %q", obj.Status.ID, w.id)
	}
	for condType, wantCond := range map[string]string{v1alpha1.ConditionReady: w.ready, v1alpha1.ConditionSynced: w.synced, v1alpha1.ConditionPaused: w.paused} {
		if got := conditionString(obj.Status.Conditions, condType); got != wantCond {
			fail("%s = %q, want %q", condType, got, wantCond)
		}
	}
}

func conditionString(conds []metav1.Condition, condType string) string {
	c := meta.FindStatusCondition(conds, condType)
	if c == nil {
		return ""
	}
	return string(c.Status) + "/" + c.Reason
}

// TestLifecycleWarnsOncePerTransition proves that a failure repeated on every retry yields one
// Warning Event, although each attempt's error carries another request id (another message).
func TestLifecycleWarnsOncePerTransition(t *testing.T) {
	for _, tc := range []struct {
		name, reason string
		start        func(*v1alpha1.Environment)
		remote       fakeRemote
		warning      string
	}{{
		name:   "transient create",
		reason: "An API outage retried with backoff is one transition, not one Warning per retry.",
		start:  fresh,
		remote: fakeRemote{
			create: func() (observation, error) { return observation{}, requestFailed() },
			findFn: func() (string, error) { return "", nil },
		},
		warning: "Warning APIUnavailable",
	}, {
		name:    "blocked deletion",
		reason:  "A blocked deletion retried with backoff is one transition, not one Warning per retry.",
		start:   deleting(v1alpha1.EnvironmentDeletionArchive),
		remote:  fakeRemote{releaseFn: func(string, releaseAction) error { return requestFailed() }},
		warning: "Warning DeletionBlocked",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			d, _, rec, _ := newTestDriver(t, tc.start, tc.remote, fakeAPIs{})
			for range 5 {
				if _, err := d.Reconcile(context.Background(), ctrl.Request{NamespacedName: testKey}); err == nil {
					t.Fatal("the failure did not fail the reconcile")
				}
			}
			if want := []string{tc.warning}; !slices.Equal(rec.list, want) {
				t.Errorf("%s\n  events after 5 failed attempts = %q, want %q", tc.reason, rec.list, want)
			}
		})
	}
}

var requestSeq int

// requestFailed is a 500 whose message names a new request id each time, as the API's do.
func requestFailed() error {
	requestSeq++
	return &managedagents.Error{Kind: managedagents.KindTransient, StatusCode: 500, Type: "api_error",
		RequestID: fmt.Sprintf("req_%d", requestSeq), Message: "Internal server error"}
}
