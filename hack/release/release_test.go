// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// snapshotDist is the dist directory of the plugin-only snapshot that TestMain makes with the
// repository's own .goreleaser.yaml: the same configuration a release uses, limited to the plugin
// (PLUGIN_ONLY=true) so that CI cross-compiles one binary for five platforms instead of three.
var snapshotDist string

const repoRoot = "../.."

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "release-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	snapshotDist = filepath.Join(dir, "dist")
	start := time.Now()
	if err := pluginSnapshot(snapshotDist); err != nil {
		fmt.Fprintln(os.Stderr, "release test: the plugin-only snapshot failed:", err)
		return 1
	}
	fmt.Printf("release test: plugin-only snapshot built in %s\n", time.Since(start).Round(time.Second))
	return m.Run()
}

// tool is a binary that hack/build-tools.sh builds into ./bin. A missing one fails the tests (a
// skipped release check would be a green run that proves nothing).
func tool(name string) (string, error) {
	path, err := filepath.Abs(filepath.Join(repoRoot, "bin", name))
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("%s is missing: run 'hack/build-tools.sh goreleaser krew validate-krew-manifest' (make test-release does)", path)
	}
	return path, nil
}

// pluginSnapshot runs goreleaser on the repository, as make release-snapshot does, with
// PLUGIN_ONLY=true and its dist directory moved to dist.
func pluginSnapshot(dist string) error {
	goreleaser, err := tool("goreleaser")
	if err != nil {
		return err
	}
	config, err := os.ReadFile(filepath.Join(repoRoot, ".goreleaser.yaml"))
	if err != nil {
		return err
	}
	if bytes.Contains(config, []byte("\ndist:")) {
		return fmt.Errorf(".goreleaser.yaml sets dist; this test relies on adding its own")
	}
	configPath := filepath.Join(filepath.Dir(dist), "goreleaser.yaml")
	if err := os.WriteFile(configPath, fmt.Appendf(config, "\ndist: %s\n", dist), 0o600); err != nil {
		return err
	}
	cmd := exec.Command(goreleaser, "release", "--snapshot", "--clean", "--config", configPath)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), snapshotEnv()...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w\n%s", err, out)
	}
	return nil
}

// snapshotEnv is what make release-snapshot sets too: the plugin-only switch, and a remote URL for
// the repository (goreleaser reads the commit only when `git ls-remote --get-url` answers, which it
// does not in a clone without a remote); git's GIT_CONFIG_* variables add it for goreleaser's git
// commands without touching the repository.
func snapshotEnv() []string {
	return []string{
		"PLUGIN_ONLY=true",
		"GIT_CONFIG_COUNT=1",
		"GIT_CONFIG_KEY_0=remote.origin.url",
		"GIT_CONFIG_VALUE_0=https://github.com/anthropics/managed-agents-operator.git",
	}
}

func krewForTest(t *testing.T) Krew {
	t.Helper()
	validate, err := tool("validate-krew-manifest")
	if err != nil {
		t.Fatal(err)
	}
	krew, err := tool("krew")
	if err != nil {
		t.Fatal(err)
	}
	return Krew{Validate: validate, Krew: krew}
}

