// SPDX-License-Identifier: Apache-2.0

package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
)

// Annotations the operator puts on the Kubernetes Event of each notable session event.
const (
	annotationEventID  = "claude.anthropic.com/event-id"
	annotationSequence = "claude.anthropic.com/sequence"
)

// figures are what a settled run measured.
type figures struct {
	Sessions       int
	RemoteSessions int
	RemoteEvents   int
	Notable        int
	KubeEvents     int
	UserMessages   int
}

func (f figures) String() string {
	return fmt.Sprintf("%d Sessions, %d remote sessions, %d remote events (%d notable), %d Kubernetes Events, %d user messages",
		f.Sessions, f.RemoteSessions, f.RemoteEvents, f.Notable, f.KubeEvents, f.UserMessages)
}

// remoteEvent is one event of a remote session's history.
type remoteEvent struct {
	seq     int64
	id      string
	typ     string
	notable bool
}

// history lists a remote session's events, oldest first, through the official SDK.
func (s *scenario) history(ctx context.Context, id string) ([]remoteEvent, error) {
	pager := s.api.Beta.Sessions.Events.ListAutoPaging(ctx, id, anthropic.BetaSessionEventListParams{
		Limit: anthropic.Int(1000), Order: anthropic.BetaSessionEventListParamsOrderAsc,
	})
	var out []remoteEvent
	for pager.Next() {
		ev, err := sessionevents.Decode([]byte(pager.Current().RawJSON()))
		if err != nil {
			return nil, fmt.Errorf("session %s event %d: %w", id, len(out)+1, err)
		}
		out = append(out, remoteEvent{seq: int64(len(out) + 1), id: ev.ID, typ: ev.Type, notable: sessionevents.Summarize(&ev).Reason != ""})
	}
	return out, pager.Err()
}

// remoteSessionsByUID lists every remote session, archived or not, by the Kubernetes UID in its
// metadata.
func (s *scenario) remoteSessionsByUID(ctx context.Context) (map[string][]string, int, error) {
	pager := s.api.Beta.Sessions.ListAutoPaging(ctx, anthropic.BetaSessionListParams{
		IncludeArchived: anthropic.Bool(true), Limit: anthropic.Int(100),
	})
	byUID := map[string][]string{}
	n := 0
	for pager.Next() {
		cur := pager.Current()
		byUID[cur.Metadata[v1alpha1.MetadataKeyUID]] = append(byUID[cur.Metadata[v1alpha1.MetadataKeyUID]], cur.ID)
		n++
	}
	return byUID, n, pager.Err()
}

func (s *scenario) sessions(ctx context.Context) ([]v1alpha1.Session, error) {
	var list v1alpha1.SessionList
	if err := k8s.List(ctx, &list, client.InNamespace(s.ns)); err != nil {
		return nil, err
	}
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].Name < list.Items[j].Name })
	return list.Items, nil
}

// converged reports whether every Session finished both turns and its status.eventCount equals the
// length of its remote history: the cheap part of the checks, polled while the run settles.
func (s *scenario) converged(ctx context.Context) (bool, string) {
	list, err := s.sessions(ctx)
	if err != nil {
		return false, err.Error()
	}
	var waiting []string
	for i := range list {
		sess := &list[i]
		st := &sess.Status
		if st.Phase != v1alpha1.SessionSucceeded || int(st.MessagesSent) != len(sess.Spec.Messages) || st.ID == "" {
			waiting = append(waiting, fmt.Sprintf("%s: phase %q, %d/%d messages sent, %d events", sess.Name, st.Phase, st.MessagesSent, len(sess.Spec.Messages), st.EventCount))
			continue
		}
		h, err := s.history(ctx, st.ID)
		if err != nil {
			return false, err.Error()
		}
		if int64(len(h)) != st.EventCount {
			waiting = append(waiting, fmt.Sprintf("%s: status.eventCount %d, remote history %d", sess.Name, st.EventCount, len(h)))
		}
	}
	if len(waiting) > 0 {
		return false, fmt.Sprintf("%d of %d Sessions not settled: %s", len(waiting), len(list), strings.Join(waiting[:min(len(waiting), 8)], "; "))
	}
	return true, ""
}

// settle waits until the run converged, then checks everything: exact event counts, one remote
// session per Session, one user message per prompt and follow-up, and exactly one Kubernetes Event,
// with the right sequence, for every notable remote event. It returns the figures.
func (s *scenario) settle(timeout time.Duration) figures {
	s.t.Helper()
	start := time.Now()
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		ok, last := s.converged(ctx)
		cancel()
		if ok {
			break
		}
		if time.Now().After(deadline) {
			s.dumpSessions()
			s.t.Fatalf("timed out after %s waiting for every Session to finish and match its remote history; last seen: %s", timeout, last)
		}
		time.Sleep(time.Second)
	}
	s.t.Logf("settled %s after the chaos ended", time.Since(start).Round(time.Second))
	// Events are written before the status that counts them, so they are all there by now; allow a
	// few seconds for the last writes of a slow API server.
	var f figures
	var problems []string
	for attempt := 0; attempt < 5; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		f, problems = s.check(ctx)
		cancel()
		if len(problems) == 0 {
			break
		}
		time.Sleep(3 * time.Second)
	}
	for _, p := range problems[:min(len(problems), 40)] {
		s.t.Error(p)
	}
	if len(problems) > 40 {
		s.t.Errorf("... and %d more problems", len(problems)-40)
	}
	s.t.Logf("figures: %s", f)
	return f
}

