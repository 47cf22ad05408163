// SPDX-License-Identifier: Apache-2.0

// Command baseline is the floor that `make bench` compares the operator with: a plain Go program
// that uses the official SDK to consume the same session event streams the operator consumes, the
// same way (connect the stream first, then list the full history, then read live events,
// deduplicated by id), and decodes every event, with no Kubernetes in the loop. It writes nothing.
//
//	baseline --base-url http://127.0.0.1:8765 --api-key k --sessions ids.txt --addr 127.0.0.1:0
//
// It serves its counters as JSON on --addr (GET /stats), so the benchmark driver can tell when every
// stream is synced and how many events it decoded; the driver measures its CPU from /proc.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
)

// counters are what GET /stats reports.
type counters struct {
	Sessions   atomic.Int64 `json:"-"`
	Synced     atomic.Int64 `json:"-"`
	Events     atomic.Int64 `json:"-"`
	Live       atomic.Int64 `json:"-"`
	Reconnects atomic.Int64 `json:"-"`
}

func (c *counters) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]int64{
		"sessions": c.Sessions.Load(), "synced": c.Synced.Load(), "events": c.Events.Load(),
		"live_events": c.Live.Load(), "reconnects": c.Reconnects.Load(),
	})
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "baseline:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	baseURL := flag.String("base-url", "http://127.0.0.1:8765", "base URL of the Managed Agents API (the simulator)")
	apiKey := flag.String("api-key", "", "API key")
	sessionsFile := flag.String("sessions", "", "file with one session id per line")
	addr := flag.String("addr", "127.0.0.1:0", "address that serves GET /stats")
	flag.Parse()
	ids, err := readLines(*sessionsFile)
	if err != nil {
		return err
	}
	client := anthropic.NewClient(option.WithBaseURL(*baseURL), option.WithAPIKey(*apiKey), option.WithMaxRetries(0))
	var c counters
	c.Sessions.Store(int64(len(ids)))

	l, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("content-type", "application/json")
		_ = json.NewEncoder(w).Encode(&c)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	fmt.Printf("baseline listening on http://%s with %d sessions\n", l.Addr(), len(ids))

	for _, id := range ids {
		go follow(ctx, client, id, &c)
	}
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

// follow consumes one session: stream first, then the full history, then live events, reconnecting
// after a drop like the operator does.
func follow(ctx context.Context, client anthropic.Client, id string, c *counters) {
	first := true
	for ctx.Err() == nil {
		err := followOnce(ctx, client, id, c, &first)
		if ctx.Err() != nil {
			return
		}
		c.Reconnects.Add(1)
		if err != nil && strings.Contains(err.Error(), "404") {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func followOnce(ctx context.Context, client anthropic.Client, id string, c *counters, first *bool) error {
	stream := client.Beta.Sessions.Events.StreamEvents(ctx, id, anthropic.BetaSessionEventStreamParams{})
	defer func() { _ = stream.Close() }()
	if err := stream.Err(); err != nil {
		return err
	}
	seen := map[string]bool{}
	pager := client.Beta.Sessions.Events.ListAutoPaging(ctx, id, anthropic.BetaSessionEventListParams{
		Order: anthropic.BetaSessionEventListParamsOrderAsc, Limit: anthropic.Int(1000),
	})
	for pager.Next() {
		ev := pager.Current() // decoded by the SDK
		seen[ev.ID] = true
		c.Events.Add(1)
	}
	if err := pager.Err(); err != nil {
		return err
	}
	if *first {
		c.Synced.Add(1)
		*first = false
	}
	for stream.Next() {
		ev := stream.Current() // decoded by the SDK
		if seen != nil {
			if seen[ev.ID] {
				continue
			}
			seen = nil
		}
		c.Events.Add(1)
		c.Live.Add(1)
	}
	if err := stream.Err(); err != nil {
		return err
	}
	return errors.New("stream ended")
}

func readLines(path string) ([]string, error) {
	if path == "" {
		return nil, errors.New("--sessions is required")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			out = append(out, line)
		}
	}
	return out, sc.Err()
}