// TestSnapshotIsReleasable runs every check of make release-snapshot on the plugin-only snapshot.
func TestSnapshotIsReleasable(t *testing.T) {
	meta, err := readMetadata(snapshotDist)
	if err != nil {
		t.Fatal(err)
	}
	version, err := os.ReadFile(filepath.Join(repoRoot, "VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	head, err := exec.Command("git", "-C", repoRoot, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSpace(string(head)); meta.Commit != want {
		t.Fatalf("the snapshot was built from commit %q, want HEAD %s", meta.Commit, want)
	}
	if want := strings.TrimSpace(string(version)) + "-snapshot-" + meta.Commit[:7]; !strings.HasPrefix(meta.Version, want) {
		t.Fatalf("the snapshot's version is %q, want VERSION-snapshot-<commit>: %s", meta.Version, want)
	}
	if err := Verify(snapshotDist, []Build{Plugin}, krewForTest(t), t.TempDir()); err != nil {
		t.Fatal(err)
	}
}

// TestChecksCatchBrokenReleases breaks a copy of the snapshot in the ways a bad configuration or a
// tampered upload would, and expects the checks to say what is wrong.
func TestChecksCatchBrokenReleases(t *testing.T) {
	meta, err := readMetadata(snapshotDist)
	if err != nil {
		t.Fatal(err)
	}
	linux := Plugin.archiveName(meta.Version, Platform{"linux", "amd64"})
	darwin := Plugin.archiveName(meta.Version, Platform{"darwin", "arm64"})
	cases := []struct {
		reason  string
		breakIt func(t *testing.T, dist string)
		want    string
	}{
		{reason: "an archive changed after checksums.txt was written (a tampered or re-uploaded file)",
			breakIt: func(t *testing.T, dist string) { appendTo(t, filepath.Join(dist, linux), "x") },
			want:    linux + ": checksums.txt says sha256"},
		{reason: "a platform the release promises is missing",
			breakIt: func(t *testing.T, dist string) { remove(t, filepath.Join(dist, darwin)) },
			want:    darwin},
		{reason: "an archive holds another platform's binary (a wrong goos/goarch mapping)",
			breakIt: func(t *testing.T, dist string) {
				copyFile(t, filepath.Join(dist, darwin), filepath.Join(dist, linux))
				rewriteChecksums(t, dist)
			},
			want: "is an executable for darwin_arm64"},
		{reason: "the krew manifest's checksum disagrees with checksums.txt (krew users could not install)",
			breakIt: func(t *testing.T, dist string) {
				sums, err := readChecksums(dist)
				if err != nil {
					t.Fatal(err)
				}
				replaceIn(t, krewManifestPath(dist), sums[linux], strings.Repeat("ab", 32))
			},
			want: "krew manifest: linux_amd64 has sha256 abab"},
		{reason: "the krew manifest points at a tag the release does not have",
			breakIt: func(t *testing.T, dist string) {
				replaceIn(t, krewManifestPath(dist), "/download/"+meta.Tag+"/", "/download/v9.9.9/")
			},
			want: "downloads " + releaseURL + "v9.9.9/"},
		{reason: "the krew manifest's version is not the release's",
			breakIt: func(t *testing.T, dist string) {
				replaceIn(t, krewManifestPath(dist), "version: v"+meta.Version, "version: v9.9.9")
			},
			want: `krew manifest has version "v9.9.9"`},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			dist := copyDist(t, snapshotDist)
			if err := CheckDist(dist, []Build{Plugin}); err != nil {
				t.Fatalf("the unbroken copy fails: %v", err)
			}
			tc.breakIt(t, dist)
			err := CheckDist(dist, []Build{Plugin})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("CheckDist = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestKrewRefusesAnotherArchive: krew itself enforces the manifest's checksums, so a manifest that
// matches checksums.txt really pins the archives users get.
func TestKrewRefusesAnotherArchive(t *testing.T) {
	meta, err := readMetadata(snapshotDist)
	if err != nil {
		t.Fatal(err)
	}
	dist := copyDist(t, snapshotDist)
	linux := Plugin.archiveName(meta.Version, Platform{"linux", "amd64"})
	copyFile(t, filepath.Join(dist, Plugin.archiveName(meta.Version, Platform{"linux", "arm64"})), filepath.Join(dist, linux))
	_, err = krewForTest(t).Install(dist, linux, t.TempDir(), Platform{"linux", "amd64"})
	if err == nil || !strings.Contains(err.Error(), "checksum does not match") {
		t.Fatalf("krew install of a swapped archive = %v, want a checksum mismatch", err)
	}
}

// copyDist copies the files the checks read (archives, checksums, metadata, krew manifest), not
// goreleaser's per-target build directories.
func copyDist(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Type().IsRegular() {
			copyFile(t, filepath.Join(src, e.Name()), filepath.Join(dst, e.Name()))
		}
	}
	if err := os.MkdirAll(filepath.Join(dst, "krew"), 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, krewManifestPath(src), krewManifestPath(dst))
	return dst
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

func appendTo(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func remove(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}

func replaceIn(t *testing.T, path, old, replacement string) {
	t.Helper()
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(content, []byte(old)) {
		t.Fatalf("%s does not contain %q", path, old)
	}
	if err := os.WriteFile(path, bytes.ReplaceAll(content, []byte(old), []byte(replacement)), 0o600); err != nil {
		t.Fatal(err)
	}
}

// rewriteChecksums recomputes checksums.txt, so that only the archive's content is wrong.
func rewriteChecksums(t *testing.T, dist string) {
	t.Helper()
	sums, err := readChecksums(dist)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for name := range sums {
		sum, err := fileSHA256(filepath.Join(dist, name))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s  %s\n", sum, name)
	}
	if err := os.WriteFile(filepath.Join(dist, "checksums.txt"), []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}
