// SPDX-License-Identifier: Apache-2.0

package chaos

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/testenv"
)

// rejection is what the operator must show for one API error on one kind's create.
type rejection struct {
	// reason of the Ready=False condition.
	reason string
	// retries: the error is not the spec's fault (a 409 on a create), so the operator tries again
	// with exponential backoff; otherwise it waits for a change and makes no call at all.
	retries bool
	// failed: the Session ends in phase Failed (the launch can never succeed as specified).
	failed bool
	// message the condition must contain; empty means the API's own message.
	message string
}

// expectedRejection maps an API status on a create to what the operator must show.
func expectedRejection(kind string, status int) rejection {
	switch status {
	case 401, 403:
		return rejection{reason: "Unauthorized"}
	case 404:
		return rejection{reason: "RemoteNotFound", failed: kind == "Session"}
	case 409:
		if kind == "Environment" {
			// Another environment holds the name: a clear condition, looked at again at the resync period.
			return rejection{reason: "NameConflict", message: "is taken by"}
		}
		return rejection{reason: "APIUnavailable", retries: true}
	default: // 400, 413, 422
		return rejection{reason: "InvalidSpec", failed: kind == "Session"}
	}
}

// apiErrorClasses are the 4xx statuses the simulator can answer, with the error type it uses.
var apiErrorClasses = []struct {
	status int
	typ    string
}{
	{400, "invalid_request_error"},
	{401, "authentication_error"},
	{403, "permission_error"},
	{404, "not_found_error"},
	{409, "invalid_request_error"},
	{413, "request_too_large"},
	{422, "invalid_request_error"},
}

// TestAPIErrorsShowConditionsWithoutHotLoops makes the simulator reject the create of an Agent, an
// Environment and a Session with every 4xx class it can return. Each object must show the matching
// Ready condition with the API's message, and the calls that follow over a window must stay bounded:
// none for an error that waits for a spec change, an exponential backoff for a 409 that may clear.
// Each class runs in its own namespace, simulator and manager, so that the counts are its own.
func TestAPIErrorsShowConditionsWithoutHotLoops(t *testing.T) {
	for _, class := range apiErrorClasses {
		t.Run(fmt.Sprintf("HTTP %d %s", class.status, class.typ), func(t *testing.T) {
			t.Parallel()
			s := newScenario(t, fmt.Sprintf("bad-%d", class.status))
			s.startManager()
			s.waitReady(2 * time.Minute)
			for _, endpoint := range []string{"POST /v1/agents", "POST /v1/environments", "POST /v1/sessions"} {
				s.postFaults(fmt.Sprintf(`{"kind":"error","status":%d,"endpoint":%q}`, class.status, endpoint))
			}
			apiMessage := fmt.Sprintf("injected fault: HTTP %d", class.status)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			objects := map[string]client.Object{
				"Agent": &v1alpha1.Agent{ObjectMeta: metav1.ObjectMeta{Namespace: s.ns, Name: "rejected"},
					Spec: v1alpha1.AgentSpec{Model: v1alpha1.ModelConfig{ID: "claude-opus-4-8"}}},
				"Environment": &v1alpha1.Environment{ObjectMeta: metav1.ObjectMeta{Namespace: s.ns, Name: "rejected"}},
				"Session": &v1alpha1.Session{ObjectMeta: metav1.ObjectMeta{Namespace: s.ns, Name: "rejected"}, Spec: v1alpha1.SessionSpec{
					AgentRef: &v1alpha1.AgentReference{Name: "coder"}, EnvironmentRef: &v1alpha1.LocalObjectReference{Name: "env"}, Prompt: "hello",
				}},
			}
			for _, obj := range objects {
				s.create(ctx, obj)
			}
			for kind, obj := range objects {
				want := expectedRejection(kind, class.status)
				if want.message == "" {
					want.message = apiMessage
				}
				s.waitRejected(kind, obj, want)
			}
			s.assertBoundedCalls(class.status, objects)
		})
	}
}

