// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"

	"github.com/anthropics/managed-agents-operator/internal/metrics"
)

// countingRecorder counts the lifecycle Events the controllers emit.
type countingRecorder struct {
	events.EventRecorder
}

func (r countingRecorder) Eventf(regarding, related runtime.Object, eventtype, reason, action, note string, args ...interface{}) {
	metrics.KubeEvents.WithLabelValues("controller").Inc()
	r.EventRecorder.Eventf(regarding, related, eventtype, reason, action, note, args...)
}
