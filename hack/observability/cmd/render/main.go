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
	out := flag.String("out", "dashboard.png", "PNG to write.")
	flag.Parse()
	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "render:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	scrapes, err := readCapture(in)
	if err != nil {
		return err
	}
	if len(scrapes) < 3 {
		return fmt.Errorf("%s holds %d scrapes; capture at least 3", in, len(scrapes))
	}
	panels := []*plot.Plot{
		sessionsByPhase(scrapes), tokensPerSecond(scrapes), costByAgent(scrapes),
		apiRequests(scrapes), latencyPanel(scrapes, "API request latency (s)", "claude_api_request_duration_seconds"),
		latencyPanel(scrapes, "Event to status latency (s)", "claude_sessions_event_to_status_seconds"),
	}
	const rows, cols = 3, 2
	img := vgimg.New(vg.Points(1200), vg.Points(1050))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Points(12), PadY: vg.Points(12),
		PadTop: vg.Points(10), PadBottom: vg.Points(10), PadLeft: vg.Points(10), PadRight: vg.Points(10)}
	canvases := plot.Align([][]*plot.Plot{panels[0:2], panels[2:4], panels[4:6]}, tiles, dc)
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
