// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FaultKind is what an injected fault does.
type FaultKind string

const (
	// FaultError answers the request with Status (and retry-after, if
	// RetryAfter is set) instead of handling it.
	FaultError FaultKind = "error"
	// FaultLatency delays the request by Latency before handling it.
	FaultLatency FaultKind = "latency"
	// FaultDropStream cuts an event stream's connection after AfterEvents
	// events (0: right after the response headers).
	FaultDropStream FaultKind = "drop_stream"
	// FaultLoseResponse handles a mutating request (the change is
	// committed) and then loses the answer, per Mode.
	FaultLoseResponse FaultKind = "lose_response"
)

// LoseMode is how a FaultLoseResponse loses the answer.
type LoseMode string

const (
	// LoseByDroppingConnection closes the connection without a response.
	LoseByDroppingConnection LoseMode = "drop"
	// LoseByError answers 500 api_error although the change was committed.
	LoseByError LoseMode = "error"
)

// FaultLoseLease makes a work item heartbeat find its lease lapsed: the item goes back to the queue
// first, so the heartbeat answers 412 and the worker that held the lease loses it. It matches only
// heartbeats.
const FaultLoseLease FaultKind = "lose_lease"

// heartbeatEndpoint is the route a FaultLoseLease applies to.
const heartbeatEndpoint = "POST /v1/environments/{id}/work/{work_id}/heartbeat"

// streamEndpoint is the route a FaultDropStream applies to.
const streamEndpoint = "GET /v1/sessions/{id}/events/stream"

// Fault is one injected fault rule. A request matches when it satisfies every
// non-empty matcher (Method, PathPrefix, Endpoint); a matching request
// triggers the fault with probability Rate (0 means always), and the rule is
// removed after it has triggered Count times (0 means never).
type Fault struct {
	ID   int       // assigned by AddFault
	Kind FaultKind // required

	Method     string // e.g. "POST"
	PathPrefix string // e.g. "/v1/sessions"
	Endpoint   string // an exact stats key, e.g. "POST /v1/sessions"

	Status      int           // FaultError: 429, 500, 529, ... (default 500)
	RetryAfter  time.Duration // FaultError: sets retry-after (default 1s for 429)
	Latency     time.Duration // FaultLatency
	AfterEvents int           // FaultDropStream
	Mode        LoseMode      // FaultLoseResponse (default drop)

	Count int     // remaining triggers; 0 = unlimited
	Rate  float64 // 0..1; 0 = every match

	Triggered int // how often it has fired (read-only)
}

func (f *Fault) normalize() error {
	switch f.Kind {
	case FaultError:
		if f.Status == 0 {
			f.Status = http.StatusInternalServerError
		}
		if f.Status < 400 || f.Status > 599 {
			return fmt.Errorf("status must be 400-599, got %d", f.Status)
		}
		if f.Status == http.StatusTooManyRequests && f.RetryAfter == 0 {
			f.RetryAfter = time.Second
		}
	case FaultLatency:
		if f.Latency <= 0 {
			return errors.New("latency must be positive")
		}
	case FaultDropStream:
		if f.AfterEvents < 0 {
			return errors.New("after_events must be >= 0")
		}
	case FaultLoseLease:
	case FaultLoseResponse:
		if f.Mode == "" {
			f.Mode = LoseByDroppingConnection
		}
		if f.Mode != LoseByDroppingConnection && f.Mode != LoseByError {
			return fmt.Errorf("mode must be %q or %q", LoseByDroppingConnection, LoseByError)
		}
	default:
		return fmt.Errorf("kind must be error, latency, drop_stream, lose_response or lose_lease, got %q", f.Kind)
	}
	if f.Rate < 0 || f.Rate > 1 {
		return errors.New("rate must be between 0 and 1")
	}
	if f.Count < 0 {
		return errors.New("count must be >= 0")
	}
	if f.Method != "" {
		f.Method = strings.ToUpper(f.Method)
	}
	return nil
}

func (f *Fault) matches(method, path, endpoint string) bool {
	if (f.Method != "" && f.Method != method) || !strings.HasPrefix(path, f.PathPrefix) ||
		(f.Endpoint != "" && f.Endpoint != endpoint) {
		return false
	}
	switch f.Kind {
	case FaultDropStream:
		return endpoint == streamEndpoint
	case FaultLoseResponse:
		return method != http.MethodGet && endpoint != streamEndpoint
	case FaultLoseLease:
		return endpoint == heartbeatEndpoint
	}
	return true
}

type faults struct {
	mu     sync.Mutex
	rng    *rand.Rand
	nextID int
	rules  []*Fault
}

func newFaults(seed int64) *faults {
	return &faults{rng: rand.New(rand.NewPCG(uint64(seed), 0x5EED))}
}

// faultPlan is what the triggered faults do to one request.
type faultPlan struct {
	latency         time.Duration
	err             *apiError
	retryAfter      string
	dropStreamAfter int    // -1: no drop
	lose            *Fault // a lose_response rule, claimed only if the request succeeds
	loseLease       bool   // the heartbeat's item loses its lease first
}

