// SPDX-License-Identifier: Apache-2.0

// Command render draws the operator's dashboard panels from a metrics capture (cmd/capture) into one
// PNG, the picture in docs/observability.md. The panels mirror the Grafana dashboard in the chart.
package main

import (
	"flag"
	"fmt"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

func main() {
	in := flag.String("in", "metrics-capture.txt", "Capture written by cmd/capture.")
	sandboxIn := flag.String("sandbox-in", "", "Capture of a run with self-hosted Environments, for the sandbox row (empty: no sandbox row).")
	out := flag.String("out", "dashboard.png", "PNG to write.")
	flag.Parse()
	if err := run(*in, *sandboxIn, *out); err != nil {
		fmt.Fprintln(os.Stderr, "render:", err)
		os.Exit(1)
	}
}

func run(in, sandboxIn, out string) error {
	scrapes, err := readEnough(in)
	if err != nil {
		return err
	}
	panels := []*plot.Plot{
		sessionsByPhase(scrapes), tokensPerSecond(scrapes), costByAgent(scrapes),
		apiRequests(scrapes), latencyPanel(scrapes, "API request latency (s)", "claude_api_request_duration_seconds"),
		latencyPanel(scrapes, "Event to status latency (s)", "claude_sessions_event_to_status_seconds"),
	}
	if sandboxIn != "" {
		sandboxScrapes, err := readEnough(sandboxIn)
		if err != nil {
			return err
		}
		panels = append(panels, sandboxPanels(sandboxScrapes)...)
	}
	const cols = 2
	rows := len(panels) / cols
	img := vgimg.New(vg.Points(1200), vg.Points(350*float64(rows)))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Points(12), PadY: vg.Points(12),
		PadTop: vg.Points(10), PadBottom: vg.Points(10), PadLeft: vg.Points(10), PadRight: vg.Points(10)}
	grid := make([][]*plot.Plot, rows)
	for r := range rows {
		grid[r] = panels[r*cols : (r+1)*cols]
	}
	canvases := plot.Align(grid, tiles, dc)
	for r := range rows {
		for c := range cols {
			panels[r*cols+c].Draw(canvases[r][c])
		}
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		return err
	}
	fmt.Printf("render: %d scrapes over %.0fs drawn to %s\n", len(scrapes), scrapes[len(scrapes)-1].seconds, out)
	return nil
}

// readEnough reads a capture that holds at least 3 scrapes (a rate needs two, a picture more).
func readEnough(path string) ([]scrape, error) {
	scrapes, err := readCapture(path)
	if err != nil {
		return nil, err
	}
	if len(scrapes) < 3 {
		return nil, fmt.Errorf("%s holds %d scrapes; capture at least 3", path, len(scrapes))
	}
	return scrapes, nil
}
