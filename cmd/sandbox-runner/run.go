// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/lib/environments"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
)

// exitCode is how the work item ended (see the package documentation).
type exitCode int

const (
	exitCompleted     exitCode = 0
	exitFailed        exitCode = 1
	exitMisconfigured exitCode = 2
	exitLeaseLost     exitCode = 3
	exitInterrupted   exitCode = 4
)

// outcomes are the reasons written to the termination log.
var outcomes = map[exitCode]string{
	exitCompleted: "Completed", exitFailed: "Failed", exitMisconfigured: "Misconfigured",
	exitLeaseLost: "LeaseLost", exitInterrupted: "Interrupted",
}

// run handles the work item that the environment describes and returns the exit code.
func run(ctx context.Context, getenv func(string) string, stderr io.Writer) exitCode {
	cfg, err := loadConfig(getenv)
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.logLevel}))
	// Parts of the SDK (the skill download) log to the default logger: one format for every line.
	slog.SetDefault(log)
	if err != nil {
		log.Error("Invalid sandbox runner configuration", "error", err)
		return finish(cfg, log, exitMisconfigured, err.Error())
	}
	// The SDK's worker logs under its own work_id and session_id keys; the runner's own lines carry
	// the ids too.
	var lease leaseWatch
	worker := environments.NewEnvironmentWorker(newClient(cfg, &lease), environments.EnvironmentWorkerOptions{
		Workdir: cfg.workspace, MaxIdle: &cfg.maxIdle, Logger: log,
	})
	log = log.With("environmentID", cfg.environmentID, "workID", cfg.workID, "sessionID", cfg.sessionID)
	log.Info("Handling work item", "workspace", cfg.workspace, "continuesLease", cfg.lastHeartbeat != "",
		"maxIdle", cfg.maxIdle.String())
	start := time.Now()
	err = worker.HandleItem(ctx, environments.HandleItemOptions{
		WorkID: cfg.workID, EnvironmentID: cfg.environmentID, SessionID: cfg.sessionID,
		EnvironmentKey: cfg.environmentKey, WorkSecret: cfg.workSecret, ExpectedLastHeartbeat: cfg.lastHeartbeat,
	})
	elapsed := time.Since(start).Round(time.Millisecond).String()
	switch {
	case lease.lost.Load():
		log.Warn("Lost the work item's lease; left the item to the queue", "duration", elapsed)
		return finish(cfg, log, exitLeaseLost, "a heartbeat found the lease held by someone else")
	case ctx.Err() != nil:
		log.Info("Interrupted; stopped the work item", "duration", elapsed)
		return finish(cfg, log, exitInterrupted, "the runner was signalled to stop")
	case err != nil:
		log.Error("Work item failed", "error", err, "duration", elapsed)
		return finish(cfg, log, exitFailed, err.Error())
	}
	log.Info("Work item finished", "duration", elapsed)
	return finish(cfg, log, exitCompleted, "the session no longer needs this sandbox")
}

// finish writes the outcome to the termination log, if there is one, and returns code.
func finish(cfg config, log *slog.Logger, code exitCode, detail string) exitCode {
	if cfg.terminationLog != "" {
		msg := outcomes[code] + ": " + detail + "\n"
		if err := os.WriteFile(cfg.terminationLog, []byte(msg), 0o600); err != nil {
			log.Warn("Could not write the termination log", "path", cfg.terminationLog, "error", err)
		}
	}
	return code
}

// newClient builds the API client. It carries no credential: the SDK's worker authorizes every
// request with the work item's sessions token or the environment key. The SDK's retries are off,
// because a heartbeat retried after a lost answer would find its own new token and report a lost
// lease; the worker's loops retry on their own, and idempotent reads are retried here.
func newClient(cfg config, lease *leaseWatch) anthropic.Client {
	opts := []option.RequestOption{
		option.WithoutEnvironmentDefaults(),
		option.WithMaxRetries(0),
		option.WithMiddleware(lease.middleware, retryReads),
	}
	if cfg.baseURL != "" {
		opts = append(opts, option.WithBaseURL(cfg.baseURL))
	}
	return anthropic.NewClient(opts...)
}

// leaseWatch notices a heartbeat answered 412: the lease is gone, which HandleItem does not
// report on its own. From then on it sends nothing to the session: the SDK cancels the tool that
// runs and would post its "context canceled" as the tool's result, which would end the turn
// with a failure that the sandbox that claims the item next could have avoided by running it.
type leaseWatch struct{ lost atomic.Bool }

// errLeaseLost is what a request to the session gets after the lease was lost.
var errLeaseLost = errors.New("the work item's lease was lost; nothing more is sent to the session")

func (l *leaseWatch) middleware(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
	if l.lost.Load() && req.Method != http.MethodGet && strings.Contains(req.URL.Path, "/sessions/") {
		return nil, errLeaseLost
	}
	resp, err := next(req)
	if err == nil && resp.StatusCode == http.StatusPreconditionFailed && strings.HasSuffix(req.URL.Path, "/heartbeat") {
		l.lost.Store(true)
	}
	return resp, err
}

// readRetries and readRetryWait bound the retries of a failed read.
const (
	readRetries   = 2
	readRetryWait = 500 * time.Millisecond
)

// retryReads retries a GET that failed to connect or met a 429 or 5xx answer, except event
// streams, which the SDK's session runner reconnects itself. A GET changes nothing, so sending it
// again is safe.
func retryReads(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
	if req.Method != http.MethodGet || strings.HasSuffix(req.URL.Path, "/stream") {
		return next(req)
	}
	for attempt := 0; ; attempt++ {
		resp, err := next(req)
		retryable := err != nil || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
		if !retryable || attempt == readRetries || req.Context().Err() != nil {
			return resp, err
		}
		if resp != nil {
			_ = resp.Body.Close()
		}
		t := time.NewTimer(readRetryWait << attempt)
		select {
		case <-req.Context().Done():
			t.Stop()
			return nil, req.Context().Err()
		case <-t.C:
		}
	}
}