// dumpSessions logs every Session's metadata and status, for a post-mortem.
func (s *scenario) dumpSessions() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	list, err := s.sessions(ctx)
	if err != nil {
		s.t.Logf("listing Sessions: %v", err)
		return
	}
	for i := range list {
		sess := &list[i]
		st, _ := json.Marshal(sess.Status)
		s.t.Logf("Session %s (resourceVersion %s, generation %d, finalizers %v): %s", sess.Name, sess.ResourceVersion, sess.Generation, sess.Finalizers, st)
	}
}

// check compares the cluster with the simulator and lists every discrepancy.
func (s *scenario) check(ctx context.Context) (figures, []string) {
	var f figures
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	list, err := s.sessions(ctx)
	if err != nil {
		return f, []string{err.Error()}
	}
	f.Sessions = len(list)
	byUID, total, err := s.remoteSessionsByUID(ctx)
	if err != nil {
		return f, []string{err.Error()}
	}
	f.RemoteSessions = total
	if total != len(list) {
		fail("the simulator holds %d sessions for %d Sessions", total, len(list))
	}
	events, err := s.kubeEvents(ctx)
	if err != nil {
		return f, []string{err.Error()}
	}
	for i := range list {
		sess := &list[i]
		if ids := byUID[string(sess.UID)]; len(ids) != 1 {
			fail("%s: %d remote sessions carry its UID: %v", sess.Name, len(ids), ids)
		}
		if sess.Status.Phase != v1alpha1.SessionSucceeded || !meta.IsStatusConditionTrue(sess.Status.Conditions, v1alpha1.ConditionTurnComplete) {
			fail("%s: phase %q, TurnComplete %v", sess.Name, sess.Status.Phase, meta.FindStatusCondition(sess.Status.Conditions, v1alpha1.ConditionTurnComplete))
		}
		h, err := s.history(ctx, sess.Status.ID)
		if err != nil {
			return f, []string{err.Error()}
		}
		f.RemoteEvents += len(h)
		if int64(len(h)) != sess.Status.EventCount {
			fail("%s: status.eventCount %d, remote history %d", sess.Name, sess.Status.EventCount, len(h))
		}
		if len(h) > 0 && sess.Status.LastEventID != h[len(h)-1].id {
			fail("%s: status.lastEventID %s, newest remote event %s", sess.Name, sess.Status.LastEventID, h[len(h)-1].id)
		}
		userMessages := 0
		for _, ev := range h {
			if ev.typ == "user.message" {
				userMessages++
			}
		}
		f.UserMessages += userMessages
		if want := 1 + len(sess.Spec.Messages); userMessages != want {
			fail("%s: %d user.message events in the remote history, want %d (the prompt and each follow-up once)", sess.Name, userMessages, want)
		}
		problems = append(problems, checkKubeEvents(sess, h, events[sess.UID], &f)...)
	}
	return f, problems
}

// checkKubeEvents wants exactly one Kubernetes Event per notable remote event, annotated with its id
// and its position in the history, and no Event for anything else.
func checkKubeEvents(sess *v1alpha1.Session, h []remoteEvent, events []corev1.Event, f *figures) []string {
	var problems []string
	byID := map[string][]corev1.Event{}
	for _, e := range events {
		byID[e.Annotations[annotationEventID]] = append(byID[e.Annotations[annotationEventID]], e)
	}
	f.KubeEvents += len(events)
	var missing []string
	known := map[string]bool{}
	for _, ev := range h {
		known[ev.id] = true
		if !ev.notable {
			continue
		}
		f.Notable++
		got := byID[ev.id]
		switch {
		case len(got) == 0:
			missing = append(missing, fmt.Sprintf("#%d %s %s", ev.seq, ev.typ, ev.id))
		case len(got) > 1:
			problems = append(problems, fmt.Sprintf("%s: %d Kubernetes Events for remote event %s", sess.Name, len(got), ev.id))
		case got[0].Annotations[annotationSequence] != strconv.FormatInt(ev.seq, 10):
			problems = append(problems, fmt.Sprintf("%s: the Event of %s says sequence %s, the history %d", sess.Name, ev.id, got[0].Annotations[annotationSequence], ev.seq))
		}
	}
	if len(missing) > 0 {
		problems = append(problems, fmt.Sprintf("%s: %d notable remote events have no Kubernetes Event (lost): %s", sess.Name, len(missing), strings.Join(missing[:min(len(missing), 6)], ", ")))
	}
	for id, got := range byID {
		if !known[id] {
			problems = append(problems, fmt.Sprintf("%s: %d Kubernetes Events for %q, which is not in the remote history", sess.Name, len(got), id))
		}
	}
	return problems
}

// kubeEvents lists the namespace's Events that carry a session event id, by the Session's UID.
func (s *scenario) kubeEvents(ctx context.Context) (map[types.UID][]corev1.Event, error) {
	out := map[types.UID][]corev1.Event{}
	opts := []client.ListOption{client.InNamespace(s.ns), client.Limit(2000)}
	for {
		var list corev1.EventList
		if err := k8s.List(ctx, &list, opts...); err != nil {
			return nil, err
		}
		for _, e := range list.Items {
			if _, ok := e.Annotations[annotationEventID]; ok {
				out[e.InvolvedObject.UID] = append(out[e.InvolvedObject.UID], e)
			}
		}
		if list.Continue == "" {
			return out, nil
		}
		opts = []client.ListOption{client.InNamespace(s.ns), client.Limit(2000), client.Continue(list.Continue)}
	}
}
