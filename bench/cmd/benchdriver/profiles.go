// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// saveAPIServerProfile saves kube-apiserver's CPU profile over the given seconds (with -profile).
func (r *runner) saveAPIServerProfile(ctx context.Context, seconds int) {
	r.fetchProfile(ctx, r.apiserverHTTP, strings.TrimSuffix(r.apiserverMetricsURL, "/metrics")+fmt.Sprintf("/debug/pprof/profile?seconds=%d", seconds), "apiserver-cpu")
}

// saveProfile saves one of the manager's pprof profiles, by its path under /debug/pprof.
func (r *runner) saveProfile(ctx context.Context, name, path string) {
	r.fetchProfile(ctx, http.DefaultClient, r.pprofURL+path, name)
}

// fetchProfile downloads a profile into the results folder's profiles/; a failure is logged, not fatal.
func (r *runner) fetchProfile(ctx context.Context, c *http.Client, url, name string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return
	}
	resp, err := c.Do(req)
	if err != nil {
		logf("profile %s: %v", name, err)
		return
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return
	}
	file := filepath.Join(r.cfg.out, "profiles", name+".pprof")
	_ = os.MkdirAll(filepath.Dir(file), 0o755)
	if err := os.WriteFile(file, data, 0o644); err == nil {
		logf("profile: %s", file)
	}
}
