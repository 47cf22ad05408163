// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
)

// fakeSource serves a session, successive Event lists, and watches that the test drives.
type fakeSource struct {
	mu       sync.Mutex
	sessions []*v1alpha1.Session // successive Session reads; the last repeats
	lists    [][]Entry           // successive Event lists; the last repeats
	watches  []*watch.FakeWatcher
	sessW    []*watch.FakeWatcher
}

func next[T any](items *[]T) T {
	item := (*items)[0]
	if len(*items) > 1 {
		*items = (*items)[1:]
	}
	return item
}

func (f *fakeSource) Session(context.Context) (*v1alpha1.Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return next(&f.sessions).DeepCopy(), nil
}

func (f *fakeSource) Events(context.Context, types.UID) ([]Entry, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return next(&f.lists), "1", nil
}

func (f *fakeSource) WatchEvents(context.Context, types.UID, string) (watch.Interface, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return next(&f.watches), nil
}

func (f *fakeSource) WatchSession(context.Context, string) (watch.Interface, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return next(&f.sessW), nil
}

// session returns a Session whose TurnComplete condition has the given status at generation 1.
func session(turnComplete metav1.ConditionStatus) *v1alpha1.Session {
	s := &v1alpha1.Session{ObjectMeta: metav1.ObjectMeta{Name: "s1", Namespace: "ns", UID: "uid", Generation: 1}}
	s.Status.Phase = v1alpha1.SessionRunning
	s.Status.Conditions = []metav1.Condition{{Type: v1alpha1.ConditionTurnComplete, Status: turnComplete, ObservedGeneration: 1}}
	if turnComplete == metav1.ConditionTrue {
		s.Status.Phase = v1alpha1.SessionSucceeded
	}
	return s
}

func agentEvent(seq int64, text string) Entry {
	return Entry{Key: text, Seq: seq, Time: t0.Add(time.Duration(seq) * time.Second), Reason: sessionevents.ReasonAgentMessage, Text: text}
}

// k8sEvent is the Kubernetes Event a watch would deliver for an entry.
func k8sEvent(e Entry) *corev1.Event {
	return &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{Name: e.Key, UID: types.UID(e.Key), Annotations: map[string]string{
			AnnotationEventID: e.Key, AnnotationEventSequence: strconv.FormatInt(e.Seq, 10),
		}},
		Reason: e.Reason, Message: e.Text, EventTime: metav1.NewMicroTime(e.Time),
	}
}

func lines(out string) []string {
	var texts []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(l)
		texts = append(texts, f[len(f)-1])
	}
	return texts
}

func TestFollowPrintsInSequenceOrderUntilTheTurnEnds(t *testing.T) {
	one, two, three, four := agentEvent(1, "one"), agentEvent(2, "two"), agentEvent(3, "three"), agentEvent(4, "four")
	events, sessions := watch.NewFakeWithChanSize(10, false), watch.NewFakeWithChanSize(10, false)
	src := &fakeSource{
		sessions: []*v1alpha1.Session{session(metav1.ConditionFalse)},
		// The final list, read once the turn is over, holds an Event the watch never delivered.
		lists:   [][]Entry{{one}, {one, two, three, four}},
		watches: []*watch.FakeWatcher{events}, sessW: []*watch.FakeWatcher{sessions},
	}
	var out strings.Builder
	f := &Follower{Source: src, Out: &out, Format: plain, FlushInterval: time.Hour}

	events.Add(k8sEvent(three)) // delivered out of order
	events.Add(k8sEvent(two))
	sessions.Modify(session(metav1.ConditionTrue))

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sess, err := f.Follow(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if sess.Status.Phase != v1alpha1.SessionSucceeded {
		t.Errorf("Follow returns the Session whose turn ended, got phase %s", sess.Status.Phase)
	}
	if got, want := lines(out.String()), []string{"one", "two", "three", "four"}; !equal(got, want) {
		t.Errorf("every event is printed once, in sequence order: got %v, want %v\n%s", got, want, out.String())
	}
}

func TestFollowSkipsWhatWasShownAndStopsAtOnceWhenDone(t *testing.T) {
	one, two := agentEvent(1, "one"), agentEvent(2, "two")
	src := &fakeSource{sessions: []*v1alpha1.Session{session(metav1.ConditionTrue)}, lists: [][]Entry{{one, two}}}
	var out strings.Builder
	f := &Follower{Source: src, Out: &out, Format: plain}
	f.Skip([]Entry{one})
	if _, err := f.Follow(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if got := lines(out.String()); !equal(got, []string{"two"}) {
		t.Errorf("only the entries not skipped are printed, and no watch is needed: %v", got)
	}
}

func TestFollowReListsWhenAWatchEnds(t *testing.T) {
	one, two := agentEvent(1, "one"), agentEvent(2, "two")
	closed := watch.NewFake()
	closed.Stop()
	src := &fakeSource{
		sessions: []*v1alpha1.Session{session(metav1.ConditionFalse), session(metav1.ConditionTrue)},
		lists:    [][]Entry{{one}, {one, two}},
		watches:  []*watch.FakeWatcher{closed}, sessW: []*watch.FakeWatcher{watch.NewFake()},
	}
	var out strings.Builder
	f := &Follower{Source: src, Out: &out, Format: plain}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := f.Follow(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if got := lines(out.String()); !equal(got, []string{"one", "two"}) {
		t.Errorf("after a watch ends the follower re-lists without repeating a line: %v", got)
	}
}

func TestFollowEndsWithTheContext(t *testing.T) {
	src := &fakeSource{
		sessions: []*v1alpha1.Session{session(metav1.ConditionFalse)}, lists: [][]Entry{nil},
		watches: []*watch.FakeWatcher{watch.NewFake()}, sessW: []*watch.FakeWatcher{watch.NewFake()},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	f := &Follower{Source: src, Out: &strings.Builder{}, Format: plain}
	if _, err := f.Follow(ctx, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Ctrl-C (a cancelled context) ends Follow with the context's error, got %v", err)
	}
}

func TestTurnDone(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*v1alpha1.Session)
		minGen int64
		want   bool
	}{
		{name: "TurnComplete True for the generation", minGen: 1, want: true},
		{name: "a True condition from before the follower's change does not count", minGen: 2,
			mutate: func(s *v1alpha1.Session) { s.Status.Phase = v1alpha1.SessionRequiresAction }},
		{name: "no condition yet", mutate: func(s *v1alpha1.Session) { s.Status.Conditions = nil }},
		{name: "a finished session with every message sent is done even if the spec moved on", minGen: 2, want: true},
		{name: "a finished session with a message still to send is not done", minGen: 2,
			mutate: func(s *v1alpha1.Session) { s.Spec.Messages = []string{"more"} }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := session(metav1.ConditionTrue)
			if tc.mutate != nil {
				tc.mutate(s)
			}
			if got := TurnDone(s, tc.minGen); got != tc.want {
				t.Errorf("TurnDone = %v, want %v", got, tc.want)
			}
		})
	}
}
