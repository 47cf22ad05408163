package simulator

import (
	"net/http"
	"time"
)

// endReason says why the simulator ended a stream.
type endReason int

const (
	endGraceful endReason = iota + 1 // deliver what is queued, then end the response (session.deleted)
	endDropped                       // the reader fell too far behind: cut the connection
	endShutdown                      // Server.Close: end the response
)

// subscriber is one open event stream. Publishers never block on it: ch is
// bounded and a full ch ends the subscriber with endDropped.
type subscriber struct {
	ch     chan *event
	done   chan struct{}
	reason endReason // written before done is closed, under s.mu
	ended  bool      // guarded by s.mu
}

// end closes done once. Callers hold s.mu.
func (sub *subscriber) end(r endReason) {
	if sub.ended {
		return
	}
	sub.ended, sub.reason = true, r
	close(sub.done)
}

// streamWriteTimeout bounds one frame write, so a reader that stops reading
// cannot pin a handler goroutine forever.
const streamWriteTimeout = 30 * time.Second

var pingFrame = []byte("event: ping\ndata: {\"type\":\"ping\"}\n\n")

// streamEvents serves GET /v1/sessions/{id}/events/stream. The subscriber is
// registered before the response headers are sent, so every event persisted
// after the client's StreamEvents call returns is delivered; nothing from
// before is replayed, exactly like the hosted API.
func (s *Server) streamEvents(w http.ResponseWriter, r *http.Request) {
	plan := planFrom(r)
	s.mu.Lock()
	sess := s.sessions[r.PathValue("id")]
	if sess == nil {
		s.mu.Unlock()
		writeError(w, errNotFound("session %s not found", r.PathValue("id")))
		return
	}
	if s.closed {
		s.mu.Unlock()
		writeError(w, &apiError{status: http.StatusServiceUnavailable, typ: "api_error", msg: "the simulator is shutting down"})
		return
	}
	sub := &subscriber{ch: make(chan *event, s.opts.StreamBuffer), done: make(chan struct{})}
	sess.subs[sub] = struct{}{}
	s.mu.Unlock()
	s.stats.streams.Add(1)
	defer func() {
		s.mu.Lock()
		delete(sess.subs, sub)
		s.mu.Unlock()
		s.stats.streams.Add(-1)
	}()

	h := w.Header()
	h.Set("content-type", "text/event-stream")
	h.Set("cache-control", "no-cache")
	h.Set("x-accel-buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	if rc.Flush() != nil {
		return
	}
	if plan.dropStreamAfter == 0 {
		abortConnection(w)
		return
	}
	write := func(frame []byte) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
		if _, err := w.Write(frame); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	delivered := 0
	// deliver writes one event and reports whether the stream goes on.
	deliver := func(ev *event) bool {
		if !write(ev.frame) {
			return false
		}
		delivered++
		if plan.dropStreamAfter > 0 && delivered >= plan.dropStreamAfter {
			abortConnection(w) // the injected mid-stream drop
			return false
		}
		return ev.typ != "session.deleted"
	}
	ping := time.NewTicker(s.opts.PingInterval)
	defer ping.Stop()
	for {
		select {
		case ev := <-sub.ch:
			if !deliver(ev) {
				return
			}
		case <-sub.done:
			switch sub.reason {
			case endGraceful:
				for {
					select {
					case ev := <-sub.ch:
						if !deliver(ev) {
							return
						}
					default:
						return
					}
				}
			case endDropped:
				abortConnection(w)
			}
			return
		case <-ping.C:
			if !write(pingFrame) {
				return
			}
		case <-r.Context().Done():
			return
		}
	}
}
