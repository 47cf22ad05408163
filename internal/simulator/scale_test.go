// SPDX-License-Identifier: Apache-2.0

package simulator_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"

	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

// parallel runs fn(i) for i in [0, n) on a few workers and returns the first error.
func parallel(n, workers int, fn func(i int) error) error {
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	return first
}

// TestThousandSessionsWithOpenStreams: the simulator holds 1,000 sessions
// each with an open stream, fans events out to all of them, and still runs
// turns promptly.
func TestThousandSessionsWithOpenStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("scale test")
	}
	const n = 1000
	h := newHarness(t, simulator.Options{StepDelay: -1})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	a := h.agent(ctx, anthropic.BetaAgentNewParams{})
	env := h.env(ctx)

	ids := make([]string, n)
	err := parallel(n, 8, func(i int) error {
		s, err := h.client.Beta.Sessions.New(ctx, anthropic.BetaSessionNewParams{EnvironmentID: env.ID,
			Agent: anthropic.BetaSessionNewParamsAgentUnion{OfString: anthropic.String(a.ID)}})
		if err == nil {
			ids[i] = s.ID
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	streams := make([]eventStream, n)
	defer func() {
		for _, s := range streams {
			if s != nil {
				_ = s.Close()
			}
		}
	}()
	err = parallel(n, 8, func(i int) error {
		streams[i] = h.client.Beta.Sessions.Events.StreamEvents(ctx, ids[i], anthropic.BetaSessionEventStreamParams{})
		return streams[i].Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := h.sim.OpenStreams(); got != n {
		t.Fatalf("%d open streams, want %d", got, n)
	}

	// Fan-out: one injected event per session reaches exactly its stream.
	emitted := make([]string, n)
	for i, id := range ids {
		if emitted[i], err = h.sim.EmitEvent(id, []byte(fmt.Sprintf(`{"type":"agent.message","content":[{"type":"text","text":"%d"}]}`, i))); err != nil {
			t.Fatal(err)
		}
	}
	for i, s := range streams {
		if !s.Next() {
			t.Fatalf("stream %d ended: %v", i, s.Err())
		}
		if got := s.Current().ID; got != emitted[i] {
			t.Fatalf("stream %d got %s, want %s", i, got, emitted[i])
		}
	}

	// Real turns on a sample, while every other stream stays open.
	for i := 0; i < n; i += 97 {
		h.send(ctx, ids[i], userMessage("ping"))
		evs := readUntil(t, streams[i], isTurnEnd)
		if last(evs).StopReason.Type != "end_turn" {
			t.Fatalf("session %d: %v", i, types(evs))
		}
	}
	if got := len(h.sim.Sessions()); got != n {
		t.Fatalf("%d sessions", got)
	}
	for _, s := range streams {
		_ = s.Close()
	}
	eventually(t, "streams to close", func() bool { return h.sim.OpenStreams() == 0 })
}

// BenchmarkEmitToStream measures the latency from EmitEvent to the event
// arriving through the SDK's stream decoder.
func BenchmarkEmitToStream(b *testing.B) {
	sim := simulator.New(simulator.Options{StepDelay: -1})
	ts := httptest.NewServer(sim)
	defer ts.Close()
	defer sim.Close()
	client := newClient(ts.URL, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	a, err := client.Beta.Agents.New(ctx, anthropic.BetaAgentNewParams{Name: "bench", Model: model("claude-opus-4-8")})
	if err != nil {
		b.Fatal(err)
	}
	env, err := client.Beta.Environments.New(ctx, anthropic.BetaEnvironmentNewParams{Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	s, err := client.Beta.Sessions.New(ctx, anthropic.BetaSessionNewParams{EnvironmentID: env.ID,
		Agent: anthropic.BetaSessionNewParamsAgentUnion{OfString: anthropic.String(a.ID)}})
	if err != nil {
		b.Fatal(err)
	}
	stream := client.Beta.Sessions.Events.StreamEvents(ctx, s.ID, anthropic.BetaSessionEventStreamParams{})
	defer stream.Close()
	payload := []byte(`{"type":"agent.message","content":[{"type":"text","text":"x"}]}`)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := sim.EmitEvent(s.ID, payload); err != nil {
			b.Fatal(err)
		}
		if !stream.Next() {
			b.Fatal(stream.Err())
		}
	}
}
