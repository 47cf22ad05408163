// SPDX-License-Identifier: Apache-2.0

// Command simulator serves the in-memory Claude Managed Agents API simulator
// (internal/simulator) over HTTP, for local development, demos and CI.
//
//	simulator --addr 127.0.0.1:8765 --api-key test --fault-429-rate 0.1
//
// Point a client at it with ANTHROPIC_BASE_URL=http://127.0.0.1:8765.
// See docs/simulator.md for the scripted-turn directives and the fault API.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/anthropics/managed-agents-operator/internal/simulator"
	"github.com/anthropics/managed-agents-operator/internal/version"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "simulator:", err)
		os.Exit(1)
	}
}

// faultSpecs collects repeated --fault flags.
type faultSpecs []simulator.Fault

func (f *faultSpecs) String() string { return fmt.Sprint(len(*f), " fault(s)") }

func (f *faultSpecs) Set(v string) error {
	fault, err := simulator.ParseFaultSpec(v)
	if err != nil {
		return err
	}
	*f = append(*f, fault)
	return nil
}

type config struct {
	addr         string
	opts         simulator.Options
	faults       []simulator.Fault
	printVersion bool
}

// parseFlags turns the command line into a listen address, simulator
// options and fault rules.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("simulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		cfg                       config
		specs                     faultSpecs
		next429, next500, next529 int
		rate429, rate500, rate529 float64
		retryAfter, latency       time.Duration
		dropAfter, dropCount      int
		loseNext, loseLeaseNext   int
		loseMode, prefix          string
	)
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8765", "listen address host:port (port 0 picks a free port)")
	fs.StringVar(&cfg.opts.APIKey, "api-key", "", "the only API key accepted (default: any non-empty key)")
	fs.StringVar(&cfg.opts.EnvironmentKey, "environment-key", "", "an environment key every self-hosted environment accepts, besides its own (GET /_simulator/environments/{id}/environment-key)")
	fs.DurationVar(&cfg.opts.WorkLeaseTTL, "work-lease-ttl", simulator.DefaultWorkLeaseTTL, "lease of an acknowledged work item without a heartbeat")
	fs.DurationVar(&cfg.opts.StepDelay, "step-delay", simulator.DefaultStepDelay, "pause between scripted events of a turn (negative: none)")
	fs.DurationVar(&cfg.opts.PingInterval, "ping-interval", simulator.DefaultPingInterval, "interval of SSE ping frames")
	fs.Int64Var(&cfg.opts.Seed, "seed", 1, "seed for rate-based faults")
	fs.IntVar(&next429, "fault-429-next", 0, "answer the next N API requests with 429")
	fs.Float64Var(&rate429, "fault-429-rate", 0, "answer this fraction (0..1) of API requests with 429")
	fs.DurationVar(&retryAfter, "retry-after", time.Second, "retry-after sent with injected 429s")
	fs.IntVar(&next500, "fault-500-next", 0, "answer the next N API requests with 500")
	fs.Float64Var(&rate500, "fault-500-rate", 0, "answer this fraction (0..1) of API requests with 500")
	fs.IntVar(&next529, "fault-529-next", 0, "answer the next N API requests with 529")
	fs.Float64Var(&rate529, "fault-529-rate", 0, "answer this fraction (0..1) of API requests with 529")
	fs.DurationVar(&latency, "latency", 0, "latency added to every API request")
	fs.IntVar(&dropAfter, "drop-stream-after", -1, "cut event streams after K events (-1: never)")
	fs.IntVar(&dropCount, "drop-stream-count", 0, "how many streams --drop-stream-after cuts (0: all)")
	fs.IntVar(&loseNext, "lose-create-next", 0, "commit the next N session creates but lose their responses")
	fs.IntVar(&loseLeaseNext, "lose-lease-next", 0, "make the next N work item heartbeats find their lease lapsed (412)")
	fs.StringVar(&loseMode, "lose-mode", string(simulator.LoseByDroppingConnection), "how a lost response is lost: drop (close the connection) or error (500)")
	fs.StringVar(&prefix, "fault-path-prefix", "", "limit the --fault-*, --latency and --drop-stream-* faults to paths with this prefix")
	fs.BoolVar(&cfg.printVersion, "version", false, "print the version and exit")
	fs.Var(&specs, "fault", "a fault rule as key=value pairs, e.g. kind=error,status=503,count=2 (repeatable)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if cfg.opts.StepDelay == 0 {
		cfg.opts.StepDelay = -1 // an explicit 0 means no delay, not the default
	}
	add := func(f simulator.Fault) { cfg.faults = append(cfg.faults, f) }
	for _, e := range []struct {
		status int
		next   int
		rate   float64
	}{{429, next429, rate429}, {500, next500, rate500}, {529, next529, rate529}} {
		f := simulator.Fault{Kind: simulator.FaultError, Status: e.status, PathPrefix: prefix}
		if e.status == 429 {
			f.RetryAfter = retryAfter
		}
		if e.next > 0 {
			f.Count = e.next
			add(f)
		}
		if e.rate > 0 {
			f.Count, f.Rate = 0, e.rate
			add(f)
		}
	}
	if latency > 0 {
		add(simulator.Fault{Kind: simulator.FaultLatency, Latency: latency, PathPrefix: prefix})
	}
	if dropAfter >= 0 {
		add(simulator.Fault{Kind: simulator.FaultDropStream, AfterEvents: dropAfter, Count: dropCount, PathPrefix: prefix})
	}
	if loseNext > 0 {
		add(simulator.Fault{Kind: simulator.FaultLoseResponse, Endpoint: "POST /v1/sessions", Count: loseNext,
			Mode: simulator.LoseMode(loseMode)})
	}
	if loseLeaseNext > 0 {
		add(simulator.Fault{Kind: simulator.FaultLoseLease, Count: loseLeaseNext})
	}
	cfg.faults = append(cfg.faults, specs...)
	return cfg, nil
}

// run serves until ctx is done, then ends open streams and shuts down.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if cfg.printVersion {
		fmt.Fprintln(stdout, "simulator", version.String())
		return nil
	}
	sim := simulator.New(cfg.opts)
	for _, f := range cfg.faults {
		if _, err := sim.AddFault(f); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "simulator listening on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		sim.Close()
		return err
	case <-ctx.Done():
	}
	// Open streams never go idle on their own: end them first, or Shutdown
	// would wait for its whole timeout.
	sim.Close()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	fmt.Fprintln(stdout, "simulator stopped")
	return nil
}
