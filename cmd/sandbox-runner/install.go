// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// command runs a subcommand: install is the only one.
func command(args []string, stderr io.Writer) exitCode {
	if len(args) != 2 || args[0] != "install" {
		fmt.Fprintln(stderr, "usage: sandbox-runner                 (run the work item the environment describes)")
		fmt.Fprintln(stderr, "       sandbox-runner install PATH    (copy this executable to PATH)")
		return exitMisconfigured
	}
	self, err := os.Executable()
	if err == nil {
		err = install(self, args[1])
	}
	if err != nil {
		fmt.Fprintf(stderr, "sandbox-runner install: %v\n", err)
		return exitFailed
	}
	return exitCompleted
}

// install copies the executable at src to dst, through a temporary file in dst's directory and
// a rename, so a reader never sees half a binary.
func install(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer func() { _ = in.Close() }()
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".sandbox-runner-*")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	if _, err := io.Copy(tmp, in); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o555); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}
