// SPDX-License-Identifier: Apache-2.0

// Command capture scrapes the operator's /metrics endpoint at a fixed interval and appends the
// claude_* families to a file, one block per scrape, for cmd/render to draw the dashboard picture.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:18080/metrics", "Metrics endpoint of the manager.")
	out := flag.String("out", "metrics-capture.txt", "File to write.")
	every := flag.Duration("every", 2*time.Second, "Scrape interval.")
	duration := flag.Duration("for", 2*time.Minute, "How long to capture.")
	flag.Parse()
	if err := run(*url, *out, *every, *duration); err != nil {
		fmt.Fprintln(os.Stderr, "capture:", err)
		os.Exit(1)
	}
}

func run(url, out string, every, duration time.Duration) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, duration)
	defer cancelTimeout()
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	scrapes := 0
	for {
		if err := scrape(ctx, url, f); err != nil {
			return err
		}
		scrapes++
		select {
		case <-ctx.Done():
			fmt.Printf("capture: %d scrapes written to %s\n", scrapes, out)
			return nil
		case <-ticker.C:
		}
	}
}

// scrape appends one block: a "## <unix millis>" header and the claude_* lines.
func scrape(ctx context.Context, url string, w io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	defer resp.Body.Close()
	fmt.Fprintf(w, "## %d\n", time.Now().UnixMilli())
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "claude_") || strings.HasPrefix(line, "# HELP claude_") || strings.HasPrefix(line, "# TYPE claude_") {
			fmt.Fprintln(w, line)
		}
	}
	return sc.Err()
}
