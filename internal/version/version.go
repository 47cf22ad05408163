// SPDX-License-Identifier: Apache-2.0

// Package version says which release a binary is. Releases set Version and Commit at link time
// (.goreleaser.yaml, the Dockerfile); a plain `go build` or `go run` reports "dev" and, when Go
// recorded it, the commit of the work tree it was built from.
package version

import (
	"runtime/debug"
	"strings"
)

// Version is the release's version without a leading "v" (the VERSION file), or "dev".
var Version = "dev"

// Commit is the full git commit a release was built from; empty outside releases.
var Commit = ""

// String is the version and the short commit, for --version flags and the manager's start-up log line:
// "0.1.0 (3f2a9c1)", "dev (3f2a9c1, modified)", or "dev".
func String() string {
	commit, modified := Commit, false
	if commit == "" {
		commit, modified = buildCommit()
	}
	if commit == "" {
		return Version
	}
	if len(commit) > 7 {
		commit = commit[:7]
	}
	if modified {
		return Version + " (" + commit + ", modified)"
	}
	return Version + " (" + commit + ")"
}

// buildCommit is the VCS revision go build stamps into binaries built inside a git work tree.
func buildCommit() (revision string, modified bool) {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "", false
	}
	for _, setting := range info.Settings {
		switch setting.Key {
		case "vcs.revision":
			revision = setting.Value
		case "vcs.modified":
			modified = strings.EqualFold(setting.Value, "true")
		}
	}
	return revision, modified
}
