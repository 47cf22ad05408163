// SPDX-License-Identifier: Apache-2.0

package sandbox

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/scheme"
)

// These tests run one dispatcher against a fake cluster and a fake work queue whose cleanup calls
// (Pod and Secret deletes, the remote Stop) wait at a gate that the test opens, so that the order
// of claims and cleanups is observed rather than timed.

// gate holds calls until it is opened (or their context ends) and counts them.
type gate struct {
	mu       sync.Mutex
	open     chan struct{}
	inFlight int
	maxIn    int
	calls    map[string]int
	failOnce map[string]bool // names whose first call fails
}

func newGate() *gate {
	return &gate{open: make(chan struct{}), calls: map[string]int{}, failOnce: map[string]bool{}}
}

// pass waits at the gate for a call about name; it fails the first call of a failOnce name.
func (g *gate) pass(ctx context.Context, name string) error {
	g.mu.Lock()
	g.calls[name]++
	fail := g.failOnce[name]
	delete(g.failOnce, name)
	g.inFlight++
	g.maxIn = max(g.maxIn, g.inFlight)
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.inFlight--
		g.mu.Unlock()
	}()
	select {
	case <-g.open:
	case <-ctx.Done():
		return ctx.Err()
	}
	if fail {
		return errors.New("injected failure of " + name)
	}
	return nil
}

func (g *gate) release() {
	select {
	case <-g.open:
	default:
		close(g.open)
	}
}

func (g *gate) stats() (inFlight, maxIn int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.inFlight, g.maxIn
}

func (g *gate) callsOf(name string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.calls[name]
}

// gatedClient sends Pod and Secret deletes through a gate and counts the sweeps (Pod lists).
type gatedClient struct {
	client.Client
	deletes *gate
	mu      sync.Mutex
	sweeps  int
}

func (c *gatedClient) Delete(ctx context.Context, o client.Object, opts ...client.DeleteOption) error {
	if err := c.deletes.pass(ctx, kindOfObject(o)+"/"+o.GetName()); err != nil {
		return err
	}
	return c.Client.Delete(ctx, o, opts...)
}

func (c *gatedClient) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	if _, ok := list.(*corev1.PodList); ok {
		c.mu.Lock()
		c.sweeps++
		c.mu.Unlock()
	}
	return c.Client.List(ctx, list, opts...)
}

func (c *gatedClient) sweepCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sweeps
}

func kindOfObject(o client.Object) string {
	if _, ok := o.(*corev1.Pod); ok {
		return "Pod"
	}
	return "Secret"
}

// fakeWork is a work queue: Poll hands out queued items, Ack reports them on acked, and Stop goes
// through a gate.
type fakeWork struct {
	mu     sync.Mutex
	queue  []*managedagents.WorkItem
	polls  int
	acked  chan string
	stops  *gate
	stopOK map[string]int
}

func newFakeWork(stops *gate) *fakeWork {
	return &fakeWork{acked: make(chan string, 16), stops: stops, stopOK: map[string]int{}}
}

func (w *fakeWork) enqueue(workID, sessionID string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	item := &managedagents.WorkItem{ID: workID, Secret: "secret-" + workID}
	item.Data.ID = sessionID
	w.queue = append(w.queue, item)
}

func (w *fakeWork) pollCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.polls
}

func (w *fakeWork) EnvironmentID() string { return "env_1" }

func (w *fakeWork) Poll(ctx context.Context, _ managedagents.PollOptions) (*managedagents.WorkItem, error) {
	w.mu.Lock()
	w.polls++
	if len(w.queue) > 0 {
		item := w.queue[0]
		w.queue = w.queue[1:]
		w.mu.Unlock()
		return item, nil
	}
	w.mu.Unlock()
	select {
	case <-ctx.Done():
	case <-time.After(20 * time.Millisecond):
	}
	return nil, nil
}

func (w *fakeWork) Ack(_ context.Context, workID string) (*managedagents.WorkItem, error) {
	w.acked <- workID
	return &managedagents.WorkItem{ID: workID}, nil
}

func (w *fakeWork) Heartbeat(_ context.Context, workID, _ string, _ time.Duration) (*managedagents.WorkLease, error) {
	return &managedagents.WorkLease{LastHeartbeat: "hb-" + workID, TTLSeconds: 600}, nil
}

func (w *fakeWork) Stop(ctx context.Context, workID string, _ bool) error {
	if err := w.stops.pass(ctx, workID); err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopOK[workID]++
	return nil
}

