package controller

import (
	"context"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/metrics"
	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
)

// sessionStream follows one remote session.
type sessionStream struct {
	key       types.NamespacedName
	uid       types.UID
	sessionID string
	api       managedagents.Client
	pump      *Pump
	target    eventTarget
	cancel    context.CancelFunc
	done      chan struct{}
	stopOnce  sync.Once

	mu    sync.Mutex
	state sessionevents.State
	// synced is true once the current connection has folded the whole history.
	synced bool
	// listings counts completed history listings; a send whose outcome is unknown waits for the
	// next one, which shows whether the send landed.
	listings int64
	// emitted is the highest event sequence that already has its Kubernetes Event.
	emitted int64
	// sentMessages and sentAnswers remember sends of this process that the history may not show yet.
	sentMessages  int
	sentAnswers   map[string]bool
	sentInterrupt string
	finished      bool
	// unwrittenSince is when the oldest event not yet in a status write arrived.
	unwrittenSince time.Time
	// written is when this process last wrote the session's status; wakePending says a wake is
	// scheduled for when the next write is due (see wakeDelayLocked).
	written     time.Time
	wakePending bool
}

// snapshot is a consistent copy of a stream's state for the reconciler.
type snapshot struct {
	State        sessionevents.State
	Synced       bool
	Listings     int64
	SentMessages int
	SentAnswers  map[string]bool
	// SentInterrupt is the last interrupt request this process sent.
	SentInterrupt string
	Finished      bool
}

func (s *sessionStream) snapshot() snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state
	st.Pending = append([]sessionevents.ToolCall(nil), s.state.Pending...)
	st.Recent = append([]sessionevents.Recent(nil), s.state.Recent...)
	answered := make(map[string]bool, len(s.state.Answered))
	for k := range s.state.Answered {
		answered[k] = true
	}
	st.Answered = answered
	sent := make(map[string]bool, len(s.sentAnswers))
	for k := range s.sentAnswers {
		sent[k] = true
	}
	return snapshot{State: st, Synced: s.synced, Listings: s.listings, SentMessages: s.sentMessages, SentAnswers: sent, SentInterrupt: s.sentInterrupt, Finished: s.finished}
}

// noteSent records a send made by this process, before the stream echoes it.
func (s *sessionStream) noteSent(messages int, answers ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sentMessages = max(s.sentMessages, messages)
	if s.sentAnswers == nil {
		s.sentAnswers = map[string]bool{}
	}
	for _, a := range answers {
		s.sentAnswers[a] = true
	}
}

// markWritten records a status write, sent at the given time, that includes the first count events,
// observing how long the oldest of them waited.
func (s *sessionStream) markWritten(count int64, sent time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.written = sent
	if s.unwrittenSince.IsZero() || count < s.state.Count {
		return
	}
	metrics.EventToStatusLatency.Observe(time.Since(s.unwrittenSince).Seconds())
	s.unwrittenSince = time.Time{}
}

// noteInterrupt records an interrupt request this process acted on.
func (s *sessionStream) noteInterrupt(request string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sentInterrupt = request
}

func (s *sessionStream) stop() {
	s.stopOnce.Do(s.cancel)
	<-s.done
}

