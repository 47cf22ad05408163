// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"context"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/anthropics/managed-agents-operator/internal/metrics"
)

// Limiter paces every API call made with one credential. All controllers share it, so a 429 seen by
// one pauses all of them until the API's retry-after has passed.
type Limiter struct {
	tokens *rate.Limiter

	mu           sync.Mutex
	blockedUntil time.Time
}

// NewLimiter allows perSecond requests on average, with bursts of burst.
func NewLimiter(perSecond float64, burst int) *Limiter {
	return &Limiter{tokens: rate.NewLimiter(rate.Limit(perSecond), burst)}
}

// Wait blocks until a request may be sent or ctx ends.
func (l *Limiter) Wait(ctx context.Context) error {
	if d := l.Backoff(); d > 0 {
		defer metrics.RateLimitWait.Set(0)
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return l.tokens.Wait(ctx)
}

// Backoff is how long the API asked this credential to wait, from now.
func (l *Limiter) Backoff() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return time.Until(l.blockedUntil)
}

// BlockFor pauses every caller for d, unless a longer pause is already in force.
func (l *Limiter) BlockFor(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if until := time.Now().Add(d); until.After(l.blockedUntil) {
		l.blockedUntil = until
	}
}

// middleware is an SDK middleware that waits for the limiter before each request, and honors the
// retry-after of 429 and 529 responses for every later request with this credential.
func (l *Limiter) middleware(req *http.Request, next func(*http.Request) (*http.Response, error)) (*http.Response, error) {
	if err := l.Wait(req.Context()); err != nil {
		return nil, err
	}
	resp, err := next(req)
	if err == nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == 529) {
		if resp.StatusCode == http.StatusTooManyRequests {
			metrics.APIRateLimited.Inc()
		}
		if d := RetryAfter(resp.Header); d > 0 {
			l.BlockFor(d)
			metrics.RateLimitWait.Set(d.Seconds())
		}
	}
	return resp, err
}

// instrument records every API request's operation, status class and latency.
func instrument(req *http.Request, next func(*http.Request) (*http.Response, error)) (*http.Response, error) {
	op := metrics.Operation(req.Method, req.URL.Path)
	start := time.Now()
	resp, err := next(req)
	metrics.APIRequestDuration.WithLabelValues(op).Observe(time.Since(start).Seconds())
	status := 0
	if err == nil {
		status = resp.StatusCode
	}
	metrics.APIRequests.WithLabelValues(op, metrics.StatusClass(status)).Inc()
	return resp, err
}
