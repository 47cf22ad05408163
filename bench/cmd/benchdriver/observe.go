// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/scheme"
)

// observer watches Sessions and Events the way any client of the cluster would (informers), and
// records when each change became visible.
type observer struct {
	mu       sync.Mutex
	sessions map[string]*sessionObs // by Session name
	byID     map[string]*sessionObs // by remote session id
	// events holds when the Kubernetes Event of a session event (by the session event's id) appeared.
	events map[string]time.Time
}

// sessionObs is what was seen of one Session.
type sessionObs struct {
	name     string
	uid      string
	sent     time.Time // the create request was sent
	launched time.Time // status.id first seen
	running  time.Time // status.phase Running first seen
	id       string
	// counts are the increases of status.eventCount with when they were seen.
	counts []countObs
	// writes are the times of every change to the object (each is one write).
	writes []time.Time
}

type countObs struct {
	count int64
	at    time.Time
}

func newObserver() *observer {
	return &observer{sessions: map[string]*sessionObs{}, byID: map[string]*sessionObs{}, events: map[string]time.Time{}}
}

// start runs the informers until ctx ends and waits for their first sync.
func (o *observer) start(ctx context.Context, cfg *rest.Config, namespace string) error {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = 1000, 1000
	c, err := cache.New(cfg, cache.Options{Scheme: scheme.New(), DefaultNamespaces: map[string]cache.Config{namespace: {}}})
	if err != nil {
		return err
	}
	sessions, err := c.GetInformer(ctx, &v1alpha1.Session{})
	if err != nil {
		return err
	}
	if _, err := sessions.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { o.sessionChanged(obj, true) },
		UpdateFunc: func(_, obj any) { o.sessionChanged(obj, false) },
	}); err != nil {
		return err
	}
	meta := &metav1.PartialObjectMetadata{}
	meta.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Event"))
	events, err := c.GetInformer(ctx, meta)
	if err != nil {
		return err
	}
	if _, err := events.AddEventHandler(toolscache.ResourceEventHandlerFuncs{AddFunc: o.eventAdded}); err != nil {
		return err
	}
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		return ctx.Err()
	}
	return nil
}

// expect registers a Session about to be created.
func (o *observer) expect(name string, sent time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := o.session(name)
	s.sent = sent
}

func (o *observer) session(name string) *sessionObs {
	s := o.sessions[name]
	if s == nil {
		s = &sessionObs{name: name}
		o.sessions[name] = s
	}
	return s
}

func (o *observer) sessionChanged(obj any, added bool) {
	now := time.Now()
	sess, ok := obj.(*v1alpha1.Session)
	if !ok {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	s := o.session(sess.Name)
	s.uid = string(sess.UID)
	if !added {
		s.writes = append(s.writes, now)
	}
	if sess.Status.ID != "" && s.id == "" {
		s.id, s.launched = sess.Status.ID, now
		o.byID[s.id] = s
	}
	if sess.Status.Phase == v1alpha1.SessionRunning && s.running.IsZero() {
		s.running = now
	}
	if n := sess.Status.EventCount; len(s.counts) == 0 || n > s.counts[len(s.counts)-1].count {
		s.counts = append(s.counts, countObs{count: n, at: now})
	}
}

func (o *observer) eventAdded(obj any) {
	now := time.Now()
	m, ok := obj.(*metav1.PartialObjectMetadata)
	if !ok {
		return
	}
	id := m.Annotations["claude.anthropic.com/event-id"]
	if id == "" {
		return
	}
	o.mu.Lock()
	if _, seen := o.events[id]; !seen {
		o.events[id] = now
	}
	o.mu.Unlock()
}

// statusShows returns when the status of the session with remote id first counted at least seq events.
func (o *observer) statusShows(id string, seq int) (time.Time, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := o.byID[id]
	if s == nil {
		return time.Time{}, false
	}
	i := sort.Search(len(s.counts), func(i int) bool { return s.counts[i].count >= int64(seq) })
	if i == len(s.counts) {
		return time.Time{}, false
	}
	return s.counts[i].at, true
}

// eventSeen returns when the Kubernetes Event of a session event appeared.
func (o *observer) eventSeen(id string) (time.Time, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	t, ok := o.events[id]
	return t, ok
}

// snapshotSessions copies what was seen of the named Sessions.
func (o *observer) snapshotSessions(names []string) []sessionObs {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]sessionObs, 0, len(names))
	for _, n := range names {
		if s := o.sessions[n]; s != nil {
			cp := *s
			cp.counts = append([]countObs(nil), s.counts...)
			cp.writes = append([]time.Time(nil), s.writes...)
			out = append(out, cp)
		}
	}
	return out
}

// countAtLeast reports how many of the named sessions have a status eventCount ≥ want[id].
func (o *observer) countsReached(want map[string]int) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for id, seq := range want {
		if s := o.byID[id]; s != nil && len(s.counts) > 0 && s.counts[len(s.counts)-1].count >= int64(seq) {
			n++
		}
	}
	return n
}

// writesBetween counts Session writes observed in [from, to).
func (o *observer) writesBetween(from, to time.Time) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, s := range o.sessions {
		for _, t := range s.writes {
			if !t.Before(from) && t.Before(to) {
				n++
			}
		}
	}
	return n
}

// maxWritesPerSecond is the most writes one of the named Sessions got in any window of one second
// within [from, to).
func (o *observer) maxWritesPerSecond(names []string, from, to time.Time) int {
	return o.maxWritesIn(names, from, to, time.Second)
}

// maxWritesIn is the most writes one of the named Sessions got in any window of the given length
// within [from, to), as observed through the watch.
func (o *observer) maxWritesIn(names []string, from, to time.Time, window time.Duration) int {
	best := 0
	for _, s := range o.snapshotSessions(names) {
		var in []time.Time
		for _, t := range s.writes {
			if !t.Before(from) && t.Before(to) {
				in = append(in, t)
			}
		}
		j := 0
		for i := range in {
			for in[i].Sub(in[j]) >= window {
				j++
			}
			best = max(best, i-j+1)
		}
	}
	return best
}