func (w *fakeWork) stopped(workID string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stopOK[workID]
}

func (w *fakeWork) Stats(context.Context) (*managedagents.WorkQueueStats, error) {
	return &managedagents.WorkQueueStats{}, nil
}

func (w *fakeWork) List(context.Context, func(managedagents.WorkItem) bool) error { return nil }

// warningLog counts the Warning Events by the name of the object they are about.
type warningLog struct {
	mu    sync.Mutex
	about map[string]int
}

func (r *warningLog) Eventf(regarding, _ runtime.Object, eventtype, _, _, _ string, _ ...interface{}) {
	if o, ok := regarding.(client.Object); ok && eventtype == corev1.EventTypeWarning {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.about[o.GetName()]++
	}
}

func (r *warningLog) count(name string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.about[name]
}

// endedPod is a sandbox Pod whose runner exited with code exit: 0 ended the item itself, another
// code makes the dispatcher stop it.
func endedPod(env *v1alpha1.Environment, name string, exit int32) (*corev1.Pod, *corev1.Secret) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: env.Namespace, Name: name, UID: types.UID("uid-" + name),
		Labels: podLabels(env.Name, "sesn-"+name, "work-"+name), CreationTimestamp: metav1.Now()},
		Status: corev1.PodStatus{Phase: corev1.PodSucceeded, ContainerStatuses: []corev1.ContainerStatus{{
			Name: ContainerSandbox, State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: exit}}}}}}
	if exit != 0 {
		pod.Status.Phase = corev1.PodFailed
	}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: env.Namespace, Name: name, Labels: pod.Labels}}
	return pod, secret
}

// sweepRig is a dispatcher over a fake cluster with ended Pods, running until the test ends.
type sweepRig struct {
	env      *v1alpha1.Environment
	c        *gatedClient
	work     *fakeWork
	deletes  *gate
	stops    *gate
	warnings *warningLog
	d        *dispatcher
}

func newSweepRig(t *testing.T, limit int32, pods map[string]int32) *sweepRig {
	t.Helper()
	env := selfHosted(func(sh *v1alpha1.SelfHostedEnvironment) { sh.MaxConcurrentSandboxes = limit })
	objs := []client.Object{env}
	for name, exit := range pods {
		pod, secret := endedPod(env, name, exit)
		objs = append(objs, pod, secret)
	}
	inner := fake.NewClientBuilder().WithScheme(scheme.New()).WithObjects(objs...).
		WithStatusSubresource(&v1alpha1.Environment{}, &v1alpha1.Session{}).
		WithIndex(&v1alpha1.Session{}, IndexSessionID, sessionIDOf).Build()
	r := &sweepRig{env: env, deletes: newGate(), stops: newGate(), warnings: &warningLog{about: map[string]int{}}}
	r.c = &gatedClient{Client: inner, deletes: r.deletes}
	r.work = newFakeWork(r.stops)
	r.d = newDispatcher(r.c, inner, r.work, client.ObjectKeyFromObject(env),
		Options{StatusInterval: time.Hour, FailureBackoff: time.Second}, r.warnings, logr.Discard())
	return r
}

// start runs the dispatcher until the test ends; the gates are set up before.
func (r *sweepRig) start(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.d.run(ctx)
	}()
	t.Cleanup(func() {
		r.deletes.release()
		r.stops.release()
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("the dispatcher did not stop within 10s")
		}
	})
}

// waitFor polls cond every 10ms for up to 10s and reports whether it held.
func waitFor(cond func() bool) bool {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return cond()
}

func (r *sweepRig) podsLeft(t *testing.T) int {
	t.Helper()
	var list corev1.PodList
	if err := r.c.Client.List(context.Background(), &list); err != nil {
		t.Fatal(err)
	}
	return len(list.Items)
}

