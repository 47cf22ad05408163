// SPDX-License-Identifier: Apache-2.0

package sandbox_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/anthropics/managed-agents-operator/internal/sandbox"
	"github.com/anthropics/managed-agents-operator/internal/scheme"
)

// podWatch follows a namespace's sandbox Pods through a watch, so that a test sees every Pod that
// ever existed and every moment at which several existed at once, however briefly: a Pod exists
// from its creation until its deletion completes (terminating Pods count).
type podWatch struct {
	mu        sync.Mutex
	live      map[string]*corev1.Pod // by name
	names     map[string]bool        // every Pod seen
	firstSeen map[string]time.Time   // when each Pod was first seen
	max       int                    // most Pods at once
	maxOfWork map[string]int         // most Pods at once per work item
	maxOfSess map[string]int         // most running sandbox containers at once per session
	workPods  map[string]map[string]bool
	cancel    context.CancelFunc
	done      chan struct{}
}

// watchPods starts following ns's sandbox Pods until the test ends.
func watchPods(t *testing.T, ns string) *podWatch {
	t.Helper()
	wc, err := client.NewWithWatch(testEnv.Config, client.Options{Scheme: scheme.New()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	pw := &podWatch{live: map[string]*corev1.Pod{}, names: map[string]bool{}, firstSeen: map[string]time.Time{}, maxOfWork: map[string]int{},
		maxOfSess: map[string]int{}, workPods: map[string]map[string]bool{}, cancel: cancel, done: make(chan struct{})}
	started := make(chan error, 1)
	go pw.run(ctx, wc, ns, started)
	if err := <-started; err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(pw.stop)
	return pw
}

func (pw *podWatch) stop() {
	pw.cancel()
	<-pw.done
}

// run lists, then watches from the list's version; a watch that the server ends is started again
// from a new list, so that nothing is missed for long.
func (pw *podWatch) run(ctx context.Context, wc client.WithWatch, ns string, started chan<- error) {
	defer close(pw.done)
	sel := client.MatchingLabels{sandbox.LabelComponent: sandbox.ComponentSandbox}
	first := true
	for ctx.Err() == nil {
		var list corev1.PodList
		err := wc.List(ctx, &list, client.InNamespace(ns), sel)
		var w watch.Interface
		if err == nil {
			w, err = wc.Watch(ctx, &corev1.PodList{}, client.InNamespace(ns), sel)
		}
		if first {
			started <- err
			first = false
			if err != nil {
				return
			}
		}
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		pw.reset(list.Items)
		for ev := range w.ResultChan() {
			pod, ok := ev.Object.(*corev1.Pod)
			if !ok {
				continue
			}
			pw.observe(ev.Type, pod)
		}
		w.Stop()
	}
}

func (pw *podWatch) reset(pods []corev1.Pod) {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	pw.live = map[string]*corev1.Pod{}
	for i := range pods {
		pw.addLocked(&pods[i])
	}
	pw.recordLocked()
}

func (pw *podWatch) observe(t watch.EventType, pod *corev1.Pod) {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	switch t {
	case watch.Added, watch.Modified:
		pw.addLocked(pod)
	case watch.Deleted:
		delete(pw.live, pod.Name)
	}
	pw.recordLocked()
}

func (pw *podWatch) addLocked(pod *corev1.Pod) {
	pw.live[pod.Name] = pod
	pw.names[pod.Name] = true
	if _, ok := pw.firstSeen[pod.Name]; !ok {
		pw.firstSeen[pod.Name] = time.Now()
	}
	work := pod.Labels[sandbox.LabelWorkID]
	if pw.workPods[work] == nil {
		pw.workPods[work] = map[string]bool{}
	}
	pw.workPods[work][pod.Name] = true
}

// recordLocked updates the maxima from the Pods that exist now.
func (pw *podWatch) recordLocked() {
	pw.max = max(pw.max, len(pw.live))
	ofWork, ofSess := map[string]int{}, map[string]int{}
	for _, p := range pw.live {
		ofWork[p.Labels[sandbox.LabelWorkID]]++
		if sandboxRunning(p) {
			ofSess[p.Labels[sandbox.LabelSessionID]]++
		}
	}
	for k, n := range ofWork {
		pw.maxOfWork[k] = max(pw.maxOfWork[k], n)
	}
	for k, n := range ofSess {
		pw.maxOfSess[k] = max(pw.maxOfSess[k], n)
	}
}

// sandboxRunning reports whether the Pod's sandbox container runs (its runner can run tools).
func sandboxRunning(p *corev1.Pod) bool {
	for _, cs := range p.Status.ContainerStatuses {
		if cs.Name == sandbox.ContainerSandbox && cs.State.Running != nil {
			return true
		}
	}
	return false
}

// snapshot returns the watch's findings so far.
type podFindings struct {
	total, max          int
	maxOfWork           map[string]int // work id -> most Pods at once
	maxRunningOfSession map[string]int // session id -> most running sandboxes at once
	podsOfWork          map[string]int // work id -> Pods ever
}

func (pw *podWatch) findings() podFindings {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	f := podFindings{total: len(pw.names), max: pw.max, maxOfWork: map[string]int{}, maxRunningOfSession: map[string]int{},
		podsOfWork: map[string]int{}}
	for k, v := range pw.maxOfWork {
		f.maxOfWork[k] = v
	}
	for k, v := range pw.maxOfSess {
		f.maxRunningOfSession[k] = v
	}
	for k, v := range pw.workPods {
		f.podsOfWork[k] = len(v)
	}
	return f
}

// seenTimes returns when each Pod was first seen, in the order they were.
func (pw *podWatch) seenTimes() []time.Time {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	out := make([]time.Time, 0, len(pw.firstSeen))
	for _, at := range pw.firstSeen {
		out = append(out, at)
	}
	slices.SortFunc(out, time.Time.Compare)
	return out
}

// running returns a Pod of the session whose sandbox container runs, or nil.
func (pw *podWatch) running(sessionID string) *corev1.Pod {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	for _, p := range pw.live {
		if sandboxRunning(p) && p.DeletionTimestamp.IsZero() && p.Labels[sandbox.LabelSessionID] == sessionID {
			return p.DeepCopy()
		}
	}
	return nil
}

// checkNoOverlap fails the test when a work item had two Pods at once or a session had two running
// sandboxes at once.
func (f podFindings) checkNoOverlap(t *testing.T) {
	t.Helper()
	for work, n := range f.maxOfWork {
		if n > 1 {
			t.Errorf("work item %s had %d Pods at once", work, n)
		}
	}
	for sess, n := range f.maxRunningOfSession {
		if n > 1 {
			t.Errorf("session %s had %d running sandboxes at once", sess, n)
		}
	}
}
