// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/client-go/rest"

	"github.com/anthropics/managed-agents-operator/bench/internal/proc"
)

// counters is one look at every counter the benchmark reads. Scenarios subtract two looks.
type counters struct {
	at time.Time
	// cpu is CPU seconds by process (manager, simulator, baseline, kube-apiserver, etcd).
	cpu map[string]float64
	// manager metrics.
	statusPatches  float64            // claude_kubernetes_status_patches_total
	kubeEvents     map[string]float64 // claude_kubernetes_events_total by source
	kubeWrites     float64            // rest_client_requests_total with a writing method
	kubeReads      float64            // rest_client_requests_total GET
	kubeConflicts  float64            // rest_client_requests_total with code 409
	reconciles     float64            // controller_runtime_reconcile_total of the session controller
	apiCalls       map[string]float64 // claude_api_requests_total by operation
	goroutines     float64
	eventToStatus  histogram // claude_sessions_event_to_status_seconds
	streamsOpen    float64
	streamReconnct float64
	// apiserverWrites are write requests the API server served on the operator's resources, by
	// "VERB resource[/subresource]".
	apiserverWrites map[string]float64
	// simulator request counters, by endpoint.
	simRequests map[string]float64
	simStreams  int
	// What the cluster pays (cost.go): etcd's WAL bytes, the manager's status patch sizes, its
	// status interval, and notable events its Event policy wrote to status only.
	etcdWALBytes   float64
	patchBytes     struct{ sum, count float64 }
	statusInterval float64
	eventsSkipped  float64
}

type histogram struct {
	count   float64
	buckets map[float64]float64
}

func (c counters) apiCallTotal() float64 {
	var n float64
	for _, v := range c.apiCalls {
		n += v
	}
	return n
}

func (c counters) apiserverWriteTotal() float64 {
	var n float64
	for _, v := range c.apiserverWrites {
		n += v
	}
	return n
}

func (c counters) kubeEventTotal() float64 {
	var n float64
	for _, v := range c.kubeEvents {
		n += v
	}
	return n
}

// look reads every counter now.
func (r *runner) look(ctx context.Context) counters {
	c := counters{at: time.Now(), cpu: map[string]float64{}, kubeEvents: map[string]float64{}, apiCalls: map[string]float64{},
		apiserverWrites: map[string]float64{}, simRequests: map[string]float64{}}
	for name, pid := range r.pids() {
		if v, err := proc.CPUSeconds(pid); err == nil {
			c.cpu[name] = v
		}
	}
	if fams, err := scrape(ctx, http.DefaultClient, r.metricsURL); err == nil {
		c.statusPatches = sum(fams["claude_kubernetes_status_patches_total"], nil)
		for _, m := range fams["claude_kubernetes_events_total"].GetMetric() {
			c.kubeEvents[label(m, "source")] += m.GetCounter().GetValue()
		}
		c.reconciles = sum(fams["controller_runtime_reconcile_total"], map[string]string{"controller": "session"})
		for _, m := range fams["rest_client_requests_total"].GetMetric() {
			if label(m, "code") == "409" {
				c.kubeConflicts += m.GetCounter().GetValue()
			}
			switch label(m, "method") {
			case "GET":
				c.kubeReads += m.GetCounter().GetValue()
			case "POST", "PUT", "PATCH", "DELETE":
				c.kubeWrites += m.GetCounter().GetValue()
			}
		}
		for _, m := range fams["claude_api_requests_total"].GetMetric() {
			c.apiCalls[label(m, "operation")] += m.GetCounter().GetValue()
		}
		c.goroutines = sum(fams["go_goroutines"], nil)
		c.readCost(fams)
		c.streamsOpen = sum(fams["claude_sessions_streams_open"], nil)
		c.streamReconnct = sum(fams["claude_sessions_stream_reconnects_total"], nil)
		if f := fams["claude_sessions_event_to_status_seconds"]; f != nil && len(f.GetMetric()) > 0 {
			h := f.GetMetric()[0].GetHistogram()
			c.eventToStatus = histogram{count: float64(h.GetSampleCount()), buckets: map[float64]float64{}}
			for _, b := range h.GetBucket() {
				c.eventToStatus.buckets[b.GetUpperBound()] = float64(b.GetCumulativeCount())
			}
		}
	}
	if fams, err := scrape(ctx, r.apiserverHTTP, r.apiserverMetricsURL); err == nil {
		for _, m := range fams["apiserver_request_total"].GetMetric() {
			verb, resource := label(m, "verb"), label(m, "resource")
			switch verb {
			case "POST", "PUT", "PATCH", "DELETE", "APPLY", "CREATE", "UPDATE":
			default:
				continue
			}
			switch resource {
			case "sessions", "agents", "environments", "events":
			default:
				continue
			}
			key := verb + " " + resource
			if sub := label(m, "subresource"); sub != "" {
				key += "/" + sub
			}
			c.apiserverWrites[key] += m.GetCounter().GetValue()
		}
	}
	if fams, err := scrape(ctx, http.DefaultClient, r.etcdMetricsURL); err == nil {
		c.etcdWALBytes = sum(fams["etcd_disk_wal_write_bytes_total"], nil)
	}
	var st struct {
		Requests    map[string]float64 `json:"requests"`
		OpenStreams int                `json:"open_streams"`
	}
	if err := getJSON(ctx, r.simURL+"/_simulator/stats", &st); err == nil {
		c.simRequests, c.simStreams = st.Requests, st.OpenStreams
	}
	return c
}

