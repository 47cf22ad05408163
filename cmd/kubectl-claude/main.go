// SPDX-License-Identifier: Apache-2.0

// Command kubectl-claude is the `kubectl claude` plugin: launch, follow and steer Claude Managed
// Agents sessions through the Kubernetes API. The logic lives in internal/plugin; this package
// only wires commands and flags.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/anthropics/managed-agents-operator/internal/plugin"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	err := newRootCommand(streams).ExecuteContext(ctx)
	stop()
	os.Exit(exitCode(err, streams.ErrOut))
}

// exitCode prints err the way kubectl does and picks the exit code: an ExitError's own code, 1
// for other errors.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var exit *plugin.ExitError
	if errors.As(err, &exit) {
		if exit.Message != "" {
			fmt.Fprintln(stderr, "error: "+exit.Message)
		}
		return exit.Code
	}
	fmt.Fprintln(stderr, "error: "+err.Error())
	return 1
}
