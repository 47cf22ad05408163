// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// Source is where a follower reads a session and its Events from: the Kubernetes API in the
// plugin, a fake in unit tests.
type Source interface {
	// Session returns the followed Session.
	Session(ctx context.Context) (*v1alpha1.Session, error)
	// Events lists the Entries of the Session's Events and the list's resourceVersion.
	Events(ctx context.Context, uid types.UID) ([]Entry, string, error)
	// WatchEvents watches the Session's Events from a resourceVersion.
	WatchEvents(ctx context.Context, uid types.UID, resourceVersion string) (watch.Interface, error)
	// WatchSession watches the Session from a resourceVersion.
	WatchSession(ctx context.Context, resourceVersion string) (watch.Interface, error)
}

// Defaults of a Follower.
const (
	// DefaultFlushInterval buffers Events briefly so that a burst delivered out of order prints in order.
	DefaultFlushInterval = 200 * time.Millisecond
	// relistBackoff spaces out re-lists when watches keep ending at once.
	relistBackoff = time.Second
)

// Follower prints a session's conversation once per entry, in order, and follows it with watches.
type Follower struct {
	Source Source
	Out    io.Writer
	Format Formatter
	// FlushInterval is how long arriving Events are buffered; 0 means DefaultFlushInterval.
	FlushInterval time.Duration

	printed map[string]bool
	// pending holds watched entries until the next flush or list, which prints them in order.
	pending []Entry
}

// Skip marks entries as shown without printing them, so that following a new turn shows only it.
func (f *Follower) Skip(entries []Entry) {
	f.init()
	for _, e := range entries {
		f.printed[e.Key] = true
	}
}

// Print prints, in conversation order, the entries not printed yet.
func (f *Follower) Print(entries []Entry) {
	f.init()
	for _, e := range Order(entries) {
		if f.printed[e.Key] {
			continue
		}
		f.printed[e.Key] = true
		_, _ = io.WriteString(f.Out, f.Format.Entry(e))
	}
}

func (f *Follower) init() {
	if f.printed == nil {
		f.printed = map[string]bool{}
	}
}

// Follow prints the conversation as it happens until the turn is over for generation
// minGeneration (see TurnDone), and returns the Session as it was then. It ends with ctx's error
// when ctx ends first (Ctrl-C). Watches that end (timeouts, a compacted resourceVersion) are
// re-established from a fresh list, which never repeats a line.
func (f *Follower) Follow(ctx context.Context, minGeneration int64) (*v1alpha1.Session, error) {
	for {
		sess, err := f.Source.Session(ctx)
		if err != nil {
			return nil, err
		}
		entries, rv, err := f.Source.Events(ctx, sess.UID)
		if err != nil {
			return nil, err
		}
		f.flush(entries...)
		if TurnDone(sess, minGeneration) {
			return sess, nil
		}
		started := time.Now()
		done, err := f.watch(ctx, sess, rv, minGeneration)
		if !errors.Is(err, errWatchEnded) {
			return f.finish(ctx, done, err)
		}
		if wait := relistBackoff - time.Since(started); wait > 0 {
			if err := sleep(ctx, wait); err != nil {
				return nil, err
			}
		}
	}
}

// finish prints the Events the watch had not delivered yet when the turn ended, together with
// the ones it had, in order.
func (f *Follower) finish(ctx context.Context, sess *v1alpha1.Session, err error) (*v1alpha1.Session, error) {
	if err != nil {
		f.flush()
		return sess, err
	}
	entries, _, err := f.Source.Events(ctx, sess.UID)
	if err != nil {
		f.flush()
		return sess, err
	}
	f.flush(entries...)
	return sess, nil
}

// flush prints the pending entries and more, in order.
func (f *Follower) flush(more ...Entry) {
	f.Print(append(f.pending, more...))
	f.pending = nil
}

// errWatchEnded says a watch ended or could not start; the follower re-lists and watches again.
var errWatchEnded = errors.New("watch ended")

// watchFailed keeps permission errors (they will not heal) and turns the rest into errWatchEnded.
func watchFailed(err error) error {
	if apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) {
		return err
	}
	return errWatchEnded
}

// watch prints Events as they come until the turn is done (it returns the Session), a watch ends
// (errWatchEnded: the caller re-lists) or ctx ends.
func (f *Follower) watch(ctx context.Context, sess *v1alpha1.Session, rv string, minGeneration int64) (*v1alpha1.Session, error) {
	events, err := f.Source.WatchEvents(ctx, sess.UID, rv)
	if err != nil {
		return nil, watchFailed(err)
	}
	defer events.Stop()
	sessions, err := f.Source.WatchSession(ctx, sess.ResourceVersion)
	if err != nil {
		return nil, watchFailed(err)
	}
	defer sessions.Stop()
	interval := f.FlushInterval
	if interval <= 0 {
		interval = DefaultFlushInterval
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case ev, ok := <-events.ResultChan():
			if !ok || ev.Type == watch.Error {
				return nil, errWatchEnded
			}
			if obj, isEvent := ev.Object.(*corev1.Event); isEvent && ev.Type != watch.Deleted {
				f.pending = append(f.pending, FromEvent(obj))
			}
		case ev, ok := <-sessions.ResultChan():
			if !ok || ev.Type == watch.Error {
				return nil, errWatchEnded
			}
			if done, err := sessionChanged(ev, minGeneration); done != nil || err != nil {
				return done, err
			}
		case <-ticker.C:
			f.flush()
		}
	}
}

// sessionChanged returns the Session when its turn is done, and an error when it was deleted.
func sessionChanged(ev watch.Event, minGeneration int64) (*v1alpha1.Session, error) {
	s, ok := ev.Object.(*v1alpha1.Session)
	if !ok {
		return nil, nil
	}
	if ev.Type == watch.Deleted {
		return nil, fmt.Errorf("session %s was deleted", s.Name)
	}
	if TurnDone(s, minGeneration) {
		return s, nil
	}
	return nil, nil
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
