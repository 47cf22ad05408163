// SPDX-License-Identifier: Apache-2.0

package sessionstream

import (
	"context"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/metrics"
	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
)

// Stream follows one remote session.
type Stream struct {
	key       types.NamespacedName
	sessionID string
	api       managedagents.Client
	pump      *Pump
	target    Target
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
	// emitted is the highest event sequence up to which every event has its Kubernetes Event (or
	// needs none). Status never counts past it.
	emitted int64
	// sentMessages, sentAnswers and sentInterrupt remember sends of this process that the history
	// may not show yet.
	sentMessages  int
	sentAnswers   map[string]bool
	sentInterrupt string
	// ended: the session ended for good (terminated, or gone); gone: the remote session no longer
	// exists; authError: the API refused the stream's credential on the last attempt.
	ended, gone bool
	authError   string
	// unwrittenSince is when the oldest event not yet in a status write arrived; written is when
	// this session's status was last written; wakePending says a wake is scheduled for when the next
	// write is due (see coalesce.go).
	unwrittenSince time.Time
	written        time.Time
	wakePending    bool
	// policy is the Session's Event policy (policy.go); the reconciler updates it on every follow.
	policy v1alpha1.EventPolicy
}

// setPolicy changes the Event policy for the events that arrive from now on.
func (s *Stream) setPolicy(p v1alpha1.EventPolicy) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.policy = p
}

// Snapshot is a consistent copy of a stream's state for the reconciler.
type Snapshot struct {
	State sessionevents.State
	// Synced is true once the stream has folded the whole history since it (re)connected.
	Synced   bool
	Listings int64
	// EventCount is how many events status may count: only those whose Kubernetes Event exists
	// (or that need none), because a restarted manager writes Events again only after the count.
	EventCount    int64
	SentMessages  int
	SentAnswers   map[string]bool
	SentInterrupt string
	// Ended: the stream stopped for good, because the session terminated or is gone.
	Ended bool
	// Gone: the remote session no longer exists (the API answered 404 for it).
	Gone bool
	// AuthError is the API's refusal of the credential, while the stream cannot connect because of it.
	AuthError string
}

// Snapshot copies the stream's state.
func (s *Stream) Snapshot() Snapshot {
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
	return Snapshot{
		State: st, Synced: s.synced, Listings: s.listings, EventCount: min(s.state.Count, s.emitted),
		SentMessages: s.sentMessages, SentAnswers: sent, SentInterrupt: s.sentInterrupt,
		Ended: s.ended, Gone: s.gone, AuthError: s.authError,
	}
}

