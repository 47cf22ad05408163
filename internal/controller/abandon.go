// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/anthropics/managed-agents-operator/internal/metrics"
)

// Nothing a user deletes may hang. When an object's key Secret is deleted before the object (what a
// namespace deletion does) and this process has never read the key (it restarted since), there is
// no way to release the remote object. Deletion then tries again every releaseRetryInterval, in
// case the Secret comes back, and gives up releaseGiveUpAfter after the object's deletion: at most
// 7 attempts, so that a namespace deletion finishes well within a minute. The count needs no state:
// it is the time since the object's deletionTimestamp.
const (
	releaseGiveUpAfter   = 30 * time.Second
	releaseRetryInterval = 5 * time.Second
)

// giveUpRelease reports whether the deletion of obj, whose credentials are gone, should give up on
// its remote twin now, and otherwise how soon to try again.
func giveUpRelease(obj client.Object) (giveUp bool, retryAfter time.Duration) {
	left := releaseGiveUpAfter - time.Since(obj.GetDeletionTimestamp().Time)
	if left <= 0 {
		return true, 0
	}
	return false, min(left, releaseRetryInterval)
}

// keyWaitMessage is what a deletion says while it waits for its vanished key: what it cannot do, why,
// and that the remote object (noun) is left in place after releaseGiveUpAfter.
func keyWaitMessage(blocked, why, noun string) string {
	return fmt.Sprintf("cannot %s: %s; waiting up to %s after the deletion for the key to come back, then the remote %s is left in place",
		blocked, why, releaseGiveUpAfter, noun)
}

// abandonRemote says that obj's remote twin is left in place unreleased: a RemoteAbandoned Warning
// Event, the claude_remote_objects_abandoned_total{kind} metric and a log line. kind is the
// Kubernetes kind ("Session"), noun the remote object ("session"), id its id or "" when none is
// known, why the credential problem (never a key).
func abandonRemote(ctx context.Context, rec events.EventRecorder, obj client.Object, kind, noun, id, why string) {
	metrics.RemoteObjectsAbandoned.WithLabelValues(kind).Inc()
	target := "the remote " + noun + " created for it, if any,"
	if id != "" {
		target = "remote " + noun + " " + id
	}
	logf.FromContext(ctx).Info("Gave up releasing the remote object; it is left in place", noun+"ID", id, "reason", why)
	rec.Eventf(obj, nil, corev1.EventTypeWarning, string(ReasonRemoteAbandoned), "Delete",
		"Left %s in place: %s, and no API key is known to release it (gave up %s after the deletion); archive or delete it in the Anthropic console",
		target, why, releaseGiveUpAfter)
}