// TestRealAPIErrorsShowTheAPIMessage covers rejections the simulator makes on its own, with the
// API's real messages: a wrong key (401), an unknown agent id (404), a name held by an environment
// the operator did not create (409) and a model option the API refuses (400).
func TestRealAPIErrorsShowTheAPIMessage(t *testing.T) {
	s := newScenario(t, "bad-real")
	s.startManager()
	s.waitReady(2 * time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := s.api.Beta.Environments.New(ctx, anthropic.BetaEnvironmentNewParams{Name: "taken-name"}); err != nil {
		t.Fatal(err)
	}
	s.create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: s.ns, Name: "wrong-key"},
		Data: map[string][]byte{"api-key": []byte("sk-ant-wrong-" + strings.Repeat("0", 16))}})
	cases := []struct {
		kind string
		obj  client.Object
		want rejection
	}{
		{"Agent", &v1alpha1.Agent{ObjectMeta: metav1.ObjectMeta{Namespace: s.ns, Name: "wrong-key"}, Spec: v1alpha1.AgentSpec{
			Model: v1alpha1.ModelConfig{ID: "claude-opus-4-8"}, APIKeySecretRef: &v1alpha1.SecretKeyReference{Name: "wrong-key"},
		}}, rejection{reason: "Unauthorized", message: "invalid x-api-key"}},
		{"Agent", &v1alpha1.Agent{ObjectMeta: metav1.ObjectMeta{Namespace: s.ns, Name: "fast-haiku"}, Spec: v1alpha1.AgentSpec{
			Model: v1alpha1.ModelConfig{ID: "claude-haiku-4-5", Speed: "fast"},
		}}, rejection{reason: "InvalidSpec", message: "invalid_request_error (HTTP 400"}},
		{"Environment", &v1alpha1.Environment{ObjectMeta: metav1.ObjectMeta{Namespace: s.ns, Name: "taken"}, Spec: v1alpha1.EnvironmentSpec{
			Name: "taken-name",
		}}, rejection{reason: "NameConflict", message: `"taken-name" is taken by remote environment env_`}},
		{"Session", &v1alpha1.Session{ObjectMeta: metav1.ObjectMeta{Namespace: s.ns, Name: "unknown-agent"}, Spec: v1alpha1.SessionSpec{
			AgentID: "agent_doesnotexist", EnvironmentRef: &v1alpha1.LocalObjectReference{Name: "env"}, Prompt: "hello",
		}}, rejection{reason: "RemoteNotFound", failed: true, message: "not_found_error (HTTP 404"}},
		{"Session", &v1alpha1.Session{ObjectMeta: metav1.ObjectMeta{Namespace: s.ns, Name: "wrong-key"}, Spec: v1alpha1.SessionSpec{
			AgentRef: &v1alpha1.AgentReference{Name: "coder"}, EnvironmentRef: &v1alpha1.LocalObjectReference{Name: "env"}, Prompt: "hello",
			APIKeySecretRef: &v1alpha1.SecretKeyReference{Name: "wrong-key"},
		}}, rejection{reason: "Unauthorized", message: "authentication_error (HTTP 401"}},
	}
	for _, c := range cases {
		s.create(ctx, c.obj)
	}
	for _, c := range cases {
		s.waitRejected(c.kind, c.obj, c.want)
	}
	before := s.stats()
	time.Sleep(cfg.badInputWindow)
	after := s.stats()
	if n := sumStats(after, " /v1/") - sumStats(before, " /v1/"); n > 2 {
		t.Errorf("%d API calls in %s after every object was rejected; want none: %v", n, cfg.badInputWindow, diffStats(before, after))
	}
}

