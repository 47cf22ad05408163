// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"strconv"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/metrics"
)

// countUsage adds the growth of a session's usage to the token and cost counters. Counting deltas of
// status (which survives restarts) keeps the counters from double counting after a restart.
func countUsage(sess *v1alpha1.Session, before *v1alpha1.SessionUsage) {
	after := sess.Status.Usage
	if after == nil {
		return
	}
	if before == nil {
		before = &v1alpha1.SessionUsage{}
	}
	agent := sess.Status.AgentID
	if sess.Spec.AgentRef != nil {
		agent = sess.Spec.AgentRef.Name
	}
	add := func(kind string, a, b int64) {
		if b > a {
			metrics.Tokens.WithLabelValues(sess.Namespace, agent, kind).Add(float64(b - a))
		}
	}
	add("input", before.InputTokens, after.InputTokens)
	add("output", before.OutputTokens, after.OutputTokens)
	add("cache_read", before.CacheReadInputTokens, after.CacheReadInputTokens)
	add("cache_creation", before.CacheCreationInputTokens, after.CacheCreationInputTokens)
	if delta := usd(after.ListCostUSD) - usd(before.ListCostUSD); delta > 0 {
		metrics.ListCost.WithLabelValues(sess.Namespace, agent).Add(delta)
	}
}

// usd parses a status cost ("0.42"); an empty or odd value counts as zero.
func usd(s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0
	}
	return v
}
