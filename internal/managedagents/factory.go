// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"crypto/sha256"
	"net/http"
	"sync"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
)

// FactoryOptions configure how clients reach the API.
type FactoryOptions struct {
	// BaseURL of the API. Empty means the SDK's default (or ANTHROPIC_BASE_URL, read by the caller).
	BaseURL string
	// RequestsPerSecond and Burst pace each credential. The hosted API allows 600 requests per
	// minute per organization for most operations.
	RequestsPerSecond float64
	Burst             int
	// HTTPClient overrides the transport, for tests.
	HTTPClient *http.Client
	// MaxCachedClients bounds the cache; the oldest credential's client is dropped past it.
	MaxCachedClients int
}

// Factory builds API clients from credentials and caches them by the credential's content, so a
// rotated key gets a new client (and a new rate limiter) without a restart, and every controller
// that uses one key shares one client and one limiter. API keys and environment keys (the work
// queue's credential) are cached apart: the same string is never both.
type Factory struct {
	opts FactoryOptions

	mu      sync.Mutex
	clients map[cacheKey]*cachedClient
	order   []cacheKey
}

// cacheKey is a credential's kind and the hash of its content; the credential itself is held only
// inside the SDK client.
type cacheKey struct {
	environmentKey bool
	sum            [sha256.Size]byte
}

type cachedClient struct {
	api     anthropic.Client
	client  *sdkClient
	limiter *Limiter
}

// NewFactory returns a Factory with defaults filled in.
func NewFactory(opts FactoryOptions) *Factory {
	if opts.RequestsPerSecond <= 0 {
		opts.RequestsPerSecond = 10
	}
	if opts.Burst <= 0 {
		opts.Burst = 20
	}
	if opts.MaxCachedClients <= 0 {
		opts.MaxCachedClients = 64
	}
	return &Factory{opts: opts, clients: map[cacheKey]*cachedClient{}}
}

// For returns the client for an API key. The key is held only inside the SDK client; the cache is
// indexed by its hash.
func (f *Factory) For(apiKey string) Client {
	return f.entry(cacheKey{sum: sha256.Sum256([]byte(apiKey))}, option.WithAPIKey(apiKey)).client
}

// LimiterFor returns the rate limiter shared by every call made with this key.
func (f *Factory) LimiterFor(apiKey string) *Limiter {
	return f.entry(cacheKey{sum: sha256.Sum256([]byte(apiKey))}, option.WithAPIKey(apiKey)).limiter
}

// WorkClientFor returns the work queue client of one self-hosted environment, authorized with its
// environment key (sent as the bearer token, as the SDK's own worker does). Clients with the same
// key share one SDK client and one rate limiter.
func (f *Factory) WorkClientFor(environmentID, environmentKey string) WorkClient {
	c := f.entry(cacheKey{environmentKey: true, sum: sha256.Sum256([]byte(environmentKey))}, option.WithAuthToken(environmentKey))
	return &sdkWorkClient{api: c.api, envID: environmentID}
}

func (f *Factory) entry(key cacheKey, credential option.RequestOption) *cachedClient {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.clients[key]; ok {
		return c
	}
	limiter := NewLimiter(f.opts.RequestsPerSecond, f.opts.Burst)
	api := anthropic.NewClient(f.clientOptions(credential, limiter)...)
	c := &cachedClient{api: api, client: &sdkClient{api: api}, limiter: limiter}
	f.clients[key] = c
	f.order = append(f.order, key)
	if len(f.order) > f.opts.MaxCachedClients {
		delete(f.clients, f.order[0])
		f.order = f.order[1:]
	}
	return c
}

func (f *Factory) clientOptions(credential option.RequestOption, limiter *Limiter) []option.RequestOption {
	opts := []option.RequestOption{
		// The environment must not inject another credential or base URL behind our back.
		option.WithoutEnvironmentDefaults(),
		credential,
		option.WithMaxRetries(0),
		option.WithMiddleware(limiter.middleware, instrument),
	}
	if f.opts.BaseURL != "" {
		opts = append(opts, option.WithBaseURL(f.opts.BaseURL))
	}
	if f.opts.HTTPClient != nil {
		opts = append(opts, option.WithHTTPClient(f.opts.HTTPClient))
	}
	return opts
}
