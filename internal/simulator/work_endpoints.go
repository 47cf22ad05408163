// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// noContent is what an endpoint returns to answer 204 with no body, as the API's work stop does.
type noContent struct{}

// queueLocked returns a self-hosted environment's queue, after applying lapsed leases.
func (s *Server) queueLocked(envID string) (*environment, *apiError) {
	env, err := s.envLocked(envID)
	if err != nil {
		return nil, err
	}
	if env.queue == nil {
		return nil, errBadRequest("environment %s is not self_hosted: it has no work queue", envID)
	}
	s.sweepLocked(env)
	return env, nil
}

// onWork runs fn under s.mu on the work item that the request's path names.
func (s *Server) onWork(r *http.Request, fn func(env *environment, w *workItem) (any, *apiError)) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	env, w, err := s.workLocked(r)
	if err != nil {
		return nil, err
	}
	return fn(env, w)
}

func (s *Server) workLocked(r *http.Request) (*environment, *workItem, *apiError) {
	env, err := s.queueLocked(r.PathValue("id"))
	if err != nil {
		return nil, nil, err
	}
	w := s.workItems[r.PathValue("work_id")]
	if w == nil || w.envID != env.id {
		return nil, nil, errNotFound("work item %s not found", r.PathValue("work_id"))
	}
	return env, w, nil
}

// pollParams are a poll's block_ms and reclaim_older_than_ms.
func pollParams(q url.Values) (block, reclaim time.Duration, err *apiError) {
	reclaim = defaultReclaimAfter
	if v := q.Get("block_ms"); v != "" {
		n, e := strconv.ParseInt(v, 10, 64)
		if e != nil || n < 1 || n > 999 {
			return 0, 0, errBadRequest("block_ms: must be an integer from 1 to 999")
		}
		block = time.Duration(n) * time.Millisecond
	}
	if v := q.Get("reclaim_older_than_ms"); v != "" {
		n, e := strconv.ParseInt(v, 10, 64)
		if e != nil || n < 1 {
			return 0, 0, errBadRequest("reclaim_older_than_ms: must be a positive integer")
		}
		reclaim = time.Duration(n) * time.Millisecond
	}
	return block, reclaim, nil
}

// pollWork serves GET /v1/environments/{id}/work/poll: the oldest queued item that no poll
// delivered within the reclaim window, waiting up to block_ms for one; JSON null when none came.
func (s *Server) pollWork(r *http.Request) (any, *apiError) {
	block, reclaim, err := pollParams(r.URL.Query())
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(block)
	for {
		s.mu.Lock()
		env, err := s.queueLocked(r.PathValue("id"))
		if err != nil {
			s.mu.Unlock()
			return nil, err
		}
		now := s.now()
		if id := r.Header.Get("Anthropic-Worker-ID"); id != "" {
			env.queue.pollers[id] = now
		}
		for _, w := range env.queue.items {
			if w.state == workQueued && (w.polledAt.IsZero() || now.Sub(w.polledAt) >= reclaim) {
				w.polledAt = now
				w.deliveries++
				out := w.render(true)
				s.mu.Unlock()
				return out, nil
			}
		}
		changed := env.queue.changed
		s.mu.Unlock()
		wait := time.Until(deadline)
		if wait <= 0 {
			return nil, nil
		}
		// Wake for a new or re-queued item, and at least every 100ms for a reclaim window or a
		// lease that ran out meanwhile.
		t := time.NewTimer(min(wait, 100*time.Millisecond))
		select {
		case <-changed:
		case <-t.C:
		case <-r.Context().Done():
		case <-s.closing:
		}
		t.Stop()
		select {
		case <-r.Context().Done(): // the client is gone; nobody reads the answer
			return nil, nil
		case <-s.closing:
			return nil, nil
		default:
		}
	}
}

// ackWork serves POST .../work/{work_id}/ack: queued becomes starting and the lease starts.
func (s *Server) ackWork(r *http.Request) (any, *apiError) {
	return s.onWork(r, func(_ *environment, w *workItem) (any, *apiError) {
		if w.state != workQueued {
			return nil, errConflict("work item %s is %s; only a queued item can be acknowledged", w.id, w.state)
		}
		now := s.now()
		w.state, w.ackedAt = workStarting, &now
		w.leaseTTL = s.opts.WorkLeaseTTL
		w.leaseExpires = now.Add(w.leaseTTL)
		return w.render(false), nil
	})
}

// heartbeatParams reads expected_last_heartbeat (present, value) and desired_ttl_seconds.
func (s *Server) heartbeatParams(q url.Values) (expected string, conditional bool, ttl time.Duration, err *apiError) {
	ttl = s.opts.WorkLeaseTTL
	if v := q.Get("desired_ttl_seconds"); v != "" {
		n, e := strconv.ParseInt(v, 10, 64)
		if e != nil || n < 1 {
			return "", false, 0, errBadRequest("desired_ttl_seconds: must be a positive integer")
		}
		ttl = min(max(time.Duration(n)*time.Second, min(minWorkLeaseTTL, s.opts.WorkLeaseTTL)), maxWorkLeaseTTL)
	}
	if !q.Has("expected_last_heartbeat") {
		return "", false, ttl, nil
	}
	expected = q.Get("expected_last_heartbeat")
	if expected != noHeartbeat {
		if _, e := time.Parse(time.RFC3339Nano, expected); e != nil {
			return "", false, 0, errBadRequest("expected_last_heartbeat: must be NO_HEARTBEAT or an RFC 3339 timestamp")
		}
	}
	return expected, true, ttl, nil
}

