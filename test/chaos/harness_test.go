// SPDX-License-Identifier: Apache-2.0

package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/testenv"
)

const (
	// stopGrace is how long a process gets after SIGTERM before it is killed.
	stopGrace = 10 * time.Second
	// keySecret is the Secret in each scenario's namespace that holds the API key.
	keySecret = "anthropic"
)

// scenario is one namespace with its own simulator, API key and managers, so that scenarios never
// see each other's requests, faults or objects.
type scenario struct {
	t      *testing.T
	ns     string
	apiKey string
	sim    *testenv.Process
	simURL string
	api    anthropic.Client

	mu    sync.Mutex
	procs []*testenv.Process // every manager started, oldest first
}

// newScenario creates a namespace with the API key Secret, starts a simulator with extra flags, and
// creates the Agent "coder" and the Environment "env" that every Session uses. Everything it starts
// is stopped when the test ends.
func newScenario(t *testing.T, ns string, simArgs ...string) *scenario {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := &scenario{t: t, ns: ns, apiKey: fmt.Sprintf("sk-ant-chaos-%016x", rand.Uint64())}
	args := append([]string{"--api-key", s.apiKey, "--step-delay", cfg.stepDelay.String()}, simArgs...)
	sim, url, err := testenv.StartSimulator(ctx, simulatorBin, args...)
	if err != nil {
		t.Fatal(err)
	}
	s.sim, s.simURL = sim, url
	s.api = anthropic.NewClient(option.WithBaseURL(url), option.WithAPIKey(s.apiKey), option.WithMaxRetries(3),
		option.WithRequestTimeout(30*time.Second))
	t.Cleanup(s.stopAll)
	s.create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	s.create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: keySecret},
		Data: map[string][]byte{"api-key": []byte(s.apiKey)}})
	s.create(ctx, &v1alpha1.Agent{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "coder"},
		Spec: v1alpha1.AgentSpec{Model: v1alpha1.ModelConfig{ID: "claude-opus-4-8"}}})
	s.create(ctx, &v1alpha1.Environment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "env"}})
	return s
}

// stopAll stops every manager and the simulator; on failure it logs the newest managers' last lines.
func (s *scenario) stopAll() {
	s.mu.Lock()
	procs := append([]*testenv.Process(nil), s.procs...)
	s.mu.Unlock()
	for _, p := range procs {
		p.Stop(stopGrace)
	}
	s.sim.Stop(stopGrace)
	if s.t.Failed() {
		for _, p := range procs[max(0, len(procs)-2):] {
			s.t.Logf("last lines of %s:\n%s", p.Name, p.Tail(60))
		}
	}
	for _, p := range append(procs, s.sim) {
		saveArtifact(s.ns+"-"+p.Name+".log", p.Logs())
	}
}

// saveArtifact keeps a log for a post-mortem when CHAOS_ARTIFACTS names a directory.
func saveArtifact(name, text string) {
	if dir := os.Getenv("CHAOS_ARTIFACTS"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err == nil {
			_ = os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644)
		}
	}
}

func (s *scenario) create(ctx context.Context, obj client.Object) {
	s.t.Helper()
	if err := k8s.Create(ctx, obj); err != nil {
		s.t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
	}
}

// managerArgs are the flags of every manager of the scenario: the simulator (plain http, hence
// --allow-insecure-api-url), the namespace's key, and only this namespace.
func (s *scenario) managerArgs() []string {
	return []string{
		"--kubeconfig", cp.kubeconfig, "--metrics-bind-address=0",
		"--api-base-url=" + s.simURL, "--allow-insecure-api-url",
		"--api-key-secret=" + s.ns + "/" + keySecret, "--watch-namespaces=" + s.ns,
	}
}