// plan evaluates the rules for one request, consuming their counts.
func (fs *faults) plan(method, path, endpoint string) faultPlan {
	p := faultPlan{dropStreamAfter: -1}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if len(fs.rules) == 0 {
		return p
	}
	kept := fs.rules[:0]
	for _, f := range fs.rules {
		fired := false
		if f.matches(method, path, endpoint) && (f.Rate == 0 || fs.rng.Float64() < f.Rate) {
			switch f.Kind {
			case FaultLatency:
				p.latency += f.Latency
				fired = true
			case FaultError:
				if p.err == nil {
					p.err = &apiError{status: f.Status, typ: errorTypeForStatus(f.Status),
						msg: fmt.Sprintf("injected fault: HTTP %d", f.Status)}
					if f.RetryAfter > 0 {
						p.retryAfter = strconv.FormatFloat(f.RetryAfter.Seconds(), 'f', -1, 64)
					}
					fired = true
				}
			case FaultDropStream:
				if p.dropStreamAfter < 0 {
					p.dropStreamAfter, fired = f.AfterEvents, true
				}
			case FaultLoseLease:
				p.loseLease, fired = true, true
			case FaultLoseResponse:
				// Not fired yet: a request that fails loses nothing, so
				// the rule waits for a success (see claim).
				if p.lose == nil {
					p.lose = f
				}
			}
		}
		if fired {
			f.Triggered++
			if f.Count > 0 {
				f.Count--
				if f.Count == 0 {
					continue // used up
				}
			}
		}
		kept = append(kept, f)
	}
	clear(fs.rules[len(kept):])
	fs.rules = kept
	return p
}

// claim fires a lose_response rule for a request that succeeded. It reports
// false if the rule was used up meanwhile by a concurrent request.
func (fs *faults) claim(f *Fault) (LoseMode, bool) {
	if f == nil {
		return "", false
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	i := slices.Index(fs.rules, f)
	if i < 0 {
		return "", false
	}
	f.Triggered++
	if f.Count > 0 {
		f.Count--
		if f.Count == 0 {
			fs.rules = slices.Delete(fs.rules, i, i+1)
		}
	}
	return f.Mode, true
}

// AddFault installs a fault rule and returns its id.
func (s *Server) AddFault(f Fault) (int, error) {
	if err := f.normalize(); err != nil {
		return 0, fmt.Errorf("simulator: invalid fault: %w", err)
	}
	fs := s.faults
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.nextID++
	f.ID, f.Triggered = fs.nextID, 0
	fs.rules = append(fs.rules, &f)
	return f.ID, nil
}

// RemoveFault removes one rule by id.
func (s *Server) RemoveFault(id int) {
	fs := s.faults
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, f := range fs.rules {
		if f.ID == id {
			fs.rules = append(fs.rules[:i], fs.rules[i+1:]...)
			return
		}
	}
}

// ClearFaults removes every fault rule.
func (s *Server) ClearFaults() {
	s.faults.mu.Lock()
	s.faults.rules = nil
	s.faults.mu.Unlock()
}

// Faults returns a copy of the active rules (used-up rules are gone).
func (s *Server) Faults() []Fault {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	out := make([]Fault, len(s.faults.rules))
	for i, f := range s.faults.rules {
		out[i] = *f
	}
	return out
}

// FailNext answers the next n API requests with status (500, 529, ...).
func (s *Server) FailNext(status, n int) {
	_, _ = s.AddFault(Fault{Kind: FaultError, Status: status, Count: n})
}

// RateLimitNext answers the next n API requests with 429 and retry-after.
func (s *Server) RateLimitNext(n int, retryAfter time.Duration) {
	_, _ = s.AddFault(Fault{Kind: FaultError, Status: http.StatusTooManyRequests, RetryAfter: retryAfter, Count: n})
}

// DropNextStream cuts the next event stream after afterEvents events.
func (s *Server) DropNextStream(afterEvents int) {
	_, _ = s.AddFault(Fault{Kind: FaultDropStream, AfterEvents: afterEvents, Count: 1})
}

// LoseNextLease makes the next work item heartbeat find its lease lapsed (see FaultLoseLease).
func (s *Server) LoseNextLease() {
	_, _ = s.AddFault(Fault{Kind: FaultLoseLease, Count: 1})
}

// LoseNextResponse commits the next request to endpoint (e.g. "POST
// /v1/sessions") and then drops the connection instead of answering.
func (s *Server) LoseNextResponse(endpoint string) {
	_, _ = s.AddFault(Fault{Kind: FaultLoseResponse, Endpoint: endpoint, Count: 1})
}

// faultWire is the JSON form of a Fault (durations as strings like "250ms";
// numbers are read as milliseconds).
type faultWire struct {
	ID          int             `json:"id,omitempty"`
	Kind        FaultKind       `json:"kind"`
	Method      string          `json:"method,omitempty"`
	PathPrefix  string          `json:"path_prefix,omitempty"`
	Endpoint    string          `json:"endpoint,omitempty"`
	Status      int             `json:"status,omitempty"`
	RetryAfter  json.RawMessage `json:"retry_after,omitempty"`
	Latency     json.RawMessage `json:"latency,omitempty"`
	AfterEvents int             `json:"after_events,omitempty"`
	Mode        LoseMode        `json:"mode,omitempty"`
	Count       int             `json:"count,omitempty"`
	Rate        float64         `json:"rate,omitempty"`
	Triggered   int             `json:"triggered,omitempty"`
}

func wireDuration(d time.Duration) json.RawMessage {
	if d == 0 {
		return nil
	}
	b, _ := json.Marshal(d.String())
	return b
}

func parseWireDuration(raw json.RawMessage, name string) (time.Duration, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		return d, nil
	}
	var ms float64
	if err := json.Unmarshal(raw, &ms); err != nil {
		return 0, fmt.Errorf("%s: want a duration string or milliseconds", name)
	}
	return time.Duration(ms * float64(time.Millisecond)), nil
}