// heartbeatWork serves POST .../work/{work_id}/heartbeat: it extends the lease when
// expected_last_heartbeat matches the last one (NO_HEARTBEAT before the first), and answers 412
// with the server's lease state when it does not.
func (s *Server) heartbeatWork(r *http.Request) (any, *apiError) {
	expected, conditional, ttl, err := s.heartbeatParams(r.URL.Query())
	if err != nil {
		return nil, err
	}
	lose := planFrom(r).loseLease
	return s.onWork(r, func(env *environment, w *workItem) (any, *apiError) {
		if lose && w.leased() {
			s.lapseLocked(env, w)
		}
		return s.heartbeatLocked(w, expected, conditional, ttl)
	})
}

func (s *Server) heartbeatLocked(w *workItem, expected string, conditional bool, ttl time.Duration) (any, *apiError) {
	switch w.state {
	case workStopped:
		return heartbeatAnswer(w, false), nil
	case workQueued:
		if conditional && expected != noHeartbeat {
			return nil, leaseLost(w, expected)
		}
		return nil, errConflict("work item %s is queued; acknowledge it before its first heartbeat", w.id)
	}
	actual := w.lastHeartbeat
	if actual == "" {
		actual = noHeartbeat
	}
	if conditional && w.state != workStopping && expected != actual {
		return nil, leaseLost(w, expected)
	}
	token, at := s.nextHeartbeatToken(w)
	w.lastHeartbeat, w.latestHeartbeatAt = token, &at
	w.leaseTTL, w.leaseExpires = ttl, at.Add(ttl)
	if w.state == workStarting {
		w.state, w.startedAt = workActive, &at
	}
	return heartbeatAnswer(w, true), nil
}

func heartbeatAnswer(w *workItem, extended bool) map[string]any {
	return map[string]any{"type": "work_heartbeat", "last_heartbeat": w.lastHeartbeat, "lease_extended": extended,
		"state": w.state, "ttl_seconds": int64(w.leaseTTL / time.Second)}
}

func leaseLost(w *workItem, expected string) *apiError {
	actual := w.lastHeartbeat
	if actual == "" {
		actual = "NULL"
	}
	e := &apiError{status: http.StatusPreconditionFailed, typ: "invalid_request_error",
		msg: "Heartbeat precondition failed: expected " + expected + ", actual was " + actual}
	e.code = "heartbeat_precondition_failed"
	e.details = map[string]any{"error_visibility": "user_facing", "current_state": w.leaseState()}
	return e
}

// stopWork serves POST .../work/{work_id}/stop and answers 204. force stops a live item at once;
// otherwise a starting or active item goes to stopping, and a second stop confirms it. A stopped
// item answers 409.
func (s *Server) stopWork(r *http.Request) (any, *apiError) {
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if err := body.only("force"); err != nil {
		return nil, err
	}
	force, _, err := body.boolean("force")
	if err != nil {
		return nil, err
	}
	return s.onWork(r, func(env *environment, w *workItem) (any, *apiError) {
		switch {
		case !w.live():
			return nil, errConflict("work item %s is already stopped", w.id)
		case !force && (w.state == workStarting || w.state == workActive):
			now := s.now()
			w.state, w.stopRequestedAt = workStopping, &now
		default:
			s.stopWorkLocked(env, w)
		}
		return noContent{}, nil
	})
}

// workStats serves GET /v1/environments/{id}/work/stats.
func (s *Server) workStats(r *http.Request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	env, err := s.queueLocked(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	now := s.now()
	var depth, pending int64
	var oldest any
	for _, w := range env.queue.items {
		if w.state != workQueued {
			continue
		}
		if oldest == nil {
			oldest = stamp(w.createdAt)
		}
		if !w.polledAt.IsZero() && now.Sub(w.polledAt) < defaultReclaimAfter {
			pending++
		} else {
			depth++
		}
	}
	var polling int64
	for id, at := range env.queue.pollers {
		if now.Sub(at) <= workersPollingWindow {
			polling++
		} else {
			delete(env.queue.pollers, id)
		}
	}
	return map[string]any{"type": "work_queue_stats", "depth": depth, "pending": pending,
		"oldest_queued_at": oldest, "workers_polling": polling}, nil
}

// listWork serves GET /v1/environments/{id}/work, newest first.
func (s *Server) listWork(r *http.Request) (any, *apiError) {
	lq, err := parseListQuery(r.URL.Query(), 20, 100, "desc", false)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	env, err := s.queueLocked(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	items := make([]*workItem, 0, len(env.queue.items))
	for i := len(env.queue.items) - 1; i >= 0; i-- {
		items = append(items, env.queue.items[i])
	}
	page, next, _ := paginate(items, func(w *workItem) string { return w.id }, lq)
	data := make([]any, len(page))
	for i, w := range page {
		data[i] = w.render(false)
	}
	return map[string]any{"data": data, "next_page": nullIfEmpty(next)}, nil
}

// getWork serves GET .../work/{work_id}.
func (s *Server) getWork(r *http.Request) (any, *apiError) {
	return s.onWork(r, func(_ *environment, w *workItem) (any, *apiError) { return w.render(false), nil })
}

// updateWork serves POST .../work/{work_id}: a metadata patch.
func (s *Server) updateWork(r *http.Request) (any, *apiError) {
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if err := body.only("metadata"); err != nil {
		return nil, err
	}
	if !body.present("metadata") {
		return nil, errBadRequest("metadata: field required")
	}
	return s.onWork(r, func(_ *environment, w *workItem) (any, *apiError) {
		md, _, err := body.metadataPatch(w.metadata, false)
		if err != nil {
			return nil, err
		}
		w.metadata = md
		return w.render(false), nil
	})
}
