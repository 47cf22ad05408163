// SPDX-License-Identifier: Apache-2.0

package processnode

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const (
	// minKillGrace is the shortest time between SIGTERM and SIGKILL, the kubelet's minimum too.
	minKillGrace = 2 * time.Second
	// retryInterval paces retries of failed API writes and volume setup.
	retryInterval = time.Second
	// pullErrorShown is how long ErrImagePull shows before ImagePullBackOff, as after a kubelet sync.
	pullErrorShown = time.Second
)

// podWorker runs one Pod: it is the only goroutine that touches the Pod's processes and state.
// The informer hands it new versions of the Pod through update; every change, process exit and
// timer makes it sync once, level-triggered.
type podWorker struct {
	node *Node
	dir  string
	log  logr.Logger

	mu      sync.Mutex
	latest  *corev1.Pod
	removed bool                     // the Pod is gone from the API
	view    map[string]containerView // what the logs endpoint may know, by container name
	actions []func()                 // hooks (OOMKill, Evict) to run on the worker goroutine
	notify  chan struct{}            // capacity 1: "something changed"
	done    chan struct{}            // closed when run returns

	// Everything below belongs to the run goroutine.
	pod          *corev1.Pod // the version this sync works from
	inits, mains []*container
	exits        chan exitEvent
	started      bool
	startTime    metav1.Time
	volumes      map[string]string // volume name -> directory, nil until set up
	mountError   string
	phase        corev1.PodPhase // sticky once terminal
	reason, msg  string
	term         termination
	deleted      bool // the grace-0 delete went through
	evicted      bool // Evict ended the Pod: it gets a DisruptionTarget condition
	wake         time.Time
	lastPushed   *corev1.PodStatus
}

// containerView is what the logs endpoint needs to know about a container.
type containerView struct {
	restarts int32
	running  bool
	waiting  string // the waiting reason, when not running and never ran
}

// termination is the state of stopping the Pod's processes.
type termination struct {
	active   bool
	killAt   time.Time // SIGKILL whatever still runs
	killed   bool
	deletion bool // stopping because the Pod is being deleted
}

// exitEvent is a container process that ended.
type exitEvent struct {
	c    *container
	proc *process
}

func newPodWorker(n *Node, pod *corev1.Pod) *podWorker {
	w := &podWorker{
		node:   n,
		dir:    filepath.Join(n.cfg.RootDir, "pods", string(pod.UID)),
		log:    n.log.WithValues("pod", pod.Namespace+"/"+pod.Name, "podUID", pod.UID),
		latest: pod,
		view:   map[string]containerView{},
		notify: make(chan struct{}, 1),
		done:   make(chan struct{}),
	}
	for i := range pod.Spec.InitContainers {
		w.inits = append(w.inits, newContainer(&pod.Spec.InitContainers[i], true, false))
	}
	for i := range pod.Spec.Containers {
		w.mains = append(w.mains, newContainer(&pod.Spec.Containers[i], false, len(pod.Spec.InitContainers) > 0))
	}
	w.exits = make(chan exitEvent, len(w.inits)+len(w.mains)) // one running process per container at most
	return w
}

// update hands the worker a newer version of its Pod.
func (w *podWorker) update(pod *corev1.Pod) {
	w.mu.Lock()
	w.latest = pod
	w.mu.Unlock()
	w.poke()
}

// markRemoved tells the worker that the Pod is gone from the API.
func (w *podWorker) markRemoved() {
	w.mu.Lock()
	w.removed = true
	w.mu.Unlock()
	w.poke()
}

func (w *podWorker) poke() {
	select {
	case w.notify <- struct{}{}:
	default:
	}
}

// run is the worker's loop; it returns when the Pod is gone and its processes have ended, or when
// the node stops (after stopping the processes).
func (w *podWorker) run(ctx context.Context) {
	defer close(w.done)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		removed := w.sync(ctx)
		if removed && w.running() == 0 {
			w.log.V(1).Info("Pod is gone; removing its files")
			_ = os.RemoveAll(w.dir)
			return
		}
		resetTimer(timer, w.wake)
		select {
		case <-ctx.Done():
			w.stopForNodeShutdown()
			return
		case <-w.notify:
		case ev := <-w.exits:
			w.exited(ev)
		case <-timer.C:
		}
	}
}

func resetTimer(t *time.Timer, at time.Time) {
	t.Stop()
	select {
	case <-t.C:
	default:
	}
	d := time.Hour
	if !at.IsZero() {
		d = max(time.Until(at), 0)
	}
	t.Reset(d)
}

// wakeAt asks for a sync no later than at.
func (w *podWorker) wakeAt(at time.Time) {
	if w.wake.IsZero() || at.Before(w.wake) {
		w.wake = at
	}
}

