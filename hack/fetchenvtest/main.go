// SPDX-License-Identifier: Apache-2.0

// Command fetchenvtest installs the official prebuilt envtest binaries (kube-apiserver, etcd and
// kubectl) for one Kubernetes version, the ones `setup-envtest use` downloads: it reads
// controller-tools' envtest release index, downloads the archive for this machine, checks it against
// the index's sha512, and checks that the kube-apiserver it holds reports the wanted version.
//
// hack/build-tools.sh runs it first and builds from source when it fails, so every step is bounded
// in time: a network that answers nothing costs a few seconds, not minutes.
//
//	go run ./hack/fetchenvtest -version v1.37.2 -dir bin/k8s
package main

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// DefaultIndexURL is the index setup-envtest reads (controller-runtime's tools/setup-envtest/remote).
const DefaultIndexURL = "https://raw.githubusercontent.com/kubernetes-sigs/controller-tools/HEAD/envtest-releases.yaml"

// binaries are the files an envtest archive holds (under controller-tools/envtest/).
var binaries = []string{"etcd", "kube-apiserver", "kubectl"}

func main() {
	f := fetcher{OS: runtime.GOOS, Arch: runtime.GOARCH, Out: os.Stdout}
	flag.StringVar(&f.Version, "version", "", "Kubernetes version, such as v1.37.2")
	flag.StringVar(&f.Dir, "dir", "bin/k8s", "where to install etcd, kube-apiserver and kubectl")
	flag.StringVar(&f.IndexURL, "index", DefaultIndexURL, "envtest release index (setup-envtest's)")
	flag.DurationVar(&f.ConnectTimeout, "connect-timeout", 3*time.Second, "bound on connecting (and on the TLS handshake)")
	flag.DurationVar(&f.IndexTimeout, "index-timeout", 10*time.Second, "bound on reading the index")
	flag.DurationVar(&f.StallTimeout, "stall-timeout", 15*time.Second, "give up when the download receives nothing for this long")
	flag.DurationVar(&f.MaxTime, "max-time", 5*time.Minute, "bound on the whole download")
	flag.Parse()
	start := time.Now()
	if err := f.Fetch(context.Background()); err != nil {
		fmt.Fprintf(os.Stderr, "fetchenvtest: %v (after %s)\n", err, time.Since(start).Round(100*time.Millisecond))
		os.Exit(1)
	}
}

// fetcher downloads and installs one envtest archive.
type fetcher struct {
	Version, OS, Arch, Dir, IndexURL                    string
	ConnectTimeout, IndexTimeout, StallTimeout, MaxTime time.Duration
	Out                                                 io.Writer
}

// index is the envtest release index: version -> archive name -> archive.
type index struct {
	Releases map[string]map[string]struct {
		Hash     string `json:"hash"` // sha512, hex
		SelfLink string `json:"selfLink"`
	} `json:"releases"`
}

func (f fetcher) client() *http.Client {
	dialer := &net.Dialer{Timeout: f.ConnectTimeout}
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   f.ConnectTimeout,
		ResponseHeaderTimeout: f.ConnectTimeout + f.StallTimeout,
	}}
}