// delta is after minus before, for the counters that only grow.
type delta struct {
	seconds         float64
	cpu             map[string]float64
	statusPatches   float64
	kubeEvents      float64
	sessionEvents   float64
	kubeWrites      float64
	kubeReads       float64
	kubeConflicts   float64
	reconciles      float64
	apiCalls        float64
	apiCallsByOp    map[string]float64
	apiserverWrites float64
	apiserverByKey  map[string]float64
	simRequests     float64
}

func diff(before, after counters) delta {
	d := delta{seconds: after.at.Sub(before.at).Seconds(), cpu: map[string]float64{}, apiCallsByOp: map[string]float64{},
		apiserverByKey: map[string]float64{}}
	for k, v := range after.cpu {
		d.cpu[k] = v - before.cpu[k]
	}
	d.statusPatches = after.statusPatches - before.statusPatches
	d.kubeEvents = after.kubeEventTotal() - before.kubeEventTotal()
	d.sessionEvents = after.kubeEvents["session"] - before.kubeEvents["session"]
	d.kubeWrites = after.kubeWrites - before.kubeWrites
	d.kubeReads = after.kubeReads - before.kubeReads
	d.kubeConflicts = after.kubeConflicts - before.kubeConflicts
	d.reconciles = after.reconciles - before.reconciles
	d.apiCalls = after.apiCallTotal() - before.apiCallTotal()
	for k, v := range after.apiCalls {
		if n := v - before.apiCalls[k]; n != 0 {
			d.apiCallsByOp[k] = n
		}
	}
	d.apiserverWrites = after.apiserverWriteTotal() - before.apiserverWriteTotal()
	for k, v := range after.apiserverWrites {
		if n := v - before.apiserverWrites[k]; n != 0 {
			d.apiserverByKey[k] = n
		}
	}
	for k, v := range after.simRequests {
		d.simRequests += v - before.simRequests[k]
	}
	return d
}

func scrape(ctx context.Context, c *http.Client, url string) (map[string]*dto.MetricFamily, error) {
	if c == nil || url == "" {
		return nil, fmt.Errorf("no metrics endpoint")
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	return parser.TextToMetricFamilies(resp.Body)
}

func sum(f *dto.MetricFamily, labels map[string]string) float64 {
	var n float64
	for _, m := range f.GetMetric() {
		ok := true
		for k, v := range labels {
			if label(m, k) != v {
				ok = false
			}
		}
		if ok {
			n += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return n
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func getJSON(ctx context.Context, url string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func sendJSON(ctx context.Context, method, url, body string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		var b strings.Builder
		_, _ = fmt.Fprintf(&b, "%s %s: %s", method, url, resp.Status)
		return fmt.Errorf("%s", b.String())
	}
	return nil
}

// apiserverClient is an HTTP client with the admin credentials of the control plane.
func apiserverClient(cfg *rest.Config) (*http.Client, string, error) {
	c, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, "", err
	}
	return c, strings.TrimSuffix(cfg.Host, "/") + "/metrics", nil
}
