// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"context"
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
	sess, sub, apiErr := s.subscribe(r.PathValue("id"))
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
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
	sw := &streamWriter{w: w, rc: http.NewResponseController(w), dropAfter: plan.dropStreamAfter}
	if sw.rc.Flush() != nil {
		return
	}
	if plan.dropStreamAfter == 0 {
		abortConnection(w)
		return
	}
	s.pumpEvents(r.Context(), sub, sw)
}

// subscribe registers a new subscriber on session id.
func (s *Server) subscribe(id string) (*session, *subscriber, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.sessions[id]
	if sess == nil {
		return nil, nil, errNotFound("session %s not found", id)
	}
	if s.closed {
		return nil, nil, &apiError{status: http.StatusServiceUnavailable, typ: "api_error", msg: "the simulator is shutting down"}
	}
	sub := &subscriber{ch: make(chan *event, s.opts.StreamBuffer), done: make(chan struct{})}
	sess.subs[sub] = struct{}{}
	return sess, sub, nil
}

// pumpEvents writes the subscriber's events, and pings while there are none,
// until the subscriber ends, the client goes away or a write fails.
func (s *Server) pumpEvents(ctx context.Context, sub *subscriber, sw *streamWriter) {
	ping := time.NewTicker(s.opts.PingInterval)
	defer ping.Stop()
	for {
		select {
		case ev := <-sub.ch:
			if !sw.deliver(ev) {
				return
			}
		case <-sub.done:
			switch sub.reason {
			case endGraceful:
				sw.drain(sub.ch)
			case endDropped:
				abortConnection(sw.w)
			}
			return
		case <-ping.C:
			if !sw.write(pingFrame) {
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

// streamWriter writes server-sent event frames to one stream response.
type streamWriter struct {
	w         http.ResponseWriter
	rc        *http.ResponseController
	dropAfter int // the injected drop comes after this many events; <0: never
	delivered int
}

// write writes and flushes one frame and reports whether that worked.
func (sw *streamWriter) write(frame []byte) bool {
	_ = sw.rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
	if _, err := sw.w.Write(frame); err != nil {
		return false
	}
	return sw.rc.Flush() == nil
}

// deliver writes one event and reports whether the stream goes on.
func (sw *streamWriter) deliver(ev *event) bool {
	if !sw.write(ev.frame) {
		return false
	}
	sw.delivered++
	if sw.dropAfter > 0 && sw.delivered >= sw.dropAfter {
		abortConnection(sw.w) // the injected mid-stream drop
		return false
	}
	return ev.typ != "session.deleted"
}

// drain delivers the events already queued, for a graceful end.
func (sw *streamWriter) drain(ch <-chan *event) {
	for {
		select {
		case ev := <-ch:
			if !sw.deliver(ev) {
				return
			}
		default:
			return
		}
	}
}
