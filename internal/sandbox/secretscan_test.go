// SPDX-License-Identifier: Apache-2.0

package sandbox_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// The environment key and every work item's secret (and the tokens inside it) appear in no
// manager log line, no Session or Environment status, no Kubernetes Event and no metric, after a
// sandbox that worked and one that was OOM-killed mid-turn (its Event quotes the container's
// last log lines).
func TestSecretsStayOutOfLogsStatusEventsAndMetrics(t *testing.T) {
	f := newFixture(t, 5, "ubuntu:24.04")
	envID := f.environmentID(t)
	pw := watchPods(t, f.ns)
	ok := f.session(t, "works", "[[bash:echo fine]]")
	if s := waitFinished(t, ok); s.Status.Phase != v1alpha1.SessionSucceeded {
		t.Fatalf("phase %s", s.Status.Phase)
	}
	killed := f.session(t, "killed", midTurnCommand)
	pod := waitRunningTool(t, pw, envID, killed)
	if err := testEnv.Node.OOMKill(pod.Namespace, pod.Name, "sandbox"); err != nil {
		t.Fatal(err)
	}
	waitWarning(t, killed, "SandboxOOMKilled")
	waitFinished(t, killed)
	waitNoSandboxObjects(t, f.ns)

	secrets := map[string]string{"the environment key": environmentKey}
	items, err := sim.WorkItems(envID)
	if err != nil || len(items) < 3 {
		t.Fatalf("want at least 3 work items, got %+v (%v)", items, err)
	}
	for _, it := range items {
		addWorkSecret(t, secrets, it.ID)
	}
	places := map[string]string{
		"the manager's log": logs.String(),
		"a status":          statuses(t, f.ns),
		"an Event":          events(t, f.ns),
		"a metric":          scrapeMetrics(t),
	}
	for place, text := range places {
		if len(text) < 100 {
			t.Errorf("%s holds almost nothing to scan (%d bytes): the scan would prove nothing", place, len(text))
		}
		for what, secret := range secrets {
			if strings.Contains(text, secret) {
				t.Errorf("%s holds %s", place, what)
			}
		}
	}
}

// addWorkSecret adds a work item's secret and the tokens of its payload.
func addWorkSecret(t *testing.T, secrets map[string]string, workID string) {
	t.Helper()
	secret, ok := sim.WorkSecret(workID)
	if !ok || secret == "" {
		t.Fatalf("no secret for work item %s", workID)
	}
	secrets["the work secret of "+workID] = secret
	raw, err := base64.RawURLEncoding.DecodeString(secret)
	if err != nil {
		t.Fatal(err)
	}
	var payload map[string]string
	if err := json.Unmarshal(raw, &payload); err != nil {
		t.Fatal(err)
	}
	for k, v := range payload {
		secrets["the "+k+" of "+workID] = v
	}
}

// statuses is the JSON of every Session's and Environment's status in ns.
func statuses(t *testing.T, ns string) string {
	t.Helper()
	var sessions v1alpha1.SessionList
	var envs v1alpha1.EnvironmentList
	if err := k8s.List(context.Background(), &sessions, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	if err := k8s.List(context.Background(), &envs, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, s := range sessions.Items {
		b.Write(mustJSON(t, s.Status))
	}
	for _, e := range envs.Items {
		b.Write(mustJSON(t, e.Status))
	}
	return b.String()
}

// events is the JSON of every Event in ns.
func events(t *testing.T, ns string) string {
	t.Helper()
	var list corev1.EventList
	if err := k8s.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	return string(mustJSON(t, list.Items))
}

// scrapeMetrics renders the registry that the manager's metrics endpoint serves, in its text format.
func scrapeMetrics(t *testing.T) string {
	t.Helper()
	families, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range families {
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(buf.String(), "claude_sandbox_failures_total") {
		t.Errorf("the scrape lacks the sandbox metrics")
	}
	return buf.String()
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
