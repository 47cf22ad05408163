// SPDX-License-Identifier: Apache-2.0

package security

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/managed-agents-operator/internal/testenv"
)

// TestManagerRefusesPlainHTTPAPIURL runs the manager binary with API base URLs it must refuse at
// startup: plain http (from the flag or from $ANTHROPIC_BASE_URL) without --allow-insecure-api-url,
// other schemes, and relative URLs. It gets a working kubeconfig, so a manager that did not refuse
// would keep running until the deadline and fail the case. https, and http with the flag, start.
func TestManagerRefusesPlainHTTPAPIURL(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  string
		want string
	}{
		{name: "http without the flag", args: []string{"--api-base-url=http://127.0.0.1:8765"},
			want: `uses plain http, which would send the API key unencrypted: use https, or pass --allow-insecure-api-url`},
		{name: "http from ANTHROPIC_BASE_URL", env: "ANTHROPIC_BASE_URL=http://simulator.example:8765",
			want: `"http://simulator.example:8765" uses plain http`},
		{name: "http with credentials in the URL, which the message redacts", args: []string{"--api-base-url=http://user:hunter2@127.0.0.1:8765"},
			want: `"http://user:xxxxx@127.0.0.1:8765" uses plain http`},
		{name: "another scheme", args: []string{"--api-base-url=ftp://api.example.com", "--allow-insecure-api-url"}, want: `has scheme "ftp"`},
		{name: "no scheme", args: []string{"--api-base-url=api.anthropic.com"}, want: "is not an absolute URL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, suite.ManagerBin, append([]string{"--kubeconfig", suite.AdminKubeconfig,
				"--metrics-bind-address=0", "--health-probe-bind-address=0", "--watch-namespaces=https-check"}, c.args...)...)
			cmd.Env = append(os.Environ(), "KUBECONFIG=", "ANTHROPIC_API_KEY=", "ANTHROPIC_BASE_URL=")
			if c.env != "" {
				cmd.Env = append(cmd.Env, c.env)
			}
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if ctx.Err() != nil || !errors.As(err, &exit) || exit.ExitCode() == 0 {
				t.Fatalf("the manager did not refuse to start (err %v, deadline %v):\n%s", err, ctx.Err(), testenv.Tail(string(out), 20))
			}
			// The error is logged as JSON, which escapes the quotes.
			if !strings.Contains(strings.ReplaceAll(string(out), `\"`, `"`), c.want) {
				t.Errorf("the manager's error does not say %q:\n%s", c.want, out)
			}
			if strings.Contains(string(out), "hunter2") {
				t.Error("the manager printed the password of the URL")
			}
			if strings.Contains(string(out), "Starting manager") {
				t.Error("the manager started before it checked the URL")
			}
		})
	}
	t.Run("https starts", func(t *testing.T) {
		suite.StartManager(t, suite.AdminKubeconfig, "--watch-namespaces=https-check", "--api-base-url=https://api.example.invalid")
	})
	t.Run("http with --allow-insecure-api-url starts", func(t *testing.T) {
		suite.StartManager(t, suite.AdminKubeconfig, "--watch-namespaces=https-check", "--api-base-url=http://127.0.0.1:8765", "--allow-insecure-api-url")
	})
}
