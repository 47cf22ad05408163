// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"compress/gzip"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape is one block of a capture: when it was taken and the metric families it held.
type scrape struct {
	seconds  float64 // since the first scrape
	families map[string]*dto.MetricFamily
}

// readCapture parses a file written by cmd/capture, gzipped when its name ends in .gz.
func readCapture(path string) ([]scrape, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return nil, err
		}
		defer gz.Close()
		r = gz
	}
	var out []scrape
	var first float64
	var block strings.Builder
	var at float64
	flush := func() error {
		if block.Len() == 0 {
			return nil
		}
		parser := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := parser.TextToMetricFamilies(strings.NewReader(block.String()))
		if err != nil {
			return err
		}
		out = append(out, scrape{seconds: at - first, families: fams})
		block.Reset()
		return nil
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if ms, ok := strings.CutPrefix(line, "## "); ok {
			if err := flush(); err != nil {
				return nil, err
			}
			v, err := strconv.ParseFloat(ms, 64)
			if err != nil {
				return nil, err
			}
			at = v / 1000
			if len(out) == 0 {
				first = at
			}
			continue
		}
		block.WriteString(line + "\n")
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, sc.Err()
}

// sumBy sums a family's samples (counter, gauge or histogram count) grouped by one label.
func sumBy(f *dto.MetricFamily, label string) map[string]float64 {
	out := map[string]float64{}
	if f == nil {
		return out
	}
	for _, m := range f.GetMetric() {
		key := ""
		for _, l := range m.GetLabel() {
			if l.GetName() == label {
				key = l.GetValue()
			}
		}
		out[key] += m.GetCounter().GetValue() + m.GetGauge().GetValue()
	}
	return out
}

// buckets merges a histogram family's cumulative buckets across label sets.
func buckets(f *dto.MetricFamily) map[float64]float64 {
	out := map[float64]float64{}
	if f == nil {
		return out
	}
	for _, m := range f.GetMetric() {
		for _, b := range m.GetHistogram().GetBucket() {
			out[b.GetUpperBound()] += float64(b.GetCumulativeCount())
		}
	}
	return out
}

// quantile estimates a quantile from the growth of cumulative buckets between two scrapes, the way
// PromQL's histogram_quantile does (linear inside a bucket). NaN when nothing was observed.
func quantile(q float64, before, after map[float64]float64) float64 {
	var bounds []float64
	for b := range after {
		bounds = append(bounds, b)
	}
	sort.Float64s(bounds)
	if len(bounds) == 0 {
		return math.NaN()
	}
	total := after[bounds[len(bounds)-1]] - before[bounds[len(bounds)-1]]
	if total <= 0 {
		return math.NaN()
	}
	rank, prevBound, prevCount := q*total, 0.0, 0.0
	for _, b := range bounds {
		count := after[b] - before[b]
		if count >= rank {
			if math.IsInf(b, 1) {
				return prevBound
			}
			return prevBound + (b-prevBound)*(rank-prevCount)/math.Max(count-prevCount, 1e-9)
		}
		prevBound, prevCount = b, count
	}
	return prevBound
}
