// SPDX-License-Identifier: Apache-2.0

// Package plugin is the logic behind `kubectl claude`: it rebuilds a session's conversation from its
// Kubernetes Events and status, formats it for a terminal, follows it with watches, and steers the
// session by patching its spec. Everything goes through the Kubernetes API; the plugin never talks
// to the Managed Agents API and never holds an Anthropic key. cmd/kubectl-claude only wires flags.
package plugin
