// SPDX-License-Identifier: Apache-2.0

// Package sandbox runs the tools of sessions on SelfHosted Environments in sandbox Pods.
//
// A Supervisor (leader-only, one per manager) keeps one Dispatcher running for every SelfHosted
// Environment that has a remote environment, and stops it when the Environment goes. A Dispatcher
// polls its environment's work queue with the environment key and claims work items, several at
// once (each claim is a few API calls), while fewer than spec.selfHosted.maxConcurrentSandboxes
// sandbox Pods exist or are being created, and creates one Pod per claimed item. A Pod the API
// server refuses (quota, admission, RuntimeClass) gives its item back and pauses the Environment's
// claims with an exponential back-off.
//
// # The lease handoff
//
// A claim is Ack, then one heartbeat (NO_HEARTBEAT) that asks for a lease long enough to start the
// Pod (Options.StartTimeout plus a margin, at most the API's 600 s). The heartbeat's token goes
// into the item's Secret with the work secret; the runner reads it at start and continues that
// very lease (ANTHROPIC_WORK_LAST_HEARTBEAT_FILE). The dispatcher never heartbeats again, so the
// token the runner holds cannot go stale under it: there is no window in which both heartbeat.
// A Pod that is not running by StartTimeout (counted from its creation, so it survives a manager
// restart) is given up: its item is stopped and the Pod deleted, before the lease could lapse.
//
// # State
//
// Everything a Dispatcher needs to resume is in the labelled Pods and Secrets (environment,
// session id, work id) and the queue: after a restart, Pods still starting are left to start (their
// lease is in their Secret), Pods that ended are cleaned up, and an item claimed just before the
// crash whose Pod was never created is given back at once: its Secret, created before the Pod as the
// mark of the claim, has no Pod. An item is never run by two Pods at once: each claim creates one
// Pod, and a re-queued item can only be claimed again after the old lease is gone and the old Pod
// and Secret with it, which the old Pod's runner then sees (HTTP 412) and exits.
//
// # Secrets
//
// The work item's secret is written to a Secret (owned by the Environment, deleted with its Pod)
// and mounted as a file; it is never in the Pod spec, a log line, a status, an Event or a metric.
// The environment key stays in the manager.
package sandbox