// Fetch installs the archive's binaries into Dir, or changes nothing and says why.
func (f fetcher) Fetch(ctx context.Context) error {
	if f.Version == "" {
		return errors.New("-version is required")
	}
	start := time.Now()
	name := fmt.Sprintf("envtest-%s-%s-%s.tar.gz", f.Version, f.OS, f.Arch)
	url, hash, err := f.lookup(ctx, name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(f.Dir, 0o755); err != nil {
		return err
	}
	staging, err := os.MkdirTemp(f.Dir, ".envtest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(staging)
	archive := filepath.Join(staging, name)
	size, err := f.download(ctx, url, hash, archive)
	if err != nil {
		return err
	}
	if err := extract(archive, staging); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := checkVersion(filepath.Join(staging, "kube-apiserver"), f.Version); err != nil {
		return err
	}
	for _, bin := range binaries {
		if err := os.Rename(filepath.Join(staging, bin), filepath.Join(f.Dir, bin)); err != nil {
			return err
		}
	}
	fmt.Fprintf(f.Out, "fetchenvtest: installed %s into %s from %s (%d MiB, sha512 verified) in %s\n",
		strings.Join(binaries, ", "), f.Dir, url, size>>20, time.Since(start).Round(100*time.Millisecond))
	return nil
}

// lookup finds the archive's URL and sha512 in the index.
func (f fetcher) lookup(ctx context.Context, name string) (url, hash string, err error) {
	ctx, cancel := context.WithTimeout(ctx, f.IndexTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.IndexURL, nil)
	if err != nil {
		return "", "", err
	}
	resp, err := f.client().Do(req)
	if err != nil {
		return "", "", fmt.Errorf("reading the envtest index: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", "", fmt.Errorf("reading the envtest index %s: %s", f.IndexURL, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return "", "", fmt.Errorf("reading the envtest index: %w", err)
	}
	var idx index
	if err := yaml.Unmarshal(body, &idx); err != nil {
		return "", "", fmt.Errorf("parsing the envtest index: %w", err)
	}
	archive, ok := idx.Releases[f.Version][name]
	if !ok {
		return "", "", fmt.Errorf("the envtest index has no %s", name)
	}
	if len(archive.Hash) != sha512.Size*2 || archive.SelfLink == "" {
		return "", "", fmt.Errorf("the envtest index lists %s without a sha512 or a link", name)
	}
	return archive.SelfLink, strings.ToLower(archive.Hash), nil
}

// download writes url to path and fails unless its sha512 is hash. It gives up when the whole
// transfer takes longer than MaxTime or no byte arrives for StallTimeout.
func (f fetcher) download(ctx context.Context, url, hash, path string) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, f.MaxTime)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := f.client().Do(req)
	if err != nil {
		return 0, fmt.Errorf("downloading %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("downloading %s: %s", url, resp.Status)
	}
	out, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer out.Close()
	sum := sha512.New()
	watchdog := time.AfterFunc(f.StallTimeout, cancel)
	defer watchdog.Stop()
	body := &progressReader{r: resp.Body, onRead: func() { watchdog.Reset(f.StallTimeout) }}
	size, err := io.Copy(io.MultiWriter(out, sum), body)
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("stalled for %s or exceeded %s: %w", f.StallTimeout, f.MaxTime, err)
		}
		return 0, fmt.Errorf("downloading %s: %w", url, err)
	}
	if got := hex.EncodeToString(sum.Sum(nil)); got != hash {
		return 0, fmt.Errorf("%s: sha512 %s does not match the index's %s", url, got, hash)
	}
	return size, out.Close()
}

// progressReader calls onRead after every read that returned data.
type progressReader struct {
	r      io.Reader
	onRead func()
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.onRead()
	}
	return n, err
}

// extract writes the archive's etcd, kube-apiserver and kubectl into dir, whatever folder holds them
// (setup-envtest ignores the folders too), and fails when one is missing.
func extract(archive, dir string) error {
	file, err := os.Open(archive)
	if err != nil {
		return err
	}
	defer file.Close()
	gz, err := gzip.NewReader(file)
	if err != nil {
		return err
	}
	tr := tar.NewReader(gz)
	found := map[string]bool{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		name := filepath.Base(h.Name)
		if h.Typeflag != tar.TypeReg || !slices.Contains(binaries, name) {
			continue
		}
		if err := writeExecutable(filepath.Join(dir, name), tr); err != nil {
			return err
		}
		found[name] = true
	}
	for _, bin := range binaries {
		if !found[bin] {
			return fmt.Errorf("the archive holds no %s", bin)
		}
	}
	return nil
}

func writeExecutable(path string, r io.Reader) error {
	out, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, r); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// checkVersion runs kube-apiserver --version, which must print "Kubernetes <version>".
func checkVersion(apiserver, version string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, apiserver, "--version").CombinedOutput()
	if err != nil {
		return fmt.Errorf("the downloaded kube-apiserver does not run: %w: %s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "Kubernetes "+version {
		return fmt.Errorf("the downloaded kube-apiserver reports %q, want Kubernetes %s", got, version)
	}
	return nil
}
