// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/bench/internal/proc"
)

// What the cluster pays for each agent event: kube-apiserver and etcd CPU, and the bytes etcd
// writes (its WAL), next to the manager's own CPU. In a real cluster the API server and etcd are
// shared by every team, so these are the figures a platform team cares about most
// (docs/performance.md).

// costResult is the cost of one load, per event.
type costResult struct {
	// Policy is the Sessions' spec.eventPolicy during the load; empty is the manager's default.
	Policy                 string  `json:"event_policy,omitempty"`
	ManagerCPUPer1000      float64 `json:"manager_cpu_seconds_per_1000_events"`
	APIServerCPUPer1000    float64 `json:"kube_apiserver_cpu_seconds_per_1000_events"`
	EtcdCPUPer1000         float64 `json:"etcd_cpu_seconds_per_1000_events"`
	ControlPlaneCPUPer1000 float64 `json:"control_plane_cpu_seconds_per_1000_events"`
	// ControlPlaneCores is kube-apiserver plus etcd CPU seconds per second of the load.
	ControlPlaneCores float64 `json:"control_plane_cores"`
	EtcdBytesPerEvent float64 `json:"etcd_wal_bytes_per_event"`
	StatusPatchBytes  float64 `json:"bytes_per_status_patch"`
	// SessionBytes is one Session as the API server serves it (JSON, managedFields included) after
	// the load: what each status write makes the API server decode, patch, validate and store.
	SessionBytes int `json:"session_object_bytes"`
	// SessionParts splits SessionBytes into its largest parts.
	SessionParts sessionParts `json:"session_object_parts"`
	// StatusInterval is the manager's status interval when the load drained, in seconds.
	StatusInterval float64 `json:"status_interval_seconds"`
	EventsSkipped  float64 `json:"session_events_without_kubernetes_event_per_event"`
}

// clusterCost computes the cost of a load from the looks before and after it.
func (r *runner) clusterCost(ctx context.Context, lr *loadRun, events int) costResult {
	d := diff(lr.before, lr.after)
	c := costResult{Policy: string(r.policy)}
	if events <= 0 {
		return c
	}
	per1000 := func(v float64) float64 { return round(v / float64(events) * 1000) }
	c.ManagerCPUPer1000 = per1000(d.cpu["manager"])
	c.APIServerCPUPer1000, c.EtcdCPUPer1000 = per1000(d.cpu["kube-apiserver"]), per1000(d.cpu["etcd"])
	c.ControlPlaneCPUPer1000 = per1000(d.cpu["kube-apiserver"] + d.cpu["etcd"])
	if d.seconds > 0 {
		c.ControlPlaneCores = round((d.cpu["kube-apiserver"] + d.cpu["etcd"]) / d.seconds)
	}
	c.EtcdBytesPerEvent = round(float64(lr.after.etcdWALBytes-lr.before.etcdWALBytes) / float64(events))
	if n := lr.after.patchBytes.count - lr.before.patchBytes.count; n > 0 {
		c.StatusPatchBytes = round((lr.after.patchBytes.sum - lr.before.patchBytes.sum) / n)
	}
	c.StatusInterval = lr.after.statusInterval
	c.EventsSkipped = round((lr.after.eventsSkipped - lr.before.eventsSkipped) / float64(events))
	c.SessionBytes, c.SessionParts = r.sessionBytes(ctx, sessionNames(0, 1)[0])
	return c
}

// sessionCell is the Session's size and its parts, for the cost table.
func (c costResult) sessionCell() string {
	pt := c.SessionParts
	return fmt.Sprintf("%d (%d / %d / %d / %d)", c.SessionBytes, pt.ManagedFields, pt.Conditions, pt.RecentEvents, pt.Rest)
}

// readCost reads the manager's metrics of what its writes cost (see counters).
func (c *counters) readCost(fams map[string]*dto.MetricFamily) {
	if f := fams["claude_kubernetes_status_patch_bytes"]; f != nil && len(f.GetMetric()) > 0 {
		h := f.GetMetric()[0].GetHistogram()
		c.patchBytes.sum, c.patchBytes.count = h.GetSampleSum(), float64(h.GetSampleCount())
	}
	c.statusInterval = sum(fams["claude_sessions_status_interval_seconds"], nil)
	c.eventsSkipped = sum(fams["claude_kubernetes_session_events_skipped_total"], nil)
}

// sessionBytes is the size of one Session as the API server serves it, managedFields included,
// and of its largest parts.
func (r *runner) sessionBytes(ctx context.Context, name string) (int, sessionParts) {
	url := fmt.Sprintf("%s/apis/%s/namespaces/%s/sessions/%s", strings.TrimSuffix(r.env.Config.Host, "/"),
		v1alpha1.GroupVersion.String(), namespace, name)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, sessionParts{}
	}
	resp, err := r.apiserverHTTP.Do(req)
	if err != nil {
		return 0, sessionParts{}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	_ = os.WriteFile(filepath.Join(r.dir, "session.json"), body, 0o644) // the newest one, for -keep
	return len(body), splitSession(body)
}

// etcdMetricsURL finds etcd's metrics endpoint from its command line (the test control plane
// picks a free port).
func etcdMetricsURL(pid int) string {
	urls, err := proc.Flag(pid, "advertise-client-urls")
	if err != nil {
		return ""
	}
	first, _, _ := strings.Cut(urls, ",")
	return strings.TrimSuffix(first, "/") + "/metrics"
}

