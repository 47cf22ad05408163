// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
	"github.com/anthropics/managed-agents-operator/internal/sessionstream"
	"github.com/anthropics/managed-agents-operator/internal/testenv"
)

const protobuf = "application/vnd.kubernetes.protobuf"

// wireRequest is one request the manager sent, as the API server received it.
type wireRequest struct {
	method, group, resource, contentType, accept string
}

func (w wireRequest) String() string {
	return fmt.Sprintf("%s %s/%s (Content-Type %q, Accept %q)", w.method, w.group, w.resource, w.contentType, w.accept)
}

// wireLog records every request of a rest.Config's clients.
type wireLog struct {
	mu       sync.Mutex
	requests []wireRequest
}

func (l *wireLog) wrap(next http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		group, resource := apiResource(req.URL.Path)
		l.mu.Lock()
		l.requests = append(l.requests, wireRequest{req.Method, group, resource, req.Header.Get("Content-Type"), req.Header.Get("Accept")})
		l.mu.Unlock()
		return next.RoundTrip(req)
	})
}

func (l *wireLog) snapshot() []wireRequest {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]wireRequest(nil), l.requests...)
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// apiResource reads the API group ("" for the core group) and resource from a request path such as
// /api/v1/namespaces/ns/events or /apis/claude.anthropic.com/v1alpha1/namespaces/ns/sessions/x/status.
func apiResource(path string) (group, resource string) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(parts) >= 3 && parts[0] == "api":
		parts = parts[2:]
	case len(parts) >= 4 && parts[0] == "apis":
		group, parts = parts[1], parts[3:]
	default:
		return "", path
	}
	if len(parts) >= 3 && parts[0] == "namespaces" {
		parts = parts[2:]
	}
	if len(parts) == 0 {
		return group, ""
	}
	return group, parts[0]
}

// TestBuiltInTypesUseProtobuf proves the wire format of the manager's Kubernetes clients, as
// newManager configures them: Events (the session Event writer's and the controllers' lifecycle
// Events), Secrets, ConfigMaps and Pods go as protobuf, both what is sent and what is asked for;
// the custom resources, which have no protobuf encoding, stay JSON and keep working. A kubeconfig
// or a flag that set the config's content type would turn protobuf off for everything or break the
// custom resources; this test would then fail.
func TestBuiltInTypesUseProtobuf(t *testing.T) {
	env, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	const ns = "wire"
	if err := env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}

	log := &wireLog{}
	cfg := rest.CopyConfig(env.Config)
	cfg.Wrap(log.wrap)
	mgr, err := newManager(cfg, options{kubeQPS: 100, kubeBurst: 200, metricsAddr: "0", probeAddr: "0"}, types.NamespacedName{})
	if err != nil {
		t.Fatal(err)
	}
	// The controllers' lifecycle Events go through controller-runtime's recorder, whose generated
	// events.k8s.io client prefers protobuf by itself (client-go 0.35+).
	recorder := mgr.GetEventRecorder("session-controller")
	mgrCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- mgr.Start(mgrCtx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})

	c, reader := mgr.GetClient(), mgr.GetAPIReader()
	meta := func(name string) metav1.ObjectMeta { return metav1.ObjectMeta{Namespace: ns, Name: name} }
	sess := &v1alpha1.Session{ObjectMeta: meta("s"), Spec: v1alpha1.SessionSpec{
		AgentRef: &v1alpha1.AgentReference{Name: "a"}, EnvironmentRef: &v1alpha1.LocalObjectReference{Name: "e"}, Prompt: "hi"}}
	objects := []client.Object{
		&corev1.Secret{ObjectMeta: meta("key"), Data: map[string][]byte{"api-key": []byte("sk-ant-x")}},
		&corev1.ConfigMap{ObjectMeta: meta("files"), Data: map[string]string{"a.txt": "a"}},
		&corev1.Pod{ObjectMeta: meta("sandbox"), Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}},
		sess,
	}
	for _, o := range objects {
		if err := c.Create(ctx, o); err != nil {
			t.Fatalf("creating %T: %v", o, err)
		}
		if err := reader.Get(ctx, client.ObjectKeyFromObject(o), o); err != nil {
			t.Fatalf("reading %T: %v", o, err)
		}
	}
	controllerutil.AddFinalizer(sess, "claude.anthropic.com/test")
	if err := c.Update(ctx, sess); err != nil {
		t.Fatalf("a custom resource update failed: %v", err)
	}
	if err := c.Get(ctx, client.ObjectKeyFromObject(sess), sess); err != nil {
		t.Fatalf("a custom resource read from the cache failed: %v", err)
	}
	writer := &sessionstream.EventWriter{Client: c}
	target := sessionstream.Target{Namespace: ns, Name: sess.Name, UID: sess.UID}
	if err := writer.Write(ctx, target, 1, eventFor(t), summaryFor()); err != nil {
		t.Fatalf("writing a session Event: %v", err)
	}
	recorder.Eventf(sess, nil, corev1.EventTypeNormal, "Launched", "Launch", "remote session sesn_1")
	testenv.WaitFor(t, 30*time.Second, "the lifecycle Event to be sent", func() (bool, string) {
		for _, r := range log.snapshot() {
			if r.group == "events.k8s.io" && r.method == http.MethodPost {
				return true, ""
			}
		}
		return false, "no events.k8s.io POST yet"
	})

	seen := checkWire(t, log.snapshot())
	for _, want := range []string{"/events POST", "events.k8s.io/events POST", "/secrets POST", "/secrets GET", "/configmaps POST",
		"/configmaps GET", "/pods POST", "/pods GET", "sessions POST", "sessions PUT", "sessions GET"} {
		if !seen[want] {
			t.Errorf("no %s request was made; the test proves nothing about it", want)
		}
	}
}

func eventFor(t *testing.T) *sessionevents.Event {
	t.Helper()
	ev, err := sessionevents.Decode([]byte(`{"id":"sevt_1","type":"agent.message","content":[{"type":"text","text":"hello"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	return &ev
}

func summaryFor() sessionevents.Summary {
	return sessionevents.Summary{Reason: sessionevents.ReasonAgentMessage, Message: "hello"}
}

// checkWire fails the test for every built-in type that did not go as protobuf and every custom
// resource that did not go as JSON, and returns the "group/resource METHOD" pairs it saw.
func checkWire(t *testing.T, requests []wireRequest) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	for _, r := range requests {
		switch r.group + "/" + r.resource {
		case "/events", "/secrets", "/configmaps", "/pods", "events.k8s.io/events":
			seen[r.group+"/"+r.resource+" "+r.method] = true
			if r.contentType != "" && r.contentType != protobuf {
				t.Errorf("a built-in type was sent as %q, want protobuf: %s", r.contentType, r)
			}
			if !strings.HasPrefix(r.accept, protobuf) {
				t.Errorf("a built-in type was asked for as %q, want protobuf first: %s", r.accept, r)
			}
		case v1alpha1.GroupVersion.Group + "/sessions":
			seen["sessions "+r.method] = true
			if strings.Contains(r.contentType+r.accept, "protobuf") {
				t.Errorf("a custom resource went as protobuf, which it has no encoding for: %s", r)
			}
		}
	}
	return seen
}