// startManager starts one more manager with extra flags. It does not wait for it: a manager that is
// killed before it is ready is part of the chaos.
func (s *scenario) startManager(extra ...string) *testenv.Process {
	s.t.Helper()
	ports, err := freePorts(1)
	if err != nil {
		s.t.Fatal(err)
	}
	args := append(s.managerArgs(), fmt.Sprintf("--health-probe-bind-address=127.0.0.1:%d", ports[0]))
	s.mu.Lock()
	defer s.mu.Unlock()
	name := fmt.Sprintf("manager-%d", len(s.procs)+1)
	p, err := testenv.StartProcess(name, managerBin, append(args, extra...), "ANTHROPIC_API_KEY=", "ANTHROPIC_BASE_URL=", "KUBECONFIG=")
	if err != nil {
		s.t.Fatal(err)
	}
	s.procs = append(s.procs, p)
	return p
}

// waitReady waits until the Agent and the Environment are Ready, so that Sessions launch at once.
func (s *scenario) waitReady(timeout time.Duration) {
	s.t.Helper()
	testenv.WaitFor(s.t, timeout, "the Agent and the Environment to be Ready", func() (bool, string) {
		var agent v1alpha1.Agent
		var env v1alpha1.Environment
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: s.ns, Name: "coder"}, &agent); err != nil {
			return false, err.Error()
		}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: s.ns, Name: "env"}, &env); err != nil {
			return false, err.Error()
		}
		ok := meta.IsStatusConditionTrue(agent.Status.Conditions, v1alpha1.ConditionReady) &&
			meta.IsStatusConditionTrue(env.Status.Conditions, v1alpha1.ConditionReady)
		return ok, fmt.Sprintf("agent %v, environment %v", agent.Status.Conditions, env.Status.Conditions)
	})
}

// createSessions creates n Sessions whose prompt runs a long turn and whose one follow-up message
// runs another; the operator sends the follow-up once the first turn ends.
func (s *scenario) createSessions(n, firstTurn, followUp int) []string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var names []string
	for i := range n {
		name := fmt.Sprintf("s-%02d", i)
		s.create(ctx, &v1alpha1.Session{ObjectMeta: metav1.ObjectMeta{Namespace: s.ns, Name: name}, Spec: v1alpha1.SessionSpec{
			AgentRef:       &v1alpha1.AgentReference{Name: "coder"},
			EnvironmentRef: &v1alpha1.LocalObjectReference{Name: "env"},
			Prompt:         fmt.Sprintf("[[long:%d]] first turn of %s", firstTurn, name),
			Messages:       []string{fmt.Sprintf("[[long:%d]] follow-up of %s", followUp, name)},
		}})
		names = append(names, name)
	}
	return names
}

// kills counts the SIGKILLs of a run, those that hit while turns were running and those that hit
// while follow-ups were being sent, and how many follow-ups went out before the chaos ended.
type kills struct {
	Total, MidTurn, DuringSends int
	FollowUpsSent               int
	Lasted                      time.Duration
}

// killLoop SIGKILLs the running manager and starts a new one, every cfg.killMin..cfg.killMax for
// cfg.chaosFor. Then, so that kills also hit the follow-up sends and second turns, it goes on at a
// third of that pace (a restarted manager needs a few seconds to fold every history again before it
// can send) until every follow-up is sent, but no longer than cfg.chaosMax in all. The last manager
// keeps running.
func (s *scenario) killLoop(running *testenv.Process, extra ...string) kills {
	start := time.Now()
	var k kills
	for {
		pause := cfg.killMin + rand.N(cfg.killMax-cfg.killMin+1)
		if time.Since(start) > cfg.chaosFor {
			pause *= 3
		}
		elapsed := time.Since(start) + pause
		if _, unsent, ok := s.progress(); elapsed > cfg.chaosMax || elapsed > cfg.chaosFor && ok && unsent == 0 {
			k.Lasted = time.Since(start).Round(time.Second)
			if ok {
				k.FollowUpsSent = cfg.sessions - unsent
			}
			return k
		}
		time.Sleep(pause)
		if running.Exited() {
			s.t.Fatalf("%s exited on its own:\n%s", running.Name, running.Tail(40))
		}
		unfinished, unsent, _ := s.progress() // a failed list counts the kill as neither
		running.Kill()
		k.Total++
		if unfinished > 0 {
			k.MidTurn++
		}
		if unsent > 0 && unsent < cfg.sessions {
			k.DuringSends++
		}
		running = s.startManager(extra...)
	}
}

