// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestChartShipsAlertsAndDashboard proves the optional PrometheusRule carries exactly the checked-in
// alert groups (validated with Prometheus's parser by hack/observability) and the dashboard ConfigMap
// carries the dashboard JSON with the sidecar's label, and that both are off by default.
func TestChartShipsAlertsAndDashboard(t *testing.T) {
	if objs := helmTemplate(t, "--set", "apiKey.existingSecret=key"); len(find(objs, "PrometheusRule"))+len(find(objs, "ConfigMap")) != 0 {
		t.Fatal("alerts or dashboard rendered by default")
	}
	objs := helmTemplate(t, "--set", "apiKey.existingSecret=key", "--set", "prometheusRule.enabled=true",
		"--set", "grafanaDashboard.enabled=true", "--set", "prometheusRule.labels.release=prometheus")

	var rule struct {
		Metadata struct {
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
		Spec map[string]any `json:"spec"`
	}
	one(t, objs, "PrometheusRule", &rule)
	var want map[string]any
	data, err := os.ReadFile(filepath.Join(suite.ChartDir, "files", "prometheus-rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	if gotJSON, wantJSON := mustJSON(t, rule.Spec), mustJSON(t, want); gotJSON != wantJSON {
		t.Errorf("PrometheusRule spec differs from files/prometheus-rules.yaml:\n%s\n%s", gotJSON, wantJSON)
	}
	if rule.Metadata.Labels["release"] != "prometheus" {
		t.Errorf("rule labels = %v", rule.Metadata.Labels)
	}

	var cm struct {
		Metadata struct {
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
		Data map[string]string `json:"data"`
	}
	one(t, objs, "ConfigMap", &cm)
	if cm.Metadata.Labels["grafana_dashboard"] != "1" {
		t.Errorf("dashboard ConfigMap lacks the sidecar label: %v", cm.Metadata.Labels)
	}
	var dash struct {
		Panels []any `json:"panels"`
	}
	if err := json.Unmarshal([]byte(cm.Data["claude-managed-agents.json"]), &dash); err != nil || len(dash.Panels) < 6 {
		t.Errorf("dashboard JSON invalid or too small (%d panels): %v", len(dash.Panels), err)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