func (s *sessionStream) isDone() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// run connects, folds and reconnects until the session ends or the stream is stopped.
func (s *sessionStream) run(ctx context.Context) {
	defer close(s.done)
	log := logf.FromContext(ctx).WithValues("session", s.key, "sessionID", s.sessionID)
	backoff := minBackoff
	for ctx.Err() == nil {
		start := time.Now()
		ended, err := s.follow(ctx)
		if ended {
			s.mu.Lock()
			s.finished = true
			s.mu.Unlock()
			s.pump.wake(s.key)
			return
		}
		if ctx.Err() != nil {
			return
		}
		if time.Since(start) > healthyStreak {
			backoff = minBackoff
		}
		log.V(1).Info("Event stream ended; reconnecting", "error", err, "backoff", backoff)
		metrics.StreamReconnects.Inc()
		if !sleepCtx(ctx, jittered(backoff)) {
			return
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

// follow runs one connection: stream first, then history, then live events. It reports whether
// the session ended (terminated or deleted), after which no stream is needed.
func (s *sessionStream) follow(ctx context.Context) (bool, error) {
	connCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream := s.api.StreamEvents(connCtx, s.sessionID)
	defer func() { _ = stream.Close() }()
	if err := stream.Err(); err != nil {
		return managedagents.IsNotFound(managedagents.Classify(err)), err
	}
	// Events that arrive while the history is listed wait in the connection's buffers; the fold
	// below reads them once it is done. No reader goroutine or channel per session is needed.
	seen, err := s.foldHistory(ctx)
	if err != nil {
		return managedagents.IsNotFound(err), err
	}
	if s.ended() {
		return true, nil
	}
	for {
		ev, ok := nextEvent(stream)
		if !ok {
			return false, stream.Err()
		}
		if seen != nil {
			if ev.ID != "" && seen[ev.ID] {
				continue
			}
			seen = nil // past the overlap with the history: every later event is new
		}
		if err := s.apply(ctx, &ev); err != nil {
			return false, err // reconnect: the re-fold writes the Events that failed
		}
		if s.ended() {
			return true, nil
		}
	}
}

// nextEvent reads and decodes the next live event, skipping previews (event_start, event_delta)
// and events that do not decode. It returns false when the stream ends.
func nextEvent(stream *managedagents.EventStream) (sessionevents.Event, bool) {
	for stream.Next() {
		ev, err := sessionevents.Decode(stream.Current().JSON)
		if err != nil || ev.Type == "event_start" || ev.Type == "event_delta" || ev.Type == "" {
			continue
		}
		return ev, true
	}
	return sessionevents.Event{}, false
}

// foldHistory rebuilds the state from the full history, so that every reconnect and every restart
// starts from the API's truth: no gap and no double count. It returns the ids it saw.
func (s *sessionStream) foldHistory(ctx context.Context) (map[string]bool, error) {
	var fresh sessionevents.State
	seen := map[string]bool{}
	var pending []pendingEvent
	err := s.api.ListEvents(ctx, s.sessionID, func(raw managedagents.Event) bool {
		ev, err := sessionevents.Decode([]byte(raw.RawJSON()))
		if err != nil {
			return true
		}
		if ev.ID != "" {
			seen[ev.ID] = true
		}
		sum := fresh.Apply(&ev)
		pending = append(pending, pendingEvent{seq: fresh.Count, ev: ev, sum: sum})
		return true
	})
	if err != nil {
		return nil, err
	}
	emitErr := s.emit(ctx, pending)
	s.mu.Lock()
	s.state, s.synced = fresh, true
	s.listings++
	s.mu.Unlock()
	s.refreshUsage(ctx)
	s.pump.wake(s.key)
	return seen, emitErr
}

// apply writes one live event's Kubernetes Event, then folds it into the state and wakes the
// reconciler. The Event always comes first, for two reasons. Once the state shows the event, the
// reconciler may finish the Session and stop this stream, and the Event must exist by then. And
// status.eventCount, written from the state, is where a restarted manager's stream starts writing
// Events again: an event counted in status before its Event exists would never get one if the
// manager died in between (the chaos suite caught exactly that when stream-only events were folded
// first).
func (s *sessionStream) apply(ctx context.Context, ev *sessionevents.Event) error {
	s.mu.Lock()
	seq := s.state.Count + 1 // only this goroutine folds, so the sequence holds
	s.mu.Unlock()
	if err := s.emit(ctx, []pendingEvent{{seq: seq, ev: *ev, sum: sessionevents.Summarize(ev)}}); err != nil {
		return err
	}
	s.fold(ctx, ev)
	return nil
}

// fold applies a live event to the state and wakes the reconciler, now or when the next status
// write is due.
func (s *sessionStream) fold(ctx context.Context, ev *sessionevents.Event) {
	s.mu.Lock()
	s.state.Apply(ev)
	if s.unwrittenSince.IsZero() {
		s.unwrittenSince = time.Now()
	}
	delay, wake := s.wakeDelayLocked(ev.Type, s.pump.statusInterval)
	s.mu.Unlock()
	if ev.Type == "session.status_idle" || ev.Type == "session.status_terminated" {
		s.refreshUsage(ctx)
	}
	switch {
	case !wake:
	case delay > 0:
		time.AfterFunc(delay, func() {
			s.mu.Lock()
			s.wakePending = false
			s.mu.Unlock()
			s.pump.wakeToRefresh(s.key)
		})
	default:
		s.pump.wake(s.key)
	}
}

// wakeDelayLocked says when the reconciler needs to see an event. Most events change only what
// status shows (messages, tool calls, spans, usage), and such a change is written at most once per
// status interval: waking the reconciler for each of them only to hear "not yet" cost more CPU than
// the writes themselves. Their wake waits until the next write is due, one pending wake per stream.
// Every other event (status changes, user input, errors) wakes the reconciler at once.
func (s *sessionStream) wakeDelayLocked(eventType string, interval time.Duration) (delay time.Duration, wake bool) {
	if interval <= 0 || s.written.IsZero() || !statusOnlyEvent(eventType) {
		return 0, true
	}
	wait := interval - time.Since(s.written)
	if wait <= 0 {
		return 0, true
	}
	if s.wakePending {
		return 0, false
	}
	s.wakePending = true
	return wait, true
}

// statusOnlyEvent reports whether an event type can change only what status shows, never the
// phase, a condition, or what the reconciler sends next.
func statusOnlyEvent(eventType string) bool {
	return strings.HasPrefix(eventType, "agent.") || strings.HasPrefix(eventType, "span.") || eventType == "session.usage"
}

// refreshUsage reads the session's cumulative usage once a turn ends.
func (s *sessionStream) refreshUsage(ctx context.Context) {
	remote, err := s.api.GetSession(ctx, s.sessionID)
	if err != nil {
		return
	}
	usage, err := sessionevents.Decode([]byte(`{"usage":` + remote.Usage.RawJSON() + `}`))
	if err != nil || usage.Usage == nil {
		return
	}
	s.mu.Lock()
	s.state.Usage = usage.Usage
	s.mu.Unlock()
}

func (s *sessionStream) ended() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.Status == sessionevents.StatusTerminated
}
