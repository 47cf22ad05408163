// SPDX-License-Identifier: Apache-2.0

// Package apiserver measures what the operator's Kubernetes writes cost the API server, which is
// the bottleneck of every load in `make bench` (docs/performance.md).
package apiserver

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/bench/internal/proc"
	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
	"github.com/anthropics/managed-agents-operator/internal/sessionstatus"
	"github.com/anthropics/managed-agents-operator/internal/testenv"
)

// BenchmarkAPIServerWrite reports the API server's and etcd's CPU per write (from /proc, so the
// numbers include everything the write makes them do, watch fan-out to one watcher included):
//   - status/full: a status merge patch of two small fields (the event count and the last event
//     id) on a Session whose status is as large as a long turn makes it: the recent events that fit
//     their bound, a 4 KiB last agent message, usage and the twelve conditions of a running Session;
//   - status/small: the same patch on a Session whose status has only an id and a phase;
//   - event: one Kubernetes Event for a session event, as the pump writes it.
//
// Run it with `go test -run '^$' -bench . ./bench/apiserver` (it starts its own control plane);
// APISERVER_PROFILE_DIR also saves a kube-apiserver CPU profile of each (profile_test.go).
func BenchmarkAPIServerWrite(b *testing.B) {
	env, err := testenv.Start()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = env.Stop() })
	apiserver, etcd := proc.FindChild(os.Getpid(), "kube-apiserver"), proc.FindChild(os.Getpid(), "etcd")
	if apiserver == 0 || etcd == 0 {
		b.Fatal("cannot find the kube-apiserver and etcd processes")
	}
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "bench"}}
	if err := env.Client.Create(ctx, ns); err != nil {
		b.Fatal(err)
	}
	watchSessions(ctx, b, env)
	sessions, err := sessionsClient(env.Config)
	if err != nil {
		b.Fatal(err)
	}
	full := createSession(ctx, b, env.Client, "full", fullStatus(b))
	small := createSession(ctx, b, env.Client, "small", v1alpha1.SessionStatus{ID: "sesn_1", Phase: v1alpha1.SessionRunning})
	for _, sess := range []*v1alpha1.Session{full, small} {
		b.Run("status/"+sess.Name, func(b *testing.B) {
			profileAPIServer(b, env.Config, "status-"+sess.Name)
			perWrite(b, apiserver, etcd, func(i int) error {
				patch := fmt.Sprintf(`{"status":{"eventCount":%d,"lastEventID":"sevt_%d"}}`, 1000+i, 1000+i)
				return sessions.Patch(types.MergePatchType).Namespace("bench").Resource("sessions").Name(sess.Name).
					SubResource("status").Body([]byte(patch)).Do(ctx).Error()
			})
			raw, err := sessions.Get().Namespace("bench").Resource("sessions").Name(sess.Name).DoRaw(ctx)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(len(raw)), "object-bytes")
		})
	}
	b.Run("event", func(b *testing.B) {
		profileAPIServer(b, env.Config, "event")
		perWrite(b, apiserver, etcd, func(int) error {
			eventsWritten++ // unique across -count runs, which share the control plane
			return env.Client.Create(ctx, sessionEvent(eventsWritten))
		})
	})
}