// eventPolicies are the levels the policy scenario compares, in order.
var eventPolicies = []v1alpha1.EventPolicy{v1alpha1.EventPolicyAll, v1alpha1.EventPolicyMessages, v1alpha1.EventPolicyNone}

// policyScenario runs the same load under each Event policy, set per Session (spec.eventPolicy),
// and measures what each costs the cluster. The Sessions are set back to the default afterwards.
func (r *runner) policyScenario(ctx context.Context, names []string, res *results) error {
	defer func() { r.policy = "" }()
	for _, policy := range eventPolicies {
		if err := r.setPolicy(ctx, names, policy); err != nil {
			return err
		}
		r.policy = policy
		var lr latencyResult
		if err := r.loadScenario(ctx, names, r.cfg.PolicyRate, r.cfg.LoadDuration*2/3, &lr); err != nil {
			return err
		}
		logf("policy %s: control plane %.3f s and manager %.3f s CPU per 1,000 events, %.0f etcd bytes per event",
			policy, lr.Cost.ControlPlaneCPUPer1000, lr.Cost.ManagerCPUPer1000, lr.Cost.EtcdBytesPerEvent)
		res.ByPolicy = append(res.ByPolicy, lr)
	}
	return r.setPolicy(ctx, names, "")
}

// setPolicy sets spec.eventPolicy on every named Session (empty removes it) and waits until the
// manager has written what the change costs.
func (r *runner) setPolicy(ctx context.Context, names []string, policy v1alpha1.EventPolicy) error {
	value := "null"
	if policy != "" {
		value = `"` + string(policy) + `"`
	}
	patch := client.RawPatch(types.MergePatchType, []byte(`{"spec":{"eventPolicy":`+value+`}}`))
	var wg sync.WaitGroup
	errs := make(chan error, len(names))
	sem := make(chan struct{}, 20)
	for _, name := range names {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			s := &v1alpha1.Session{}
			s.Namespace, s.Name = namespace, name
			if err := r.k8s.Patch(ctx, s, patch); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return fmt.Errorf("setting spec.eventPolicy=%s: %w", policy, err)
	}
	time.Sleep(time.Second) // let the reconciles of the spec change start before waiting for quiet
	r.quiet(ctx)
	return nil
}

// notableNow reports whether an event of this type gets a Kubernetes Event under the policy the
// Sessions have now (see policyScenario).
func (r *runner) notableNow(eventType string) bool {
	switch r.policy {
	case v1alpha1.EventPolicyNone:
		return false
	case v1alpha1.EventPolicyMessages:
		return eventType == "agent.message"
	}
	return notable[eventType]
}

// saturation estimates the event rate at which kube-apiserver and etcd alone would use every core
// of this machine, from the cost per event measured at the lowest rate of the sweep. There each
// session's events are further apart than the status interval, so nearly every event gets its own
// status write; at higher rates writes are coalesced and an event costs less. So it is an upper
// bound for the cost and a lower bound for the rate. Past it, requests queue and latency grows.
func saturation(res *results) float64 {
	if len(res.LatencySweep) == 0 {
		return 0
	}
	low := res.LatencySweep[0].Cost
	if low.ControlPlaneCPUPer1000 <= 0 {
		return 0
	}
	return round(float64(res.Machine.CPUs) / (low.ControlPlaneCPUPer1000 / 1000))
}

// costMarkdown is the table of what the cluster pays per event, by load and by Event policy.
func costMarkdown(res *results, p func(string, ...any)) {
	p("")
	p("## What the cluster pays per event")
	p("")
	p("CPU seconds per 1,000 events from `/proc` over each load until it drained; etcd bytes are its WAL writes (`etcd_disk_wal_write_bytes_total`); bytes per status patch is the manager's `claude_kubernetes_status_patch_bytes`; the Session object is one Session as the API server serves it, managedFields included.")
	p("")
	p("| load | Event policy | kube-apiserver + etcd CPU s / 1,000 events | of which etcd | manager CPU s / 1,000 events | control plane cores | etcd bytes per event | status patches per event | Kubernetes Events per event | bytes per status patch | Session object bytes (managedFields / conditions / recentEvents / rest) | status interval | status p99 |")
	p("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	row := func(l latencyResult) {
		policy := l.Cost.Policy
		if policy == "" {
			policy = "default"
		}
		p("| %.0f events/s over %d sessions | %s | %.3f | %.3f | %.3f | %.2f | %.0f | %.3f | %.3f | %.0f | %s | %.1f s | %.0f ms |",
			l.Rate, l.Sessions, policy, l.Cost.ControlPlaneCPUPer1000, l.Cost.EtcdCPUPer1000, l.Cost.ManagerCPUPer1000, l.Cost.ControlPlaneCores,
			l.Cost.EtcdBytesPerEvent, l.Writes.StatusPatches, l.Writes.KubeEvents, l.Cost.StatusPatchBytes, l.Cost.sessionCell(), l.Cost.StatusInterval, l.ToStatus.P99)
	}
	for _, l := range res.LatencySweep {
		row(l)
	}
	for _, l := range res.ByPolicy {
		row(l)
	}
	if res.SaturationRate > 0 {
		p("")
		p("Estimated saturation: kube-apiserver and etcd alone would use all %d cores at about **%.0f events/s** (from their cost per event at %.0f events/s, where nearly every event gets its own status write; faster events share status writes and cost less each, so this is a lower bound; compare the control plane cores and status p99 columns).",
			res.Machine.CPUs, res.SaturationRate, res.LatencySweep[0].Rate)
	}
}