// A claim must not wait for the sweep's cleanups: while the deletes of ten ended sandboxes hang,
// an item queued meanwhile is claimed, and the deletes run in parallel, at most
// maxParallelCleanups at once.
func TestClaimDoesNotWaitForTheSweepsCleanups(t *testing.T) {
	pods := map[string]int32{}
	for i := range 10 {
		pods[fmt.Sprintf("done-%d", i)] = 0
	}
	r := newSweepRig(t, 20, pods)
	r.start(t)
	if !waitFor(func() bool { n, _ := r.deletes.stats(); return n > 0 }) {
		t.Fatal("the sweep deleted no ended sandbox within 10s")
	}
	r.work.enqueue("work-new", "sesn-new")
	select {
	case id := <-r.work.acked:
		if id != "work-new" {
			t.Fatalf("acknowledged %s, want work-new", id)
		}
	case <-time.After(5 * time.Second):
		n, _ := r.deletes.stats()
		t.Fatalf("the queued item was not claimed within 5s while %d cleanup calls hung: the claim waits for the sweep", n)
	}
	if !waitFor(func() bool { n, _ := r.deletes.stats(); return n == maxParallelCleanups }) {
		n, _ := r.deletes.stats()
		t.Fatalf("%d deletes in flight, want %d at once", n, maxParallelCleanups)
	}
	r.deletes.release()
	if !waitFor(func() bool { return r.podsLeft(t) == 1 }) {
		t.Fatalf("%d Pods left, want only the new claim's", r.podsLeft(t))
	}
	if _, most := r.deletes.stats(); most > maxParallelCleanups {
		t.Errorf("%d deletes ran at once, the bound is %d", most, maxParallelCleanups)
	}
}

// A sandbox whose cleanup is under way still counts against maxConcurrentSandboxes until its Pod
// is gone, and later sweeps do not start its cleanup again.
func TestSandboxBeingCleanedUpHoldsItsSlot(t *testing.T) {
	r := newSweepRig(t, 3, map[string]int32{"a": 0, "b": 0, "c": 1})
	r.work.enqueue("work-new", "sesn-new")
	r.start(t)
	if !waitFor(func() bool { n, _ := r.stops.stats(); return n == 1 }) {
		t.Fatal("the failed sandbox's work item was not being stopped within 10s")
	}
	if !waitFor(func() bool { n, _ := r.deletes.stats(); return n == 2 }) {
		n, _ := r.deletes.stats()
		t.Fatalf("%d deletes in flight, want the two ended sandboxes' Secrets", n)
	}
	sweeps := r.c.sweepCount()
	if !waitFor(func() bool { r.d.Nudge(); return r.c.sweepCount() >= sweeps+3 }) {
		t.Fatalf("the dispatcher swept %d times while the cleanups hung, want 3 more", r.c.sweepCount()-sweeps)
	}
	if n := r.work.pollCount(); n != 0 {
		t.Errorf("the dispatcher polled %d times while all three slots were held by sandboxes being cleaned up", n)
	}
	for _, name := range []string{"Secret/a", "Secret/b"} {
		if n := r.deletes.callsOf(name); n != 1 {
			t.Errorf("%s: %d deletes under way, want 1", name, n)
		}
	}
	if n := r.stops.callsOf("work-c"); n != 1 {
		t.Errorf("work-c: %d stops under way, want 1", n)
	}
	r.deletes.release()
	r.stops.release()
	select {
	case <-r.work.acked:
	case <-time.After(10 * time.Second):
		t.Fatal("no claim within 10s once the cleanups ended")
	}
	if n := r.warnings.count("c"); n != 1 {
		t.Errorf("%d Warnings about the failed Pod, want 1", n)
	}
}

// A cleanup that fails does not hold up the others, and is tried again on the next sweep; the
// failure it tells is told once.
func TestFailedCleanupIsRetriedAndDoesNotStopTheOthers(t *testing.T) {
	r := newSweepRig(t, 10, map[string]int32{"a": 1, "b": 1, "c": 0, "d": 0})
	r.deletes.failOnce["Secret/a"] = true
	r.stops.failOnce["work-b"] = true
	r.deletes.release()
	r.stops.release()
	r.start(t)
	if !waitFor(func() bool { return r.podsLeft(t) == 0 }) {
		t.Fatalf("%d Pods left after 10s, want none", r.podsLeft(t))
	}
	if n := r.deletes.callsOf("Secret/a"); n != 2 {
		t.Errorf("Secret a: %d deletes, want 2 (one failed, one retried)", n)
	}
	if n := r.work.stopped("work-a"); n < 1 {
		t.Errorf("work-a stopped %d times, want at least once", n)
	}
	if n := r.work.stopped("work-b"); n != 0 {
		t.Errorf("work-b stopped %d times; its Stop failed and its Pod went, so its lease lapses", n)
	}
	for _, name := range []string{"a", "b"} {
		if n := r.warnings.count(name); n != 1 {
			t.Errorf("%d Warnings about Pod %s, want 1", n, name)
		}
	}
}
