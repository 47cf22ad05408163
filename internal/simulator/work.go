// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"time"
)

// This file holds the work queue of self-hosted environments: the work items, their leases, and
// when sessions need one. The endpoints are in work_endpoints.go.
//
// A work item's life: queued (created for a session that needs a sandbox) -> polled (hidden from
// other polls for reclaim_older_than_ms, still queued) -> starting (acknowledged; the lease runs
// from the ack) -> active (first heartbeat) -> stopping (graceful stop) -> stopped. A lease that
// lapses without a heartbeat puts a starting or active item back in the queue, with no lease, so
// the worker that held it gets 412 on its next heartbeat; a stopping item whose lease lapses stops.

// Work item states.
const (
	workQueued   = "queued"
	workStarting = "starting"
	workActive   = "active"
	workStopping = "stopping"
	workStopped  = "stopped"
)

// Lease and queue timings. The TTL bounds are the API's documented clamp of desired_ttl_seconds.
const (
	DefaultWorkLeaseTTL   = 120 * time.Second
	maxWorkLeaseTTL       = 600 * time.Second
	minWorkLeaseTTL       = 10 * time.Second
	defaultReclaimAfter   = 5 * time.Second
	workersPollingWindow  = 30 * time.Second
	noHeartbeat           = "NO_HEARTBEAT"
	environmentKeyPrefix  = "simenvkey_"
	sessionsTokenPrefix   = "simsesstok_"
	workSecretIngressPart = "siming_"
)

type workItem struct {
	id        string
	envID     string
	sessionID string
	state     string
	metadata  map[string]string
	createdAt time.Time

	polledAt                  time.Time // last delivery by a poll; zero when re-queued
	ackedAt, startedAt        *time.Time
	latestHeartbeatAt         *time.Time
	stopRequestedAt, stopped  *time.Time
	lastHeartbeat             string // the lease token; "" before the first heartbeat
	leaseTTL                  time.Duration
	leaseExpires              time.Time
	secret, sessionsToken     string
	deliveries, leaseRequeues int
}

func (w *workItem) live() bool { return w.state != workStopped }

// leased reports whether a worker holds the item: it was acknowledged and not re-queued or stopped.
func (w *workItem) leased() bool {
	return w.state == workStarting || w.state == workActive || w.state == workStopping
}

func (w *workItem) render(withSecret bool) map[string]any {
	secret := any(nil)
	if withSecret {
		secret = w.secret
	}
	return map[string]any{
		"type":                "work",
		"id":                  w.id,
		"environment_id":      w.envID,
		"data":                map[string]any{"type": "session", "id": w.sessionID},
		"state":               w.state,
		"metadata":            copyStrings(w.metadata),
		"secret":              secret,
		"created_at":          stamp(w.createdAt),
		"acknowledged_at":     stampOrNull(w.ackedAt),
		"started_at":          stampOrNull(w.startedAt),
		"latest_heartbeat_at": stampOrNull(w.latestHeartbeatAt),
		"stop_requested_at":   stampOrNull(w.stopRequestedAt),
		"stopped_at":          stampOrNull(w.stopped),
	}
}

// leaseState is the server's view of a lease, which a 412 carries as error.details.current_state.
func (w *workItem) leaseState() map[string]any {
	var last, updated any
	if w.lastHeartbeat != "" {
		last, updated = w.lastHeartbeat, stamp(*w.latestHeartbeatAt)
	}
	return map[string]any{"state": w.state, "last_heartbeat": last, "lease_updated_at": updated,
		"lease_extended": false, "ttl_seconds": int64(w.leaseTTL / time.Second)}
}

// workQueue is a self-hosted environment's share of the queue.
type workQueue struct {
	items   []*workItem          // every item, oldest first
	pollers map[string]time.Time // worker id -> last poll
	// changed is closed and replaced whenever an item may have become pollable, to wake long polls.
	changed chan struct{}
}

func newWorkQueue() *workQueue {
	return &workQueue{pollers: map[string]time.Time{}, changed: make(chan struct{})}
}

func (q *workQueue) signal() {
	close(q.changed)
	q.changed = make(chan struct{})
}

