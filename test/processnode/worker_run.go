// SPDX-License-Identifier: Apache-2.0

package processnode

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// progress starts what may start now: the volumes, then the init containers one by one in order,
// then every main container.
func (w *podWorker) progress(ctx context.Context, now time.Time) {
	if w.volumes == nil && !w.setUpVolumes(ctx, now) {
		return
	}
	for _, c := range w.inits {
		if c.final && c.status.State.Terminated != nil && c.status.State.Terminated.ExitCode == 0 {
			continue
		}
		if c.proc == nil && !c.final {
			w.tryStart(ctx, c, now)
		}
		w.updatePhase()
		return // the next init container waits for this one
	}
	for _, c := range w.mains {
		if c.proc == nil && !c.final {
			w.tryStart(ctx, c, now)
		}
	}
	w.updatePhase()
}

// updatePhase recomputes the phase from the containers; a terminal phase never changes again.
func (w *podWorker) updatePhase() {
	if !isTerminalPhase(w.phase) {
		w.phase = podPhase(&w.pod.Spec, statusesOf(w.inits), statusesOf(w.mains), false)
	}
}

func statusesOf(cs []*container) []corev1.ContainerStatus {
	out := make([]corev1.ContainerStatus, len(cs))
	for i, c := range cs {
		out[i] = *c.status.DeepCopy()
	}
	return out
}

// setUpVolumes creates the Pod's directories and fills its volumes; a failure is reported as a
// FailedMount Event (once per distinct message) and retried.
func (w *podWorker) setUpVolumes(ctx context.Context, now time.Time) bool {
	for _, d := range []string{"rootfs", "home", "volumes"} {
		if err := os.MkdirAll(filepath.Join(w.dir, d), 0o755); err != nil {
			w.mountFailed(now, err.Error())
			return false
		}
	}
	b := volumeBuilder{objects: w.node.objects, pod: w.pod, dir: filepath.Join(w.dir, "volumes")}
	paths, err := b.build(ctx)
	if err != nil {
		w.mountFailed(now, err.Error())
		return false
	}
	w.volumes, w.mountError = paths, ""
	return true
}

func (w *podWorker) mountFailed(now time.Time, msg string) {
	if msg != w.mountError {
		w.log.Info("Pod volume setup failed; retrying", "error", msg)
		w.event(corev1.EventTypeWarning, "FailedMount", msg)
		w.mountError = msg
	}
	w.wakeAt(now.Add(retryInterval))
}

// delay is the back-off after n failures in a row: the configured start, doubling, capped.
func (w *podWorker) delay(n int) time.Duration {
	return backoff(n+1, w.node.cfg.RestartBackoff, w.node.cfg.MaxBackoff)
}

// tryStart "pulls" the image and starts the container's process, unless it is backing off.
func (w *podWorker) tryStart(ctx context.Context, c *container, now time.Time) {
	if now.Before(c.nextTry) {
		if ws := c.status.State.Waiting; ws != nil && ws.Reason == ReasonErrImagePull && !now.Before(c.showBackOffAt) {
			c.setWaiting(ReasonImagePullBackOff, fmt.Sprintf("Back-off pulling image %q", c.spec.Image))
		}
		if c.status.State.Waiting != nil && c.status.State.Waiting.Reason == ReasonErrImagePull {
			w.wakeAt(c.showBackOffAt)
		}
		w.wakeAt(c.nextTry)
		return
	}
	if w.holdPull(c, now) {
		return
	}
	if imagePullFails(c.spec.Image) {
		// ErrImagePull shows for a moment, then ImagePullBackOff until the next pull.
		c.failures++
		c.showBackOffAt = now.Add(pullErrorShown)
		c.nextTry = c.showBackOffAt.Add(w.delay(c.failures))
		msg := imagePullError(c.spec.Image)
		c.setWaiting(ReasonErrImagePull, msg)
		w.event(corev1.EventTypeWarning, "Failed", msg)
		w.wakeAt(c.showBackOffAt)
		return
	}
	spec, err := w.prepare(ctx, c)
	if err == nil {
		var p *process
		if p, err = startProcess(w.node.spawner, spec); err == nil {
			w.watchRun(c, p)
			return
		}
		err = &startError{msg: err.Error()}
	}
	w.startFailed(c, now, err)
}

