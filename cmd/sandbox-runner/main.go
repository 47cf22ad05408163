// SPDX-License-Identifier: Apache-2.0

// Command sandbox-runner runs one claimed work item of a self-hosted Claude Managed Agents
// environment: the agent's built-in tools (bash, read, write, edit, glob, grep) for one session, in
// a workspace directory, until the session has been idle for a while, ends, or the work item is
// stopped or its lease lost. It is the container command of a sandbox Pod: the operator's
// dispatcher claims the item (poll, ack, first heartbeat), creates the Pod, and the runner takes
// the lease over with the SDK's EnvironmentWorker.HandleItem.
//
// # Inputs
//
// Every input is an environment variable named ANTHROPIC_*: the SDK removes that whole namespace
// from the agent's shell, so the agent's commands never see them. Credentials are read from files
// (a Secret volume), never from the environment; setting ANTHROPIC_ENVIRONMENT_KEY or
// ANTHROPIC_WORK_SECRET is a configuration error.
//
//	ANTHROPIC_ENVIRONMENT_ID        required  the self-hosted environment (env_...)
//	ANTHROPIC_WORK_ID               required  the claimed work item (work_...)
//	ANTHROPIC_SESSION_ID            required  the work item's session (data.id)
//	ANTHROPIC_WORK_SECRET_FILE      see below file with the work item's secret, as the poll returned it
//	ANTHROPIC_ENVIRONMENT_KEY_FILE  see below file with the environment key
//	ANTHROPIC_WORK_LAST_HEARTBEAT   optional  the last_heartbeat of the claimer's latest heartbeat: the
//	                                          runner continues that lease. Empty: it starts the lease
//	                                          (NO_HEARTBEAT), which fails once the item was heartbeated.
//	ANTHROPIC_WORK_LAST_HEARTBEAT_FILE optional  the same, read from a file; wins over the variable
//	ANTHROPIC_BASE_URL              optional  the API's base URL (default: the SDK's)
//	ANTHROPIC_SANDBOX_WORKSPACE     optional  the directory the tools work in (default: the working
//	                                          directory); it must exist
//	ANTHROPIC_SANDBOX_MAX_IDLE      optional  how long to stay after the session's turn ended, as a
//	                                          Go duration (default 60s)
//	ANTHROPIC_SANDBOX_TERMINATION_LOG optional  file that gets a one-line outcome, e.g.
//	                                          /dev/termination-log (Kubernetes shows it in the
//	                                          container status)
//	ANTHROPIC_SANDBOX_LOG_LEVEL     optional  debug, info (default), warn or error
//
// At least one credential file is required. With the work secret alone (recommended: the Pod
// then holds no credential beyond this one session), the secret's sessions token authorizes every
// call; with the environment key as well, the key is the fallback for a secret without a token.
// Either file is readable by the agent's commands, which run as the same user: the environment
// key would open the whole environment's queue, which is why a sandbox should get only the secret.
//
// # Outcome
//
// Logs go to stderr as JSON lines and never hold a credential. The exit code says how the item
// ended, and the termination log repeats it:
//
//	0  Completed    the session went idle for ANTHROPIC_SANDBOX_MAX_IDLE, ended, or the API stopped
//	                the item; the runner stopped the item (force) on the way out
//	1  Failed       the item failed (for example the session could not be read); it was stopped
//	2  Misconfigured an input is missing or invalid; the API was not called
//	3  LeaseLost    a heartbeat found the lease gone (HTTP 412): the item is back in the queue or
//	                held by another worker, and the runner left it alone
//	4  Interrupted  SIGTERM or SIGINT (the Pod is being deleted); the item was stopped
//
// # Installing itself
//
// The runner ships in the operator's image, which has no shell. The sandbox Pod's init container
// runs it as
//
//	sandbox-runner install /claude/bin/sandbox-runner
//
// to copy its own executable into a volume shared with the sandbox container (Tekton's entrypoint
// injection), whose command then runs that copy in the user's image. The binary is static, so any
// Linux image with /bin/bash will do.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) > 1 {
		os.Exit(int(command(os.Args[1:], os.Stderr)))
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	code := run(ctx, os.Getenv, os.Stderr)
	stop()
	os.Exit(int(code))
}