// MarshalJSON encodes the fault in the /_simulator/faults wire form.
func (f Fault) MarshalJSON() ([]byte, error) {
	return json.Marshal(faultWire{ID: f.ID, Kind: f.Kind, Method: f.Method, PathPrefix: f.PathPrefix,
		Endpoint: f.Endpoint, Status: f.Status, RetryAfter: wireDuration(f.RetryAfter),
		Latency: wireDuration(f.Latency), AfterEvents: f.AfterEvents, Mode: f.Mode, Count: f.Count,
		Rate: f.Rate, Triggered: f.Triggered})
}

// UnmarshalJSON decodes the /_simulator/faults wire form.
func (f *Fault) UnmarshalJSON(b []byte) error {
	var w faultWire
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return err
	}
	ra, err := parseWireDuration(w.RetryAfter, "retry_after")
	if err != nil {
		return err
	}
	lat, err := parseWireDuration(w.Latency, "latency")
	if err != nil {
		return err
	}
	*f = Fault{ID: w.ID, Kind: w.Kind, Method: w.Method, PathPrefix: w.PathPrefix, Endpoint: w.Endpoint,
		Status: w.Status, RetryAfter: ra, Latency: lat, AfterEvents: w.AfterEvents, Mode: w.Mode,
		Count: w.Count, Rate: w.Rate}
	return nil
}

// ParseFaultSpec parses the compact flag form of a fault, comma-separated
// key=value pairs with the JSON field names, for example
// "kind=error,status=429,count=3,retry_after=2s,path_prefix=/v1/sessions".
func ParseFaultSpec(spec string) (Fault, error) {
	var f Fault
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return f, fmt.Errorf("fault spec %q: %q is not key=value", spec, part)
		}
		var err error
		switch k {
		case "kind":
			f.Kind = FaultKind(v)
		case "method":
			f.Method = v
		case "path_prefix":
			f.PathPrefix = v
		case "endpoint":
			f.Endpoint = v
		case "status":
			f.Status, err = strconv.Atoi(v)
		case "retry_after":
			f.RetryAfter, err = time.ParseDuration(v)
		case "latency":
			f.Latency, err = time.ParseDuration(v)
		case "after_events":
			f.AfterEvents, err = strconv.Atoi(v)
		case "mode":
			f.Mode = LoseMode(v)
		case "count":
			f.Count, err = strconv.Atoi(v)
		case "rate":
			f.Rate, err = strconv.ParseFloat(v, 64)
		default:
			return f, fmt.Errorf("fault spec %q: unknown key %q", spec, k)
		}
		if err != nil {
			return f, fmt.Errorf("fault spec %q: %s: %w", spec, k, err)
		}
	}
	return f, f.normalize()
}

// handleFaults serves /_simulator/faults: GET lists, POST adds one rule (a
// fault object) or several ({"faults":[...]}), DELETE clears.
func (s *Server) handleFaults(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodDelete:
		s.ClearFaults()
	case http.MethodPost:
		body, err := readBody(r)
		if err != nil {
			writeError(w, err)
			return
		}
		var list []Fault
		raw, _ := json.Marshal(body.m)
		if body.present("faults") {
			var wrapper struct {
				Faults []Fault `json:"faults"`
			}
			if err := json.Unmarshal(raw, &wrapper); err != nil {
				writeError(w, errBadRequest("faults: %v", err))
				return
			}
			list = wrapper.Faults
		} else {
			var f Fault
			if err := json.Unmarshal(raw, &f); err != nil {
				writeError(w, errBadRequest("fault: %v", err))
				return
			}
			list = []Fault{f}
		}
		for i := range list {
			if err := list[i].normalize(); err != nil {
				writeError(w, errBadRequest("faults[%d]: %v", i, err))
				return
			}
		}
		for _, f := range list {
			_, _ = s.AddFault(f)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"faults": s.Faults()})
}

// CloseStreams cuts every open event stream of a session, as a server-side disconnect would: the
// clients reconnect, with whatever credential they hold then.
func (s *Server) CloseStreams(sessionID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sess := s.sessions[sessionID]; sess != nil {
		for sub := range sess.subs {
			sub.end(endDropped)
		}
	}
}