// waitRejected waits until an object shows the rejection: an Agent or Environment in its Ready
// condition; a Session in Synced (the last call to the API), and a refused launch also in its phase.
func (s *scenario) waitRejected(kind string, obj client.Object, want rejection) {
	s.t.Helper()
	testenv.WaitFor(s.t, time.Minute, fmt.Sprintf("%s %s to show %s", kind, obj.GetName(), want.reason), func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			return false, err.Error()
		}
		var conds []metav1.Condition
		phase := ""
		switch o := obj.(type) {
		case *v1alpha1.Agent:
			conds = o.Status.Conditions
		case *v1alpha1.Environment:
			conds = o.Status.Conditions
		case *v1alpha1.Session:
			conds, phase = o.Status.Conditions, string(o.Status.Phase)
			if want.failed && phase != string(v1alpha1.SessionFailed) {
				return false, "phase " + phase
			}
			if o.Status.ID != "" {
				s.t.Fatalf("Session %s launched remote session %s despite the rejection", o.Name, o.Status.ID)
			}
		}
		condType := v1alpha1.ConditionReady
		if kind == "Session" {
			condType = v1alpha1.ConditionSynced
		}
		cond := meta.FindStatusCondition(conds, condType)
		ok := cond != nil && cond.Status == metav1.ConditionFalse && cond.Reason == want.reason && strings.Contains(cond.Message, want.message)
		return ok, fmt.Sprintf("phase %q, %s %+v", phase, condType, cond)
	})
}

// assertBoundedCalls counts each kind's API calls over cfg.badInputWindow once every object shows
// its rejection. An error that waits for a spec change allows no call (one stray is tolerated); a
// retried 409 allows an exponential backoff that starts at 5 ms and doubles: at most two calls (look
// up, create) per doubling, and the second half of the window must not be busier than the first.
func (s *scenario) assertBoundedCalls(status int, objects map[string]client.Object) {
	s.t.Helper()
	paths := map[string]string{"Agent": " /v1/agents", "Environment": " /v1/environments", "Session": " /v1/sessions"}
	half := cfg.badInputWindow / 2
	start := s.stats()
	time.Sleep(half)
	mid := s.stats()
	time.Sleep(half)
	end := s.stats()
	for kind := range objects {
		first := sumStats(mid, paths[kind]) - sumStats(start, paths[kind])
		second := sumStats(end, paths[kind]) - sumStats(mid, paths[kind])
		want := expectedRejection(kind, status)
		limit := int64(1)
		if want.retries {
			// Reconciles since the first failure: 5ms * 2^k <= window.
			limit = 2 * int64(math.Ceil(math.Log2(float64(cfg.badInputWindow)/float64(5*time.Millisecond)))+1)
		}
		s.t.Logf("RESULT bad-input HTTP %d %s: %s, %d calls in %s (%d then %d), limit %d", status, kind, want.reason,
			first+second, cfg.badInputWindow, first, second, limit)
		if first+second > limit {
			s.t.Errorf("%s after HTTP %d: %d API calls in %s, want at most %d (a hot loop): %v", kind, status, first+second, cfg.badInputWindow, limit, diffStats(start, end))
		}
		if want.retries && second > first+2 {
			s.t.Errorf("%s after HTTP %d: %d calls in the second half of the window, %d in the first: the backoff does not grow", kind, status, second, first)
		}
		s.assertOneWarning(kind, objects[kind], want)
	}
}

// assertOneWarning wants one Warning Event for a rejection that waits for a spec change: the
// condition changes once, and so does the Event stream.
func (s *scenario) assertOneWarning(kind string, obj client.Object, want rejection) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var list corev1.EventList
	if err := k8s.List(ctx, &list, client.InNamespace(s.ns)); err != nil {
		s.t.Fatal(err)
	}
	n := 0
	for _, e := range list.Items {
		if e.InvolvedObject.Kind == kind && e.InvolvedObject.Name == obj.GetName() && e.Type == corev1.EventTypeWarning && e.Reason == want.reason {
			n += max(1, int(e.Count))
			if e.Series != nil {
				n += int(e.Series.Count) - 1
			}
		}
	}
	s.t.Logf("RESULT bad-input %s %s: %d Warning Events", kind, want.reason, n)
	if !want.retries && n != 1 {
		s.t.Errorf("%s %s: %d Warning Events with reason %s, want exactly 1", kind, obj.GetName(), n, want.reason)
	}
}

// diffStats lists the counters that changed between two reads.
func diffStats(before, after map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for k, v := range after {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}