// followUpsSent reports whether every Session's status counts its follow-up messages as sent.
func (s *scenario) followUpsSent() bool {
	_, unsent, ok := s.progress()
	return ok && unsent == 0
}

// progress counts the Sessions that have not finished both turns, and those whose follow-up is not
// sent yet; ok is false when the list failed (the API server was busy) and the counts say nothing.
func (s *scenario) progress() (unfinished, unsent int, ok bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	list, err := s.sessions(ctx)
	if err != nil {
		return 0, 0, false
	}
	for _, sess := range list {
		if int(sess.Status.MessagesSent) < len(sess.Spec.Messages) {
			unsent++
		}
		if sess.Status.Phase != v1alpha1.SessionSucceeded || int(sess.Status.MessagesSent) < len(sess.Spec.Messages) {
			unfinished++
		}
	}
	return unfinished, unsent, true
}

// postFaults installs simulator fault rules (the /_simulator/faults JSON form).
func (s *scenario) postFaults(rules ...string) {
	s.t.Helper()
	body := `{"faults":[` + strings.Join(rules, ",") + `]}`
	code, out := s.simHTTP(http.MethodPost, "/_simulator/faults", body)
	if code != http.StatusOK {
		s.t.Fatalf("adding faults %s: %d %s", body, code, out)
	}
}

// tryPostFaults is postFaults for goroutines other than the test's: it reports failures instead.
func (s *scenario) tryPostFaults(rules ...string) error {
	body := `{"faults":[` + strings.Join(rules, ",") + `]}`
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Post(s.simURL+"/_simulator/faults", "application/json", strings.NewReader(body))
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		out, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("adding faults %s: %s %s", body, resp.Status, out)
	}
	return nil
}

// clearFaults removes every fault rule, so that the checks read the simulator undisturbed.
func (s *scenario) clearFaults() {
	s.t.Helper()
	if code, out := s.simHTTP(http.MethodDelete, "/_simulator/faults", ""); code != http.StatusOK {
		s.t.Fatalf("clearing faults: %d %s", code, out)
	}
}

// faultsTriggered reads how often each active rule fired, keyed by its kind and status.
func (s *scenario) faultsTriggered() map[string]int {
	s.t.Helper()
	_, out := s.simHTTP(http.MethodGet, "/_simulator/faults", "")
	var list struct {
		Faults []struct {
			Kind      string `json:"kind"`
			Status    int    `json:"status"`
			Endpoint  string `json:"endpoint"`
			Triggered int    `json:"triggered"`
		} `json:"faults"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		s.t.Fatalf("decoding faults: %v: %s", err, out)
	}
	got := map[string]int{}
	for _, f := range list.Faults {
		key := f.Kind
		if f.Status != 0 {
			key += fmt.Sprintf(" %d", f.Status)
		}
		if f.Endpoint != "" {
			key += " on " + f.Endpoint
		}
		got[key] += f.Triggered
	}
	return got
}

// stats returns the simulator's request counters ("POST /v1/sessions" -> n).
func (s *scenario) stats() map[string]int64 {
	s.t.Helper()
	code, out := s.simHTTP(http.MethodGet, "/_simulator/stats", "")
	var st struct {
		Requests map[string]int64 `json:"requests"`
	}
	if err := json.Unmarshal([]byte(out), &st); code != http.StatusOK || err != nil {
		s.t.Fatalf("simulator stats: %d %v %s", code, err, out)
	}
	return st.Requests
}

func (s *scenario) simHTTP(method, path, body string) (int, string) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.simURL+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("content-type", "application/json")
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

// sumStats adds the counters of the endpoints whose key contains any of the fragments.
func sumStats(stats map[string]int64, fragments ...string) int64 {
	var n int64
	for k, v := range stats {
		for _, f := range fragments {
			if strings.Contains(k, f) {
				n += v
				break
			}
		}
	}
	return n
}
