// SPDX-License-Identifier: Apache-2.0

// Package stats summarizes latency samples.
package stats

import (
	"math"
	"slices"
	"time"
)

// Summary is a latency distribution in milliseconds.
type Summary struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50_ms"`
	P95   float64 `json:"p95_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
	Mean  float64 `json:"mean_ms"`
	// Missing counts samples that never completed (the awaited state was not observed).
	Missing int `json:"missing,omitempty"`
}

// Summarize computes nearest-rank percentiles of the samples.
func Summarize(samples []time.Duration, missing int) Summary {
	s := Summary{Count: len(samples), Missing: missing}
	if len(samples) == 0 {
		return s
	}
	sorted := slices.Clone(samples)
	slices.Sort(sorted)
	var sum time.Duration
	for _, d := range sorted {
		sum += d
	}
	ms := func(d time.Duration) float64 { return math.Round(float64(d)/1e4) / 100 }
	s.P50, s.P95, s.P99 = ms(rank(sorted, 0.50)), ms(rank(sorted, 0.95)), ms(rank(sorted, 0.99))
	s.Max, s.Mean = ms(sorted[len(sorted)-1]), ms(sum/time.Duration(len(sorted)))
	return s
}

// rank is the nearest-rank percentile of sorted samples.
func rank(sorted []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
