// SPDX-License-Identifier: Apache-2.0

// Package sessionstream is the operator's event stream runtime. The Pump holds one Stream per
// followed remote session, outside Reconcile. Each Stream connects the live stream first, then folds
// the full history and the live events (deduplicated) into a sessionevents.State, writes one
// Kubernetes Event per notable event before counting it, and wakes the Session reconciler, which
// turns the state into status. The Pump also owns the one clock that decides when a change that
// comes only from the stream is written to status (see WriteDelay). It runs only on the leader.
package sessionstream

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/metrics"
)

// Pump holds the streams of the followed sessions.
type Pump struct {
	events *EventWriter
	notify chan event.GenericEvent
	// refresh carries the coalesced wakes of events that change only what status shows. The
	// controller queues them at low priority, behind launches and what users ask for in the spec: with
	// a thousand streaming sessions, an approval must not wait behind a thousand status refreshes.
	refresh chan event.GenericEvent
	// interval is the least time between two status writes of one session that carry only what
	// its stream saw; it adapts to the API server's latency (interval.go).
	interval *adaptiveInterval
	// defaultPolicy is the Event policy of Sessions that set none.
	defaultPolicy v1alpha1.EventPolicy
	// now is the clock of the status interval (a fake one in tests).
	now func() time.Time

	mu      sync.Mutex
	ctx     context.Context
	streams map[types.NamespacedName]*Stream
}

// PumpOptions configure a Pump.
type PumpOptions struct {
	// StatusInterval is the least time between two stream-only status writes of one session, and
	// MaxStatusInterval how far it may back off while status patches are slow (at most
	// StatusInterval when unset: a fixed interval). Zero writes every change at once.
	StatusInterval, MaxStatusInterval time.Duration
	// EventPolicy is the Event policy of Sessions that set none (All when unset).
	EventPolicy v1alpha1.EventPolicy
	// Now is the clock of the status interval; time.Now when unset.
	Now func() time.Time
}

// NewPump returns a Pump that writes Kubernetes Events with kube and lets stream-only status
// changes be written at most once per statusInterval per session.
func NewPump(kube client.Client, statusInterval time.Duration) *Pump {
	return NewPumpWith(kube, PumpOptions{StatusInterval: statusInterval})
}

// NewPumpWith returns a Pump with the given options.
func NewPumpWith(kube client.Client, opts PumpOptions) *Pump {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.EventPolicy == "" {
		opts.EventPolicy = v1alpha1.EventPolicyAll
	}
	return &Pump{
		events:        &EventWriter{Client: kube},
		notify:        make(chan event.GenericEvent, 1024),
		refresh:       make(chan event.GenericEvent, 1024),
		interval:      newAdaptiveInterval(opts.StatusInterval, opts.MaxStatusInterval, opts.Now),
		defaultPolicy: opts.EventPolicy,
		now:           opts.Now,
		streams:       map[types.NamespacedName]*Stream{},
	}
}

// Wakes carries the sessions whose reconciler must look now: a status change, user input, an error.
func (p *Pump) Wakes() <-chan event.GenericEvent { return p.notify }

// Refreshes carries the sessions whose status is due for a coalesced write, to queue at low priority.
func (p *Pump) Refreshes() <-chan event.GenericEvent { return p.refresh }

// NeedLeaderElection makes the pump run only on the leader, like the controllers.
func (p *Pump) NeedLeaderElection() bool { return true }

// Start runs until ctx ends, then stops every stream. Status is not lost: it is rebuilt from the
// remote history by whichever replica leads next.
func (p *Pump) Start(ctx context.Context) error {
	p.mu.Lock()
	p.ctx = ctx
	p.mu.Unlock()
	<-ctx.Done()
	p.mu.Lock()
	streams := p.streams
	p.streams = map[types.NamespacedName]*Stream{}
	p.mu.Unlock()
	for _, s := range streams {
		s.stop()
	}
	return nil
}

// Follow returns the stream of a launched session, starting it unless it runs already with the
// same remote session and client. A different client means the API key was rotated: the stream
// restarts with the new one, so a stream never keeps a revoked key. It returns nil until the pump
// has started.
func (p *Pump) Follow(sess *v1alpha1.Session, api managedagents.Client) *Stream {
	key := client.ObjectKeyFromObject(sess)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ctx == nil || p.ctx.Err() != nil {
		return nil
	}
	if s, ok := p.streams[key]; ok {
		same := s.sessionID == sess.Status.ID && s.target.UID == sess.UID && s.api == api
		// A stream that ended because the session ended stays, so the reconciler reads its final state.
		if same && (!s.isDone() || s.Snapshot().Ended) {
			s.setPolicy(p.policyFor(sess))
			return s
		}
		s.stop()
	}
	ctx, cancel := context.WithCancel(p.ctx)
	// Status counts only events whose Kubernetes Events exist (see apply), so Events resume after it.
	s := &Stream{
		key: key, sessionID: sess.Status.ID, api: api, pump: p, cancel: cancel,
		done: make(chan struct{}), emitted: sess.Status.EventCount, policy: p.policyFor(sess),
		target: Target{Name: sess.Name, Namespace: sess.Namespace, UID: sess.UID},
	}
	p.streams[key] = s
	metrics.StreamsOpen.Set(float64(len(p.streams)))
	go s.run(ctx)
	return s
}

// Get returns the stream of a session, if one is held.
func (p *Pump) Get(key types.NamespacedName) *Stream {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.streams[key]
}

// Stop ends a session's stream; finished and deleted sessions hold none.
func (p *Pump) Stop(key types.NamespacedName) {
	p.mu.Lock()
	s := p.streams[key]
	delete(p.streams, key)
	metrics.StreamsOpen.Set(float64(len(p.streams)))
	p.mu.Unlock()
	if s != nil {
		s.stop()
	}
}

// wake asks the reconciler to look at a session now.
func (p *Pump) wake(key types.NamespacedName) { p.send(p.notify, key) }

// wakeToRefresh asks the reconciler to write what status shows, at low priority.
func (p *Pump) wakeToRefresh(key types.NamespacedName) { p.send(p.refresh, key) }

func (p *Pump) send(ch chan<- event.GenericEvent, key types.NamespacedName) {
	obj := &v1alpha1.Session{}
	obj.Name, obj.Namespace = key.Name, key.Namespace
	select {
	case ch <- event.GenericEvent{Object: obj}:
	case <-time.After(5 * time.Second):
		// The reconciler is far behind; its own requeues will pick the state up.
	}
}

// Reconnect backoff: jittered, doubling from 500ms to 10s, reset after 5s of healthy streaming.
const (
	minBackoff    = 500 * time.Millisecond
	maxBackoff    = 10 * time.Second
	healthyStreak = 5 * time.Second
)

func jittered(d time.Duration) time.Duration {
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// sleepCtx waits d or until ctx ends; it reports whether ctx is still alive.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
