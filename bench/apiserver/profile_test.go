// SPDX-License-Identifier: Apache-2.0

package apiserver

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
)

// profileAPIServer saves a CPU profile of kube-apiserver while a sub-benchmark runs, when
// APISERVER_PROFILE_DIR is set: `APISERVER_PROFILE_DIR=/tmp/prof go test -run '^$' -bench .
// -benchtime 20s ./bench/apiserver` writes one <name>.pprof per sub-benchmark (run it with a
// -benchtime longer than APISERVER_PROFILE_SECONDS, 10 by default). The profile shows where the
// API server spends each write, which the CPU numbers alone cannot.
func profileAPIServer(b *testing.B, cfg *rest.Config, name string) {
	dir := os.Getenv("APISERVER_PROFILE_DIR")
	if dir == "" {
		return
	}
	seconds := 10
	if s, err := strconv.Atoi(os.Getenv("APISERVER_PROFILE_SECONDS")); err == nil && s > 0 {
		seconds = s
	}
	c, err := rest.UnversionedRESTClientFor(withTimeout(cfg, time.Duration(seconds+30)*time.Second))
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		raw, err := c.Get().AbsPath("/debug/pprof/profile").Param("seconds", strconv.Itoa(seconds)).DoRaw(context.Background())
		if err != nil {
			b.Errorf("profiling kube-apiserver: %v", err)
			return
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(name)+".pprof"), raw, 0o644); err != nil {
			b.Error(err)
		}
	}()
	b.Cleanup(func() { <-done })
}

func withTimeout(cfg *rest.Config, d time.Duration) *rest.Config {
	cfg = rest.CopyConfig(cfg)
	cfg.Timeout = d
	cfg.NegotiatedSerializer = scheme.Codecs.WithoutConversion()
	return cfg
}