// sync brings the Pod one step closer to what its spec and deletion state ask for, and reports
// whether the Pod is gone from the API.
func (w *podWorker) sync(ctx context.Context) (removed bool) {
	w.mu.Lock()
	w.pod, removed = w.latest, w.removed
	actions := w.actions
	w.actions = nil
	w.mu.Unlock()
	w.wake = time.Time{}
	now := time.Now()
	if !w.started {
		w.start(now)
	}
	for _, action := range actions {
		action()
	}
	switch {
	case removed:
		w.terminate(now, minKillGrace, false)
	case w.pod.DeletionTimestamp != nil:
		w.terminate(now, deletionGrace(w.pod), true)
	case !isTerminalPhase(w.phase):
		w.checkDeadline(now)
	}
	if w.term.active {
		w.progressTermination(now)
	} else if !isTerminalPhase(w.phase) {
		w.progress(ctx, now)
	}
	w.publishView()
	if !removed && !w.deleted {
		w.pushStatus(ctx)
		w.finishDeletion(ctx)
	}
	return removed
}

// deletionGrace is how long the Pod's containers get after SIGTERM, at least minKillGrace.
func deletionGrace(pod *corev1.Pod) time.Duration {
	grace := time.Duration(30) * time.Second
	if pod.DeletionGracePeriodSeconds != nil {
		grace = time.Duration(*pod.DeletionGracePeriodSeconds) * time.Second
	}
	return max(grace, minKillGrace)
}

// start sets the Pod's start time and takes over what an earlier run of the node left in its
// status, then rejects the Pod when it asks for what the node cannot do.
func (w *podWorker) start(now time.Time) {
	w.started = true
	w.startTime = metav1.NewTime(now)
	if w.pod.Status.StartTime != nil {
		w.startTime = *w.pod.Status.StartTime
	}
	if isTerminalPhase(w.pod.Status.Phase) {
		w.phase, w.reason, w.msg = w.pod.Status.Phase, w.pod.Status.Reason, w.pod.Status.Message
		w.adoptStatuses(true)
		return
	}
	w.adoptStatuses(false)
	if why := unsupportedReason(w.pod); why != "" {
		w.phase, w.reason, w.msg = corev1.PodFailed, ReasonUnsupported, "The process node cannot run this Pod: "+why
		w.event(corev1.EventTypeWarning, ReasonUnsupported, w.msg)
	}
}

// checkDeadline fails the Pod once it has been active longer than activeDeadlineSeconds.
func (w *podWorker) checkDeadline(now time.Time) {
	secs := w.pod.Spec.ActiveDeadlineSeconds
	if secs == nil {
		return
	}
	deadline := w.startTime.Add(time.Duration(*secs) * time.Second)
	if now.Before(deadline) {
		w.wakeAt(deadline)
		return
	}
	w.phase, w.reason = corev1.PodFailed, ReasonDeadlineExceeded
	w.msg = "Pod was active on the node longer than the specified deadline"
	w.event(corev1.EventTypeNormal, ReasonDeadlineExceeded, w.msg)
	w.terminate(now, podGrace(w.pod), false)
}

// podGrace is the Pod's terminationGracePeriodSeconds, at least minKillGrace.
func podGrace(pod *corev1.Pod) time.Duration {
	grace := 30 * time.Second
	if pod.Spec.TerminationGracePeriodSeconds != nil {
		grace = time.Duration(*pod.Spec.TerminationGracePeriodSeconds) * time.Second
	}
	return max(grace, minKillGrace)
}

// publishView copies what the logs endpoint needs under the lock.
func (w *podWorker) publishView() {
	view := make(map[string]containerView, len(w.inits)+len(w.mains))
	for _, c := range append(append([]*container{}, w.inits...), w.mains...) {
		v := containerView{restarts: c.status.RestartCount, running: c.proc != nil}
		if c.status.State.Waiting != nil && c.status.LastTerminationState.Terminated == nil {
			v.waiting = c.status.State.Waiting.Reason
		}
		view[c.spec.Name] = v
	}
	w.mu.Lock()
	w.view = view
	w.mu.Unlock()
}

// containerView returns what the logs endpoint may know about a container.
func (w *podWorker) containerView(name string) (containerView, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	v, ok := w.view[name]
	return v, ok
}

// running counts the containers with a live process.
func (w *podWorker) running() int {
	n := 0
	for _, c := range append(append([]*container{}, w.inits...), w.mains...) {
		if c.proc != nil {
			n++
		}
	}
	return n
}

func (w *podWorker) event(eventType, reason, msg string) {
	w.node.recorder.Event(w.pod, eventType, reason, msg)
}
