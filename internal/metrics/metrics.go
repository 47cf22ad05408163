// SPDX-License-Identifier: Apache-2.0

// Package metrics defines the operator's Prometheus metrics. They live in controller-runtime's
// registry, so the manager's metrics endpoint serves them. Labels are bounded: operations are path
// templates, never ids; sessions are counted by namespace and phase, never by name.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

const namespace = "claude"

var (
	// APIRequests counts Managed Agents API requests by operation ("POST /v1/sessions") and status
	// class (2xx, 4xx, 5xx, error).
	APIRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "api", Name: "requests_total",
		Help: "Managed Agents API requests by operation and status class.",
	}, []string{"operation", "status_class"})

	// APIRequestDuration measures API request latency until the response headers arrive.
	APIRequestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: "api", Name: "request_duration_seconds",
		Help:    "Managed Agents API request latency until response headers, by operation.",
		Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
	}, []string{"operation"})

	// APIRateLimited counts 429 responses.
	APIRateLimited = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "api", Name: "rate_limited_total",
		Help: "Managed Agents API responses with status 429.",
	})

	// APIRetries counts requests repeated by the operator after a failure (409 re-reads, reconnects
	// and re-sent creates are retries; the SDK's own retries are off).
	APIRetries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "api", Name: "retries_total",
		Help: "Requests the operator repeated after a failure, by reason.",
	}, []string{"reason"})

	// RateLimitWait is the current pause imposed by a retry-after, in seconds (0 when none).
	RateLimitWait = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: namespace, Subsystem: "api", Name: "rate_limit_wait_seconds",
		Help: "Longest pause currently imposed on API calls by a retry-after.",
	})

	// SessionsLaunched counts remote sessions launched.
	SessionsLaunched = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "sessions", Name: "launched_total",
		Help: "Sessions launched, by namespace.",
	}, []string{"namespace"})

	// SessionsFinished counts sessions reaching a finished phase, by phase and reason.
	SessionsFinished = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "sessions", Name: "finished_total",
		Help: "Sessions that finished, by namespace, phase (Succeeded, Failed, TimedOut, Terminated) and reason.",
	}, []string{"namespace", "phase", "reason"})

	// LaunchLatency measures the time from Session creation to the remote session existing.
	LaunchLatency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: "sessions", Name: "launch_duration_seconds",
		Help:    "Time from Session creation to the remote session existing.",
		Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60},
	})

	// EventToStatusLatency measures the time from receiving a session event to the status write that
	// shows it.
	EventToStatusLatency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: "sessions", Name: "event_to_status_seconds",
		Help:    "Time from receiving a session event to the Session status write that includes it.",
		Buckets: []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10},
	})

	// StreamReconnects counts event stream reconnects.
	StreamReconnects = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "sessions", Name: "stream_reconnects_total",
		Help: "Event stream reconnects after a drop or an error.",
	})

	// Tokens counts tokens by namespace, agent and type (input, output, cache_read, cache_creation).
	Tokens = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "sessions", Name: "tokens_total",
		Help: "Tokens used by sessions, by namespace, agent and type.",
	}, []string{"namespace", "agent", "type"})

	// ListCost counts list cost in US dollars by namespace and agent.
	ListCost = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "sessions", Name: "list_cost_usd_total",
		Help: "List cost of sessions in US dollars, by namespace and agent.",
	}, []string{"namespace", "agent"})

	// AgentVersions counts remote agent versions the operator created.
	AgentVersions = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "agents", Name: "versions_created_total",
		Help: "Remote agent versions created by the operator (creates and updates).",
	})

	// DriftCorrections counts out-of-band changes undone, by kind.
	DriftCorrections = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "drift_corrections_total",
		Help: "Out-of-band remote changes undone by a resync, by kind.",
	}, []string{"kind"})

	// RemoteObjectsAbandoned counts remote objects left in place because their Kubernetes object was
	// deleted while no API key was known to release them (the key Secret went first, as in a
	// namespace deletion, and the operator restarted since it last read the key), by kind.
	RemoteObjectsAbandoned = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "remote_objects_abandoned_total",
		Help: "Remote objects left in place, unreleased, because no API key was known when their object was deleted, by kind.",
	}, []string{"kind"})

	// StatusPatches counts status writes to the Kubernetes API, by kind.
	StatusPatches = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "kubernetes", Name: "status_patches_total",
		Help: "Status writes to the Kubernetes API, by kind.",
	}, []string{"kind"})

	// KubeEvents counts Kubernetes Events emitted, by source (session for conversation events,
	// controller for lifecycle events).
	KubeEvents = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "kubernetes", Name: "events_total",
		Help: "Kubernetes Events emitted, by source (session or controller).",
	}, []string{"source"})
)

func init() {
	ctrlmetrics.Registry.MustRegister(
		APIRequests, APIRequestDuration, APIRateLimited, APIRetries, RateLimitWait,
		SessionsLaunched, SessionsFinished, LaunchLatency, EventToStatusLatency, StreamReconnects,
		Tokens, ListCost, AgentVersions, DriftCorrections, RemoteObjectsAbandoned, StatusPatches, KubeEvents,
	)
}
