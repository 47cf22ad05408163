// SPDX-License-Identifier: Apache-2.0

package main

import (
	"image/color"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
)

// window is how many scrapes a rate or quantile spans.
const window = 5

func newPanel(title, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "seconds"
	p.Y.Label.Text = yLabel
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	return p
}

// addLines adds one line per series name, in a stable order.
func addLines(p *plot.Plot, series map[string]plotter.XYs) {
	var names []string
	for n := range series {
		names = append(names, n)
	}
	sort.Strings(names)
	for i, n := range names {
		line, err := plotter.NewLine(series[n])
		if err != nil {
			continue
		}
		line.Color = plotutil.Color(i)
		line.Width = 2
		p.Add(line)
		p.Legend.Add(n, line)
	}
}

// gaugeSeries follows a family summed by label over the capture.
func gaugeSeries(scrapes []scrape, family, label string) map[string]plotter.XYs {
	out := map[string]plotter.XYs{}
	for _, s := range scrapes {
		for key, v := range sumBy(s.families[family], label) {
			out[key] = append(out[key], plotter.XY{X: s.seconds, Y: v})
		}
	}
	return out
}

// rateSeries is the per-second growth of a counter family by label over a sliding window.
func rateSeries(scrapes []scrape, family, label string) map[string]plotter.XYs {
	out := map[string]plotter.XYs{}
	for i := window; i < len(scrapes); i++ {
		a, b := scrapes[i-window], scrapes[i]
		before := sumBy(a.families[family], label)
		for key, v := range sumBy(b.families[family], label) {
			out[key] = append(out[key], plotter.XY{X: b.seconds, Y: math.Max(v-before[key], 0) / (b.seconds - a.seconds)})
		}
	}
	return out
}

func sessionsByPhase(scrapes []scrape) *plot.Plot {
	p := newPanel("Sessions by phase", "sessions")
	addLines(p, gaugeSeries(scrapes, "claude_sessions", "phase"))
	return p
}

func tokensPerSecond(scrapes []scrape) *plot.Plot {
	p := newPanel("Tokens per second by type", "tokens/s")
	addLines(p, rateSeries(scrapes, "claude_sessions_tokens_total", "type"))
	return p
}

func costByAgent(scrapes []scrape) *plot.Plot {
	p := newPanel("List cost by agent (cumulative)", "USD")
	addLines(p, gaugeSeries(scrapes, "claude_sessions_list_cost_usd_total", "agent"))
	return p
}

func apiRequests(scrapes []scrape) *plot.Plot {
	p := newPanel("API requests per second by status class", "requests/s")
	series := rateSeries(scrapes, "claude_api_requests_total", "status_class")
	for k, v := range rateSeries(scrapes, "claude_api_rate_limited_total", "") {
		series["429 (rate limited)"+k] = v
	}
	addLines(p, series)
	return p
}

// latencyPanel draws p50 and p99 of a histogram over a sliding window.
func latencyPanel(scrapes []scrape, title, family string) *plot.Plot {
	p := newPanel(title, "seconds")
	series := map[string]plotter.XYs{}
	for i := window; i < len(scrapes); i++ {
		before, after := buckets(scrapes[i-window].families[family]), buckets(scrapes[i].families[family])
		for _, q := range []struct {
			name string
			q    float64
		}{{"p50", 0.5}, {"p99", 0.99}} {
			if v := quantile(q.q, before, after); !math.IsNaN(v) {
				series[q.name] = append(series[q.name], plotter.XY{X: scrapes[i].seconds, Y: v})
			}
		}
	}
	addLines(p, series)
	if len(series) == 0 {
		p.Title.Text += " (no observations)"
		p.Title.TextStyle.Color = color.Gray{Y: 128}
	}
	return p
}