func randomToken(prefix string) string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// newWorkSecret builds a work item's secret the way the API shapes it: URL-safe base64 of a JSON
// payload whose sessions_token authorizes the item's own heartbeat, stop and session calls.
func newWorkSecret() (secret, sessionsToken string) {
	sessionsToken = randomToken(sessionsTokenPrefix)
	payload, _ := json.Marshal(map[string]string{
		"sessions_token":        sessionsToken,
		"session_ingress_token": randomToken(workSecretIngressPart),
	})
	return base64.RawURLEncoding.EncodeToString(payload), sessionsToken
}

// selfHostedLocked reports whether the session's environment is self-hosted.
func (s *Server) selfHostedLocked(sess *session) bool {
	env := s.envs[sess.envID]
	return env != nil && env.queue != nil
}

// liveWorkLocked returns the session's item that is not stopped, or nil.
func (s *Server) liveWorkLocked(sess *session) *workItem {
	env := s.envs[sess.envID]
	if env == nil || env.queue == nil {
		return nil
	}
	for _, w := range env.queue.items {
		if w.sessionID == sess.id && w.live() {
			return w
		}
	}
	return nil
}

// ensureWorkLocked queues a work item for a session on a self-hosted environment that needs a
// sandbox and has no live item: on creation, on a new message, and while a turn waits for a tool
// result that only a sandbox can produce.
func (s *Server) ensureWorkLocked(sess *session) {
	env := s.envs[sess.envID]
	if env == nil || env.queue == nil || sess.archivedAt != nil || sess.status == StatusTerminated ||
		s.liveWorkLocked(sess) != nil {
		return
	}
	secret, token := newWorkSecret()
	w := &workItem{id: s.ids.next("work_"), envID: env.id, sessionID: sess.id, state: workQueued,
		metadata: map[string]string{}, createdAt: s.now(), secret: secret, sessionsToken: token}
	env.queue.items = append(env.queue.items, w)
	s.workItems[w.id] = w
	s.tokens[token] = w
	env.queue.signal()
}

// sweepLocked applies every lease that lapsed by now: a starting or active item goes back to the
// queue, a stopping one stops.
func (s *Server) sweepLocked(env *environment) {
	now := s.now()
	for _, w := range env.queue.items {
		if w.leased() && !w.leaseExpires.After(now) {
			s.lapseLocked(env, w)
		}
	}
}

// lapseLocked ends the lease of a leased item as if it had run out.
func (s *Server) lapseLocked(env *environment, w *workItem) {
	if w.state == workStopping {
		s.stopWorkLocked(env, w)
		return
	}
	w.state, w.polledAt, w.leaseExpires = workQueued, time.Time{}, time.Time{}
	w.ackedAt, w.startedAt, w.latestHeartbeatAt, w.lastHeartbeat = nil, nil, nil, ""
	w.leaseRequeues++
	env.queue.signal()
}

// stopWorkLocked stops an item: its secret stops working. A session whose turn still waits for a
// sandbox gets a new item, so that the turn can finish in another sandbox.
func (s *Server) stopWorkLocked(env *environment, w *workItem) {
	if !w.live() {
		return
	}
	now := s.now()
	w.state, w.stopped, w.leaseExpires = workStopped, &now, time.Time{}
	delete(s.tokens, w.sessionsToken)
	if sess := s.sessions[w.sessionID]; sess != nil && sess.waitsForSandbox() {
		s.ensureWorkLocked(sess)
	}
	env.queue.signal()
}

// stopSessionWorkLocked stops every live item of a session that can no longer use a sandbox
// (archived or deleted).
func (s *Server) stopSessionWorkLocked(sess *session) {
	env := s.envs[sess.envID]
	if env == nil || env.queue == nil {
		return
	}
	for _, w := range env.queue.items {
		if w.sessionID == sess.id {
			s.stopWorkLocked(env, w)
		}
	}
}

// nextHeartbeatToken returns a new lease token: the RFC 3339 time of the heartbeat, made strictly
// later than the previous token so that two heartbeats never share one.
func (s *Server) nextHeartbeatToken(w *workItem) (string, time.Time) {
	now := s.now()
	if w.latestHeartbeatAt != nil && !now.After(*w.latestHeartbeatAt) {
		now = w.latestHeartbeatAt.Add(time.Microsecond)
	}
	return stamp(now), now
}
