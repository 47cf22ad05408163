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
// that uses one key shares one client and one limiter.
type Factory struct {
	opts FactoryOptions

	mu      sync.Mutex
	clients map[[sha256.Size]byte]*cachedClient
	order   [][sha256.Size]byte
}

type cachedClient struct {
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
	return &Factory{opts: opts, clients: map[[sha256.Size]byte]*cachedClient{}}
}

// For returns the client for an API key. The key is held only inside the SDK client; the cache is
// indexed by its hash.
func (f *Factory) For(apiKey string) Client {
	return f.entry(apiKey).client
}

// LimiterFor returns the rate limiter shared by every call made with this key.
func (f *Factory) LimiterFor(apiKey string) *Limiter {
	return f.entry(apiKey).limiter
}

func (f *Factory) entry(apiKey string) *cachedClient {
	sum := sha256.Sum256([]byte(apiKey))
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.clients[sum]; ok {
		return c
	}
	limiter := NewLimiter(f.opts.RequestsPerSecond, f.opts.Burst)
	c := &cachedClient{client: &sdkClient{api: anthropic.NewClient(f.clientOptions(apiKey, limiter)...)}, limiter: limiter}
	f.clients[sum] = c
	f.order = append(f.order, sum)
	if len(f.order) > f.opts.MaxCachedClients {
		delete(f.clients, f.order[0])
		f.order = f.order[1:]
	}
	return c
}

func (f *Factory) clientOptions(apiKey string, limiter *Limiter) []option.RequestOption {
	opts := []option.RequestOption{
		// The environment must not inject another credential or base URL behind our back.
		option.WithoutEnvironmentDefaults(),
		option.WithAPIKey(apiKey),
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
