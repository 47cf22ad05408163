// SPDX-License-Identifier: Apache-2.0

package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"
)

// The runner's inputs (see the package documentation).
const (
	envEnvironmentID     = "ANTHROPIC_ENVIRONMENT_ID"
	envWorkID            = "ANTHROPIC_WORK_ID"
	envSessionID         = "ANTHROPIC_SESSION_ID"
	envWorkSecretFile    = "ANTHROPIC_WORK_SECRET_FILE"
	envEnvKeyFile        = "ANTHROPIC_ENVIRONMENT_KEY_FILE"
	envLastHeartbeat     = "ANTHROPIC_WORK_LAST_HEARTBEAT"
	envLastHeartbeatFile = "ANTHROPIC_WORK_LAST_HEARTBEAT_FILE"
	envBaseURL           = "ANTHROPIC_BASE_URL"
	envWorkspace         = "ANTHROPIC_SANDBOX_WORKSPACE"
	envMaxIdle           = "ANTHROPIC_SANDBOX_MAX_IDLE"
	envTerminationLog    = "ANTHROPIC_SANDBOX_TERMINATION_LOG"
	envLogLevel          = "ANTHROPIC_SANDBOX_LOG_LEVEL"

	// The SDK's own fallbacks for credentials, which a sandbox must not use: a value in the
	// environment is in the Pod spec.
	envEnvironmentKey = "ANTHROPIC_ENVIRONMENT_KEY"
	envWorkSecret     = "ANTHROPIC_WORK_SECRET"
)

const defaultMaxIdle = 60 * time.Second

// config is the runner's resolved input. environmentKey and workSecret are credentials: they go
// to the SDK and nowhere else.
type config struct {
	environmentID, workID, sessionID string
	environmentKey, workSecret       string
	lastHeartbeat                    string
	baseURL                          string
	workspace                        string
	maxIdle                          time.Duration
	terminationLog                   string
	logLevel                         slog.Level
}

// loadConfig reads the inputs. Its errors name the variable or file at fault, never a file's
// content.
func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		environmentID: getenv(envEnvironmentID), workID: getenv(envWorkID), sessionID: getenv(envSessionID),
		lastHeartbeat: getenv(envLastHeartbeat), baseURL: getenv(envBaseURL),
		terminationLog: getenv(envTerminationLog), maxIdle: defaultMaxIdle,
	}
	for _, req := range []struct{ name, val string }{
		{envEnvironmentID, c.environmentID}, {envWorkID, c.workID}, {envSessionID, c.sessionID},
	} {
		if req.val == "" {
			return c, fmt.Errorf("%s is required", req.name)
		}
	}
	for _, name := range []string{envEnvironmentKey, envWorkSecret} {
		if getenv(name) != "" {
			return c, fmt.Errorf("%s is set: pass credentials as files (%s, %s), never in the environment",
				name, envWorkSecretFile, envEnvKeyFile)
		}
	}
	var err error
	if c.workSecret, err = readInput(getenv, envWorkSecretFile); err != nil {
		return c, err
	}
	if c.environmentKey, err = readInput(getenv, envEnvKeyFile); err != nil {
		return c, err
	}
	if c.workSecret == "" && c.environmentKey == "" {
		return c, fmt.Errorf("no credential: set %s (or %s) to a non-empty file", envWorkSecretFile, envEnvKeyFile)
	}
	if f := getenv(envLastHeartbeatFile); f != "" {
		if c.lastHeartbeat, err = readInput(getenv, envLastHeartbeatFile); err != nil {
			return c, err
		}
	}
	if c.workspace, err = workspace(getenv(envWorkspace)); err != nil {
		return c, err
	}
	if v := getenv(envMaxIdle); v != "" {
		if c.maxIdle, err = time.ParseDuration(v); err != nil || c.maxIdle <= 0 {
			return c, fmt.Errorf("%s: want a positive Go duration such as 60s, got %q", envMaxIdle, v)
		}
	}
	if v := getenv(envLogLevel); v != "" {
		if err := c.logLevel.UnmarshalText([]byte(v)); err != nil {
			return c, fmt.Errorf("%s: want debug, info, warn or error, got %q", envLogLevel, v)
		}
	}
	return c, nil
}

// readInput reads the file that the variable name points at, trimmed; "" when the variable is
// unset. The file's content never appears in an error.
func readInput(getenv func(string) string, name string) (string, error) {
	path := getenv(name)
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		var pathErr *os.PathError
		if errors.As(err, &pathErr) {
			err = pathErr.Err
		}
		return "", fmt.Errorf("%s: cannot read %s: %w", name, path, err)
	}
	return strings.TrimSpace(string(b)), nil
}

// workspace resolves the workspace directory, which must exist.
func workspace(dir string) (string, error) {
	if dir == "" {
		return os.Getwd()
	}
	info, err := os.Stat(dir)
	if err != nil || !info.IsDir() {
		return "", fmt.Errorf("%s: %s is not a directory", envWorkspace, dir)
	}
	return dir, nil
}
