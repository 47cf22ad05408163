// SPDX-License-Identifier: Apache-2.0

package observability

import (
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

var chartFiles = filepath.Join("..", "..", "charts", "managed-agents-operator", "files")

// operatorMetrics lists the metric names the operator exports, read from internal/metrics, so that
// rules and panels cannot point at a metric that does not exist.
func operatorMetrics(t *testing.T) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	files, _ := filepath.Glob(filepath.Join("..", "..", "internal", "metrics", "*.go"))
	field := regexp.MustCompile(`(Subsystem: "(\w+)", )?Name: "(\w+)"`)
	desc := regexp.MustCompile(`NewDesc\(namespace\+"(\w+)"`)
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range field.FindAllStringSubmatch(string(src), -1) {
			name := "claude_" + m[3]
			if m[2] != "" {
				name = "claude_" + m[2] + "_" + m[3]
			}
			names[name] = true
		}
		for _, m := range desc.FindAllStringSubmatch(string(src), -1) {
			names["claude"+m[1]] = true
		}
	}
	if len(names) < 10 {
		t.Fatalf("found only %d metrics in internal/metrics: %v", len(names), names)
	}
	return names
}

// usedMetrics returns the claude_ metric names an expression selects, with histogram suffixes removed.
func usedMetrics(t *testing.T, expr string) []string {
	t.Helper()
	e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		t.Fatalf("%q: %v", expr, err)
	}
	var out []string
	for _, vs := range parser.ExtractSelectors(e) {
		for _, m := range vs {
			if m.Name == "__name__" {
				name := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(m.Value, "_bucket"), "_sum"), "_count")
				out = append(out, name)
			}
		}
	}
	return out
}

// TestRulesAreValid proves the PrometheusRule file parses with Prometheus's own rule parser, every
// alert has a severity and a description, and every metric it uses exists.
func TestRulesAreValid(t *testing.T) {
	groups, errs := rulefmt.ParseFile(filepath.Join(chartFiles, "prometheus-rules.yaml"), false, model.UTF8Validation, parser.NewParser(parser.Options{}), slog.New(slog.DiscardHandler))
	if len(errs) > 0 {
		t.Fatalf("rules do not parse: %v", errs)
	}
	known := operatorMetrics(t)
	alerts := 0
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			alerts++
			if r.Labels["severity"] == "" || r.Annotations["description"] == "" {
				t.Errorf("%s lacks a severity or a description", r.Alert)
			}
			for _, m := range usedMetrics(t, r.Expr) {
				if !known[m] {
					t.Errorf("%s uses %s, which the operator does not export", r.Alert, m)
				}
			}
		}
	}
	if alerts < 4 {
		t.Errorf("only %d alerts", alerts)
	}
}

// TestDashboardQueriesAreValid proves every panel query parses as PromQL and uses existing metrics.
func TestDashboardQueriesAreValid(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(chartFiles, "grafana-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatal(err)
	}
	known := operatorMetrics(t)
	used := map[string]bool{}
	for _, p := range dash.Panels {
		for _, target := range p.Targets {
			expr := strings.NewReplacer("$namespace", ".*").Replace(target.Expr)
			for _, m := range usedMetrics(t, expr) {
				used[m] = true
				if !known[m] {
					t.Errorf("panel %q uses %s, which the operator does not export", p.Title, m)
				}
			}
		}
	}
	var names []string
	for m := range used {
		names = append(names, m)
	}
	sort.Strings(names)
	t.Logf("dashboard uses %v", names)
}

// TestDashboardShowsTheSandboxes proves the dashboard's self-hosted row has a panel for each
// sandbox metric the issue asks to watch: queue depth, Pods by phase, claim-to-running latency and
// failures by reason (with the claims they fail out of).
func TestDashboardShowsTheSandboxes(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(chartFiles, "grafana-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Type    string `json:"type"`
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"claude_sandbox_queue_depth": "", "claude_sandbox_pods": "by (phase)", "claude_sandbox_claims_total": "",
		"claude_sandbox_claim_to_running_seconds": "histogram_quantile(0.99", "claude_sandbox_failures_total": "by (reason)",
	}
	inRow := false
	for _, p := range dash.Panels {
		if p.Type == "row" {
			inRow = p.Title == "Self-hosted sandboxes"
			continue
		}
		for _, target := range p.Targets {
			expr := strings.NewReplacer("$namespace", ".*").Replace(target.Expr)
			for _, m := range usedMetrics(t, expr) {
				if must, ok := want[m]; ok && inRow && strings.Contains(target.Expr, must) {
					delete(want, m)
				}
			}
		}
	}
	if len(want) > 0 {
		t.Errorf("the Self-hosted sandboxes row lacks panels for %v", want)
	}
}
