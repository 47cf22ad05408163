// SPDX-License-Identifier: Apache-2.0

package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

const version = "v1.37.2"

// fakeBinary is a stand-in executable; the kube-apiserver one answers --version like the real one.
func fakeBinary(reports string) string {
	return "#!/bin/sh\necho 'Kubernetes " + reports + "'\n"
}

// envtestArchive builds a tarball laid out like controller-tools' envtest releases.
func envtestArchive(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	if err := tw.WriteHeader(&tar.Header{Name: "controller-tools/envtest/", Typeflag: tar.TypeDir, Mode: 0o755}); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		h := &tar.Header{Name: "controller-tools/envtest/" + name, Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(content))}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, content); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sha512Hex(b []byte) string {
	sum := sha512.Sum512(b)
	return hex.EncodeToString(sum[:])
}

// release serves an index and one archive the way GitHub does, with knobs to break either.
type release struct {
	version    string // the Kubernetes version the index lists the archive under; empty: version
	archive    []byte
	indexHash  string        // the sha512 the index claims; empty: the archive's own
	indexName  string        // the archive name in the index; empty: the one for linux/amd64
	stallAfter int           // with stallFor: bytes of the archive sent before it stops sending
	stallFor   time.Duration // how long the server then stays silent
}

func (r *release) serve(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/envtest-releases.yaml", func(w http.ResponseWriter, req *http.Request) {
		name, hash, v := r.indexName, r.indexHash, r.version
		if v == "" {
			v = version
		}
		if name == "" {
			name = "envtest-" + version + "-linux-amd64.tar.gz"
		}
		if hash == "" {
			hash = sha512Hex(r.archive)
		}
		fmt.Fprintf(w, "releases:\n  %s:\n    %s:\n      hash: %s\n      selfLink: http://%s/download/%s\n", v, name, hash, req.Host, name)
	})
	mux.HandleFunc("/download/", func(w http.ResponseWriter, req *http.Request) {
		if r.stallFor == 0 {
			_, _ = w.Write(r.archive)
			return
		}
		_, _ = w.Write(r.archive[:r.stallAfter])
		w.(http.Flusher).Flush()
		select {
		case <-time.After(r.stallFor):
		case <-req.Context().Done():
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func goodFiles() map[string]string {
	return map[string]string{"etcd": fakeBinary("etcd"), "kube-apiserver": fakeBinary(version), "kubectl": fakeBinary("kubectl")}
}

func TestFetch(t *testing.T) {
	without := func(name string) map[string]string {
		files := goodFiles()
		delete(files, name)
		return files
	}
	cases := []struct {
		reason  string
		release release
		index   string // index URL; empty: the test server's
		wantErr string
	}{
		{reason: "the fast path: the archive matches the index's sha512 and holds the wanted version",
			release: release{archive: envtestArchive(t, goodFiles())}},
		{reason: "a corrupted or tampered download is refused, however well-formed",
			release: release{archive: envtestArchive(t, goodFiles()), indexHash: strings.Repeat("ab", 64)},
			wantErr: "does not match the index's"},
		{reason: "the index does not (yet) have the pinned version for this platform",
			release: release{archive: envtestArchive(t, goodFiles()), indexName: "envtest-" + version + "-darwin-arm64.tar.gz"},
			wantErr: "the envtest index has no envtest-" + version + "-linux-amd64.tar.gz"},
		{reason: "an archive without one of the three binaries would leave the control plane half built",
			release: release{archive: envtestArchive(t, without("etcd"))}, wantErr: "the archive holds no etcd"},
		{reason: "an archive for another Kubernetes version would test against the wrong API server",
			release: release{archive: envtestArchive(t, map[string]string{"etcd": "", "kube-apiserver": fakeBinary("v1.36.0"), "kubectl": ""})},
			wantErr: `reports "Kubernetes v1.36.0"`},
		{reason: "no network (nothing listens): the attempt fails at once, so the fallback starts at once",
			release: release{archive: envtestArchive(t, goodFiles())}, index: "http://" + closedAddress(t) + "/envtest-releases.yaml",
			wantErr: "reading the envtest index"},
		{reason: "a download that stops sending is abandoned after the stall timeout, not after minutes",
			release: release{archive: envtestArchive(t, goodFiles()), stallAfter: 10, stallFor: time.Minute},
			wantErr: "stalled for"},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			srv := tc.release.serve(t)
			dir := t.TempDir()
			f := fetcher{
				Version: version, OS: "linux", Arch: "amd64", Dir: dir, IndexURL: srv.URL + "/envtest-releases.yaml",
				ConnectTimeout: time.Second, IndexTimeout: 2 * time.Second, StallTimeout: 300 * time.Millisecond, MaxTime: 10 * time.Second,
				Out: io.Discard,
			}
			if tc.index != "" {
				f.IndexURL = tc.index
			}
			start := time.Now()
			err := f.Fetch(t.Context())
			if elapsed := time.Since(start); elapsed > 5*time.Second {
				t.Errorf("Fetch took %s; every failure must be quick", elapsed)
			}
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				for _, bin := range binaries {
					info, err := os.Stat(filepath.Join(dir, bin))
					if err != nil || info.Mode().Perm()&0o111 == 0 {
						t.Fatalf("%s not installed as an executable: %v", bin, err)
					}
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Fetch = %v, want an error containing %q", err, tc.wantErr)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Fatalf("a failed fetch left %v in the install directory", entries)
			}
		})
	}
}

// closedAddress is a loopback address where nothing listens.
func closedAddress(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// TestBuildToolsTakesTheDownload runs hack/build-tools.sh against a local copy of the envtest
// release: it must install the three binaries from the archive, build none of them, and say so.
// (Its fallback, building from source when the download fails, is what runs on machines without
// that network; it takes minutes cold, so it is exercised by make tools, not here.)
func TestBuildToolsTakesTheDownload(t *testing.T) {
	script, err := os.ReadFile("../build-tools.sh")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^K8S_VERSION="(v[0-9.]+)"$`).FindSubmatch(script)
	if m == nil {
		t.Fatal("hack/build-tools.sh has no K8S_VERSION line")
	}
	pinned := string(m[1])
	files := map[string]string{"etcd": fakeBinary("etcd"), "kube-apiserver": fakeBinary(pinned), "kubectl": fakeBinary("kubectl")}
	rel := &release{version: pinned, archive: envtestArchive(t, files),
		indexName: fmt.Sprintf("envtest-%s-%s-%s.tar.gz", pinned, runtime.GOOS, runtime.GOARCH)}
	srv := rel.serve(t)
	bin := t.TempDir()
	cmd := exec.Command("bash", "../build-tools.sh", "etcd", "kube-apiserver", "kubectl")
	cmd.Env = append(os.Environ(), "TOOLS_BIN="+bin, "ENVTEST_INDEX_URL="+srv.URL+"/envtest-releases.yaml")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("build-tools.sh: %v\n%s", err, out)
	}
	if want := "control plane (etcd kube-apiserver kubectl): prebuilt envtest " + pinned + " binaries, downloaded and verified"; !strings.Contains(string(out), want) {
		t.Fatalf("build-tools.sh did not say %q:\n%s", want, out)
	}
	t.Logf("build-tools.sh:\n%s", out)
	if strings.Contains(string(out), "building ") {
		t.Fatalf("build-tools.sh built something although the download worked:\n%s", out)
	}
	for name, content := range files {
		got, err := os.ReadFile(filepath.Join(bin, "k8s", name))
		if err != nil || string(got) != content {
			t.Fatalf("%s is not the archive's: %v", name, err)
		}
	}
}
