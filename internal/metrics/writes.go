// SPDX-License-Identifier: Apache-2.0

package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// What each Kubernetes write costs the API server: how many session events the Event policy kept
// out of it, how large each status patch is, how long it took, and the status interval the
// manager settled on from those latencies (docs/performance.md).
var (
	// SessionEventsSkipped counts notable session events that got no Kubernetes Event because of the
	// Session's Event policy (spec.eventPolicy or --session-event-policy). They are still counted
	// and summarized in status.
	SessionEventsSkipped = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "kubernetes", Name: "session_events_skipped_total",
		Help: "Notable session events written to status only, without a Kubernetes Event, by Event policy.",
	}, []string{"policy"})

	// StatusPatchBytes is the size of each Session status patch body.
	StatusPatchBytes = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: "kubernetes", Name: "status_patch_bytes",
		Help:    "Size of each Session status patch sent to the API server, in bytes.",
		Buckets: prometheus.ExponentialBuckets(64, 2, 10), // 64 B to 32 KiB
	})

	// StatusPatchDuration is how long each Session status patch took, which the adaptive status
	// interval follows.
	StatusPatchDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: "kubernetes", Name: "status_patch_duration_seconds",
		Help:    "Latency of Session status patches, until the API server answered.",
		Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
	})

	// StatusInterval is the current least time between two stream-only status writes of one Session.
	StatusInterval = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: namespace, Subsystem: "sessions", Name: "status_interval_seconds",
		Help: "Current least time between two status writes of a Session that carry only what its event stream saw; it grows when status patches slow down.",
	})
)

func init() {
	ctrlmetrics.Registry.MustRegister(SessionEventsSkipped, StatusPatchBytes, StatusPatchDuration, StatusInterval)
}
