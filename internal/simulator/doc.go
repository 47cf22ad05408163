// SPDX-License-Identifier: Apache-2.0

// Package simulator is an in-memory, wire-compatible copy of the Claude Managed
// Agents API (agents, agent versions, environments, sessions, session events and
// resources, vaults and credentials, skills, memory stores and memories, and the work queue
// of self-hosted environments, which the SDK's own worker runs against).
//
// It speaks the same JSON and server-sent events as the hosted API, so the
// official Go SDK is its client:
//
//	sim := simulator.New(simulator.Options{})
//	ts := httptest.NewServer(sim)
//	defer ts.Close()
//	defer sim.Close() // ends open streams first, so ts.Close does not wait on them
//	client := anthropic.NewClient(option.WithBaseURL(ts.URL), option.WithAPIKey("k"))
//
// It is not a stub that accepts anything: it validates bodies, enforces
// optimistic concurrency on agents, read-only archived objects, unique
// environment names and the session lifecycle, and answers with the API's
// error JSON. Secret values (credential tokens, repository tokens) are never
// echoed; tests read them through the inspection API (inspect_secrets.go).
// Sessions run deterministic scripted turns that directives in the user's
// message text steer (see docs/simulator.md), and faults (429, 5xx,
// latency, dropped streams, lost create responses) can be injected from Go,
// over HTTP under /_simulator/, or from cmd/simulator's flags.
package simulator
