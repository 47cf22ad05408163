// SPDX-License-Identifier: Apache-2.0

package main

import (
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

// sandboxPanels are the dashboard's "Self-hosted sandboxes" row, drawn from a capture of a run with
// self-hosted Environments.
func sandboxPanels(scrapes []scrape) []*plot.Plot {
	queue := newPanel("Sandbox work queue depth", "work items")
	addLines(queue, gaugeSeries(scrapes, "claude_sandbox_queue_depth", "environment"))
	pods := newPanel("Sandbox Pods by phase", "Pods")
	addLines(pods, gaugeSeries(scrapes, "claude_sandbox_pods", "phase"))
	churn := newPanel("Sandbox claims and failures per minute", "per minute")
	series := map[string]plotter.XYs{}
	for k, v := range rateSeries(scrapes, "claude_sandbox_claims_total", "") {
		series["claims"+k] = perMinute(v)
	}
	for reason, v := range rateSeries(scrapes, "claude_sandbox_failures_total", "reason") {
		series["failed: "+reason] = perMinute(v)
	}
	addLines(churn, series)
	return []*plot.Plot{queue, pods,
		latencyPanel(scrapes, "Claim to sandbox running (s)", "claude_sandbox_claim_to_running_seconds"), churn}
}

// perMinute scales a per-second series to per minute.
func perMinute(xys plotter.XYs) plotter.XYs {
	out := make(plotter.XYs, len(xys))
	for i, xy := range xys {
		out[i] = plotter.XY{X: xy.X, Y: xy.Y * 60}
	}
	return out
}