// watchRun records a running process and watches for its exit.
func (w *podWorker) watchRun(c *container, p *process) {
	c.setRunning(p, fmt.Sprintf("processnode://%d", p.pid))
	w.log.V(1).Info("Started container", "container", c.spec.Name, "pid", p.pid)
	w.event(corev1.EventTypeNormal, "Pulled", fmt.Sprintf("Container image %q already present on machine (the process node runs commands on the host and ignores images)", c.spec.Image))
	w.event(corev1.EventTypeNormal, "Created", "Created container: "+c.spec.Name)
	w.event(corev1.EventTypeNormal, "Started", "Started container "+c.spec.Name)
	go func() {
		<-p.done
		w.exits <- exitEvent{c: c, proc: p} // never blocks: the channel has room for every container
	}()
}

// startFailed reports a container that could not start: a configuration the node cannot resolve yet
// waits and retries; a process that cannot be executed ends that run with exit code 128.
func (w *podWorker) startFailed(c *container, now time.Time, err error) {
	var cfgErr *configError
	var createErr *createError
	switch {
	case errors.As(err, &cfgErr), errors.As(err, &createErr):
		reason := ReasonCreateContainerConfigError
		if createErr != nil {
			reason = ReasonCreateContainerError
		}
		if ws := c.status.State.Waiting; ws == nil || ws.Message != err.Error() {
			w.event(corev1.EventTypeWarning, "Failed", "Error: "+err.Error())
		}
		c.failures++
		c.nextTry = now.Add(max(w.delay(c.failures), retryInterval))
		c.setWaiting(reason, err.Error())
		w.wakeAt(c.nextTry)
	default:
		w.event(corev1.EventTypeWarning, "Failed", "Error: "+err.Error())
		w.finishRun(c, now, &corev1.ContainerStateTerminated{
			ExitCode: 128, Reason: ReasonStartError, Message: err.Error(),
			StartedAt: metav1.NewTime(now), FinishedAt: metav1.NewTime(now),
		})
	}
}

// exited records the end of a container process.
func (w *podWorker) exited(ev exitEvent) {
	if ev.c.proc != ev.proc {
		return
	}
	c, res := ev.c, ev.proc.result
	w.log.V(1).Info("Container exited", "container", c.spec.Name, "exitCode", res.exitCode)
	term := &corev1.ContainerStateTerminated{
		ExitCode:    res.exitCode,
		Reason:      terminatedReason(res.exitCode),
		StartedAt:   metav1.NewTime(ev.proc.startedAt),
		FinishedAt:  metav1.NewTime(res.finishedAt),
		ContainerID: c.status.ContainerID,
	}
	if c.oomKilled {
		term.Reason, c.oomKilled = ReasonOOMKilled, false
	}
	term.Message = w.terminationMessage(c, res.exitCode)
	w.finishRun(c, res.finishedAt, term)
}

// finishRun applies the restart policy to a run that ended: the container either keeps that end as
// its final state, or shows it as its last state and waits to start again.
func (w *podWorker) finishRun(c *container, now time.Time, term *corev1.ContainerStateTerminated) {
	ranFor := term.FinishedAt.Sub(term.StartedAt.Time)
	c.proc = nil
	c.status.Ready, c.status.Started = false, ptr.To(false)
	if w.term.active || !shouldRestart(w.pod.Spec.RestartPolicy, c.init, term.ExitCode) {
		c.status.State = corev1.ContainerState{Terminated: term}
		c.final = true
		w.updatePhase()
		return
	}
	if ranFor > 2*w.node.cfg.MaxBackoff {
		c.failures = 0 // a container that ran for a while starts its back-off afresh
	}
	c.failures++
	c.status.LastTerminationState = corev1.ContainerState{Terminated: term}
	c.status.RestartCount++
	d := backoff(c.failures, w.node.cfg.RestartBackoff, w.node.cfg.MaxBackoff)
	c.nextTry = now.Add(d)
	c.setWaiting(ReasonCrashLoopBackOff, fmt.Sprintf("back-off %s restarting failed container=%s pod=%s_%s(%s)",
		d, c.spec.Name, w.pod.Name, w.pod.Namespace, w.pod.UID))
	if d > 0 {
		w.event(corev1.EventTypeWarning, "BackOff", "Back-off restarting failed container "+c.spec.Name+" in pod "+w.pod.Name)
	}
	w.wakeAt(c.nextTry)
	w.updatePhase()
}