// NoteSent records a send made by this process, before the stream echoes it.
func (s *Stream) NoteSent(messages int, answers ...string) {
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

// NoteInterrupt records an interrupt request this process acted on.
func (s *Stream) NoteInterrupt(request string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sentInterrupt = request
}

func (s *Stream) stop() {
	s.stopOnce.Do(s.cancel)
	<-s.done
}

func (s *Stream) isDone() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// run connects, folds and reconnects until the session ends or the stream is stopped.
func (s *Stream) run(ctx context.Context) {
	defer close(s.done)
	log := logf.FromContext(ctx).WithValues("session", s.key, "sessionID", s.sessionID)
	backoff := minBackoff
	for ctx.Err() == nil {
		start := time.Now()
		err := s.follow(ctx)
		if s.terminated() {
			s.pump.wake(s.key)
			return
		}
		if ctx.Err() != nil {
			return
		}
		s.noteConnectError(err)
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

// noteConnectError shows a refused credential to the reconciler (Synced=False/Unauthorized), and
// clears it once a connection works again.
func (s *Stream) noteConnectError(err error) {
	message := ""
	if managedagents.IsUnauthorized(err) {
		message = managedagents.Classify(err).Error()
	}
	s.mu.Lock()
	changed := s.authError != message
	s.authError = message
	s.mu.Unlock()
	if changed {
		s.pump.wake(s.key)
	}
}

// follow runs one connection: stream first, then history, then live events. It returns when the
// connection ends; the stream is over for good when the session ended (see ended).
func (s *Stream) follow(ctx context.Context) error {
	connCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream := s.api.StreamEvents(connCtx, s.sessionID)
	defer func() { _ = stream.Close() }()
	if err := stream.Err(); err != nil {
		return s.connectFailed(ctx, managedagents.Classify(err))
	}
	// Events that arrive while the history is listed wait in the connection's buffers; the fold
	// below reads them once it is done. No reader goroutine or channel per session is needed.
	overlap, err := s.foldHistory(ctx)
	if err != nil {
		return s.connectFailed(ctx, err)
	}
	s.noteConnectError(nil)
	if s.terminated() {
		return nil
	}
	for {
		ev, raw, ok := nextEvent(stream)
		if !ok {
			return stream.Err()
		}
		if overlap.repeats(&ev, raw) {
			continue
		}
		if err := s.apply(ctx, &ev); err != nil {
			return err // reconnect: the re-fold writes the Events that failed
		}
		if s.terminated() {
			return nil
		}
	}
}

// connectFailed decides what a failed connect or history listing means. A 404 on the stream or the
// history does not prove the session is gone (a stream endpoint can answer 404 while the session
// exists), so the session itself is read: only a 404 there ends the stream for good.
func (s *Stream) connectFailed(ctx context.Context, err error) error {
	if !managedagents.IsNotFound(err) {
		return err
	}
	if _, getErr := s.api.GetSession(ctx, s.sessionID); !managedagents.IsNotFound(getErr) {
		return err
	}
	s.mu.Lock()
	s.gone, s.ended = true, true
	s.mu.Unlock()
	return err
}

// nextEvent reads and decodes the next live event, skipping previews and events that do not decode.
// It returns false when the stream ends.
func nextEvent(stream *managedagents.EventStream) (sessionevents.Event, []byte, bool) {
	for stream.Next() {
		raw := stream.Current().JSON
		ev, err := sessionevents.Decode(raw)
		if err != nil || ev.Type == sessionevents.TypeEventStart || ev.Type == sessionevents.TypeEventDelta || ev.Type == "" {
			continue
		}
		return ev, raw, true
	}
	return sessionevents.Event{}, nil, false
}

// foldHistory rebuilds the state from the full history, so that every reconnect and every restart
// starts from the API's truth: no gap and no double count. It writes the Kubernetes Events the
// history still lacks; the count status may show stops before the first one that failed. It returns
// the overlap with the live stream, which has buffered events since before the listing.
func (s *Stream) foldHistory(ctx context.Context) (*overlap, error) {
	var fresh sessionevents.State
	seen := &overlap{seen: map[string]bool{}}
	var pending []pendingEvent
	err := s.api.ListEvents(ctx, s.sessionID, func(remote managedagents.Event) bool {
		raw := []byte(remote.RawJSON())
		ev, err := sessionevents.Decode(raw)
		if err != nil {
			return true
		}
		seen.seen[sessionevents.Identity(&ev, raw)] = true
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
	s.ended = fresh.Status == sessionevents.StatusTerminated
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
func (s *Stream) apply(ctx context.Context, ev *sessionevents.Event) error {
	s.mu.Lock()
	seq := s.state.Count + 1 // only this goroutine folds, so the sequence holds
	s.mu.Unlock()
	sum := sessionevents.Summarize(ev)
	if err := s.emit(ctx, []pendingEvent{{seq: seq, ev: *ev, sum: sum}}); err != nil {
		return err
	}
	s.fold(ctx, ev, sum)
	return nil
}

// fold applies a live event to the state and wakes the reconciler, now or when the next status
// write is due.
func (s *Stream) fold(ctx context.Context, ev *sessionevents.Event, sum sessionevents.Summary) {
	s.mu.Lock()
	s.state.ApplySummarized(ev, sum)
	s.ended = s.state.Status == sessionevents.StatusTerminated
	if s.unwrittenSince.IsZero() {
		s.unwrittenSince = s.pump.now()
	}
	delay, wake := s.wakeDelayLocked(ev.Type, s.pump.interval.get())
	s.mu.Unlock()
	if ev.Type == sessionevents.TypeStatusIdle || ev.Type == sessionevents.TypeStatusTerminated {
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

// refreshUsage reads the session's cumulative usage once a turn ends.
func (s *Stream) refreshUsage(ctx context.Context) {
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

func (s *Stream) terminated() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ended
}

// overlap is the stretch where the live stream repeats what the history listing already folded: the
// stream connected first, so it buffered every event from the connect on. Until the first event the
// history did not have, each streamed event is a repeat. Identity covers events without an id too:
// one such event must neither end the overlap early (which folded the rest of the overlap twice) nor
// be folded twice itself.
type overlap struct {
	seen map[string]bool
}

// repeats reports whether a streamed event was folded from the history already. The first event
// that was not ends the overlap: every later one is new.
func (o *overlap) repeats(ev *sessionevents.Event, raw []byte) bool {
	if o.seen == nil {
		return false
	}
	if o.seen[sessionevents.Identity(ev, raw)] {
		return true
	}
	o.seen = nil
	return false
}