// perWrite runs write b.N times and reports the API server's and etcd's CPU milliseconds per write.
func perWrite(b *testing.B, apiserver, etcd int, write func(i int) error) {
	a0, e0 := cpu(b, apiserver), cpu(b, etcd)
	i := 0
	for b.Loop() {
		if err := write(i); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric((cpu(b, apiserver)-a0)*1000/float64(i), "apiserver-cpu-ms/op")
	b.ReportMetric((cpu(b, etcd)-e0)*1000/float64(i), "etcd-cpu-ms/op")
}

func cpu(b *testing.B, pid int) float64 {
	s, err := proc.CPUSeconds(pid)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// fullStatus is the status of a Session deep into a long turn: every bounded list full.
func fullStatus(b *testing.B) v1alpha1.SessionStatus {
	var st sessionevents.State
	apply := func(raw string) {
		ev, err := sessionevents.Decode([]byte(raw))
		if err != nil {
			b.Fatal(err)
		}
		st.Apply(&ev)
	}
	apply(`{"type":"user.message","id":"sevt_u","content":[{"type":"text","text":"fix the build"}]}`)
	apply(`{"type":"session.status_running","id":"sevt_r"}`)
	line := strings.Repeat("The agent explains what it did and why. ", 8)
	for i := range sessionevents.MaxRecent {
		apply(fmt.Sprintf(`{"type":"agent.message","id":"sevt_%026d","processed_at":"2026-04-01T12:00:%02d.5Z","content":[{"type":"text","text":%q}]}`,
			i, i, strings.Repeat(line, 1+i/4)))
	}
	apply(`{"type":"span.model_request_end","id":"sevt_usage","model_usage":{"input_tokens":12000,"output_tokens":3400,"cache_read_input_tokens":800}}`)
	status := v1alpha1.SessionStatus{ID: "sesn_01234567890123456789", AgentID: "agent_0123456789", AgentVersion: 3,
		EnvironmentID: "env_0123456789", Phase: v1alpha1.SessionRunning, ObservedGeneration: 1}
	sessionstatus.Apply(&status, &st)
	status.Conditions = runningConditions()
	return status
}

// runningConditions are the twelve conditions of a running Session, with the messages the manager
// writes (from a Session served during `make bench`).
func runningConditions() []metav1.Condition {
	var out []metav1.Condition
	add := func(typ string, status metav1.ConditionStatus, reason, message string) {
		out = append(out, metav1.Condition{Type: typ, Status: status, Reason: reason, Message: message,
			LastTransitionTime: metav1.Now(), ObservedGeneration: 1})
	}
	add(v1alpha1.ConditionReferencesResolved, metav1.ConditionTrue, "Resolved", "agent agent_0110000000004VABka7w0rqo (version 1) in environment env_0110000000002jVkz8E0a94c")
	add(v1alpha1.ConditionLaunched, metav1.ConditionTrue, "Launched", "remote session sesn_011000000001MiRwOVUhTelh")
	add(v1alpha1.ConditionPaused, metav1.ConditionFalse, "NotPaused", "the operator reconciles this object")
	add(v1alpha1.ConditionSynced, metav1.ConditionTrue, "Synced", "the last call to the API worked")
	for _, c := range []string{v1alpha1.ConditionTurnComplete, v1alpha1.ConditionActionRequired, v1alpha1.ConditionReady,
		v1alpha1.ConditionFinished, v1alpha1.ConditionReconciling} {
		status := metav1.ConditionFalse
		if c == v1alpha1.ConditionReady {
			status = metav1.ConditionTrue
		}
		add(c, status, "Running", "the agent is working")
	}
	add(v1alpha1.ConditionStalled, metav1.ConditionFalse, "NotStalled", "nothing keeps the operator from reconciling this object")
	add(v1alpha1.ConditionResourcesSynced, metav1.ConditionTrue, "UpToDate", "the remote session's resources and repository tokens match spec.resources and their Secrets")
	add(v1alpha1.ConditionRemoteFieldsSynced, metav1.ConditionTrue, "UpToDate", "the remote session's title, metadata and budget match the spec")
	return out
}

func createSession(ctx context.Context, b *testing.B, c client.Client, name string, status v1alpha1.SessionStatus) *v1alpha1.Session {
	sess := &v1alpha1.Session{ObjectMeta: metav1.ObjectMeta{Namespace: "bench", Name: name, Finalizers: []string{"claude.anthropic.com/finalizer"}},
		Spec: v1alpha1.SessionSpec{AgentID: "agent_0123456789", EnvironmentID: "env_0123456789", Prompt: "fix the build"}}
	if err := c.Create(ctx, sess); err != nil {
		b.Fatal(err)
	}
	sess.Status = status
	if err := c.Status().Update(ctx, sess); err != nil {
		b.Fatal(err)
	}
	return sess
}

// watchSessions drains a watch on Sessions for the whole run, as the manager's informer would.
func watchSessions(ctx context.Context, b *testing.B, env *testenv.Env) {
	c, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Client.Scheme()})
	if err != nil {
		b.Fatal(err)
	}
	w, err := c.Watch(ctx, &v1alpha1.SessionList{}, client.InNamespace("bench"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(w.Stop)
	go func() {
		for range w.ResultChan() {
		}
	}()
}

// sessionsClient sends raw patches to the Session status subresource, as the manager does.
func sessionsClient(cfg *rest.Config) (*rest.RESTClient, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.GroupVersion = &v1alpha1.GroupVersion
	cfg.APIPath = "/apis"
	cfg.NegotiatedSerializer = scheme.Codecs.WithoutConversion()
	return rest.RESTClientFor(cfg)
}

// eventsWritten numbers the benchmark's Events.
var eventsWritten int

func sessionEvent(i int) *corev1.Event {
	now := metav1.Now()
	return &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{Namespace: "bench", Name: fmt.Sprintf("full.%016x", i), Annotations: map[string]string{
			"claude.anthropic.com/event-id": fmt.Sprintf("sevt_%026d", i), "claude.anthropic.com/event-type": "agent.message",
			"claude.anthropic.com/sequence": fmt.Sprint(i)}},
		InvolvedObject: corev1.ObjectReference{APIVersion: v1alpha1.GroupVersion.String(), Kind: "Session", Namespace: "bench", Name: "full"},
		Reason:         "AgentMessage", Message: strings.Repeat("The agent explains what it did. ", 8), Type: corev1.EventTypeNormal,
		Source: corev1.EventSource{Component: "session-controller"}, FirstTimestamp: now, LastTimestamp: now, Count: 1,
	}
}