// terminate starts stopping every process: SIGTERM now, SIGKILL after grace. Calling it again can
// only shorten the grace period, like a second delete with a shorter grace.
func (w *podWorker) terminate(now time.Time, grace time.Duration, deletion bool) {
	w.term.deletion = w.term.deletion || deletion
	killAt := now.Add(grace)
	if w.term.active {
		if killAt.Before(w.term.killAt) {
			w.term.killAt = killAt
		}
		return
	}
	w.term.active, w.term.killAt = true, killAt
	for _, c := range w.all() {
		if c.proc != nil {
			w.event(corev1.EventTypeNormal, "Killing", "Stopping container "+c.spec.Name)
			c.proc.signal(syscall.SIGTERM)
		}
	}
}

// progressTermination kills what outlived its grace period; once nothing runs, the containers that
// never ended get a terminated state, and a Pod that was not done yet gets its final phase.
func (w *podWorker) progressTermination(now time.Time) {
	if w.running() > 0 {
		if now.Before(w.term.killAt) {
			w.wakeAt(w.term.killAt)
			return
		}
		if !w.term.killed {
			w.term.killed = true
			for _, c := range w.all() {
				if c.proc != nil {
					c.proc.signal(syscall.SIGKILL)
				}
			}
		}
		return
	}
	for _, c := range w.all() {
		if c.status.State.Terminated == nil {
			c.status.State = corev1.ContainerState{Terminated: lostState(now)}
			if last := c.status.LastTerminationState.Terminated; last != nil {
				c.status.State = corev1.ContainerState{Terminated: last.DeepCopy()}
			}
			c.status.Ready, c.status.Started = false, ptr.To(false)
		}
	}
	if !isTerminalPhase(w.phase) {
		w.phase = podPhase(&w.pod.Spec, statusesOf(w.inits), statusesOf(w.mains), true)
	}
}

// stopForNodeShutdown stops every process when the node itself stops: SIGTERM, then SIGKILL after
// the node's stop grace. Nothing is written to the API, as when a kubelet dies.
func (w *podWorker) stopForNodeShutdown() {
	if w.running() == 0 {
		return
	}
	for _, c := range w.all() {
		if c.proc != nil {
			c.proc.signal(syscall.SIGTERM)
		}
	}
	timer := time.NewTimer(min(w.node.cfg.StopGrace, podGrace(w.pod)))
	defer timer.Stop()
	for w.running() > 0 {
		select {
		case ev := <-w.exits:
			ev.c.proc = nil
		case <-timer.C:
			for _, c := range w.all() {
				if c.proc != nil {
					c.proc.signal(syscall.SIGKILL)
				}
			}
		}
	}
}

// adoptStatuses takes over the container statuses of an earlier run of the node. Processes do not
// survive the node, so a container it showed running is lost (ContainerStatusUnknown) and the
// restart policy decides what happens next; an init container that had completed stays completed.
func (w *podWorker) adoptStatuses(terminal bool) {
	now := time.Now()
	for _, set := range []struct {
		cs  []*container
		old []corev1.ContainerStatus
	}{{w.inits, w.pod.Status.InitContainerStatuses}, {w.mains, w.pod.Status.ContainerStatuses}} {
		for _, c := range set.cs {
			for _, old := range set.old {
				if old.Name == c.spec.Name {
					w.adoptStatus(c, old, terminal, now)
				}
			}
		}
	}
	w.updatePhase()
}

func (w *podWorker) adoptStatus(c *container, old corev1.ContainerStatus, terminal bool, now time.Time) {
	c.status.RestartCount = old.RestartCount
	c.status.LastTerminationState = *old.LastTerminationState.DeepCopy()
	c.status.ContainerID = old.ContainerID
	switch {
	case terminal:
		c.status, c.final = *old.DeepCopy(), true
	case old.State.Terminated != nil && c.init && old.State.Terminated.ExitCode == 0:
		c.status.State, c.final = *old.State.DeepCopy(), true
	case old.State.Terminated != nil:
		w.finishRun(c, now, old.State.Terminated.DeepCopy())
	case old.State.Running != nil:
		lost := lostState(now)
		lost.StartedAt, lost.ContainerID = old.State.Running.StartedAt, old.ContainerID
		w.finishRun(c, now, lost)
	}
}

func (w *podWorker) all() []*container {
	return append(append(make([]*container, 0, len(w.inits)+len(w.mains)), w.inits...), w.mains...)
}
