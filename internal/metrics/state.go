// SPDX-License-Identifier: Apache-2.0

package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// StreamsOpen is the number of session event streams the operator holds.
var StreamsOpen = prometheus.NewGauge(prometheus.GaugeOpts{
	Namespace: namespace, Subsystem: "sessions", Name: "streams_open",
	Help: "Session event streams currently held.",
})

var (
	sessionsDesc = prometheus.NewDesc(namespace+"_sessions", "Sessions by namespace and phase.", []string{"namespace", "phase"}, nil)
	agentsDesc   = prometheus.NewDesc(namespace+"_agents", "Agents by namespace and Ready status.", []string{"namespace", "ready"}, nil)
	envsDesc     = prometheus.NewDesc(namespace+"_environments", "Environments by namespace and Ready status.", []string{"namespace", "ready"}, nil)
)

// stateCollector counts objects by state at scrape time from the manager's cache, so the gauges are
// always exact and cost no API calls.
type stateCollector struct {
	mu     sync.Mutex
	reader client.Reader
}

var collector = &stateCollector{}

func init() {
	ctrlmetrics.Registry.MustRegister(StreamsOpen, collector)
}

// ServeStateFrom makes the state gauges read from this cache (the manager's client).
func ServeStateFrom(reader client.Reader) {
	collector.mu.Lock()
	collector.reader = reader
	collector.mu.Unlock()
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- sessionsDesc
	ch <- agentsDesc
	ch <- envsDesc
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	reader := c.reader
	c.mu.Unlock()
	if reader == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var sessions v1alpha1.SessionList
	if reader.List(ctx, &sessions) == nil {
		counts := map[[2]string]int{}
		for _, s := range sessions.Items {
			phase := string(s.Status.Phase)
			if phase == "" {
				phase = string(v1alpha1.SessionPending)
			}
			counts[[2]string{s.Namespace, phase}]++
		}
		emit(ch, sessionsDesc, counts)
	}
	var agents v1alpha1.AgentList
	if reader.List(ctx, &agents) == nil {
		counts := map[[2]string]int{}
		for _, a := range agents.Items {
			counts[[2]string{a.Namespace, readyLabel(a.Status.Conditions)}]++
		}
		emit(ch, agentsDesc, counts)
	}
	var envs v1alpha1.EnvironmentList
	if reader.List(ctx, &envs) == nil {
		counts := map[[2]string]int{}
		for _, e := range envs.Items {
			counts[[2]string{e.Namespace, readyLabel(e.Status.Conditions)}]++
		}
		emit(ch, envsDesc, counts)
	}
}

func emit(ch chan<- prometheus.Metric, desc *prometheus.Desc, counts map[[2]string]int) {
	for labels, n := range counts {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, float64(n), labels[0], labels[1])
	}
}

func readyLabel(conds []metav1.Condition) string {
	if c := meta.FindStatusCondition(conds, v1alpha1.ConditionReady); c != nil {
		return string(c.Status)
	}
	return "Unknown"
}
