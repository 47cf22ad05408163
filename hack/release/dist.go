// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Platform is one GOOS/GOARCH pair a release ships.
type Platform struct{ OS, Arch string }

func (p Platform) String() string { return p.OS + "_" + p.Arch }

// ext is the archive format goreleaser uses for the platform: krew and Windows users expect a zip there.
func (p Platform) ext() string {
	if p.OS == "windows" {
		return ".zip"
	}
	return ".tar.gz"
}

// Build is one binary of a release and the archives it ships in. This is the release's contract,
// written out independently of .goreleaser.yaml so that a change to that file which drops a
// platform, renames an archive or leaves out the license fails the check.
type Build struct {
	Binary    string     // the binary's name inside the archive (without .exe)
	Archive   string     // archive name prefix: <Archive>_<version>_<os>_<arch>.<ext>
	Files     []string   // the other files every archive holds
	Platforms []Platform // where it is built
}

var unixPlatforms = []Platform{{"linux", "amd64"}, {"linux", "arm64"}, {"darwin", "amd64"}, {"darwin", "arm64"}}

// Plugin is the kubectl plugin; krew also serves Windows users.
var Plugin = Build{
	Binary: "kubectl-claude", Archive: "kubectl-claude", Files: []string{"LICENSE"},
	Platforms: append(slices.Clone(unixPlatforms), Platform{"windows", "amd64"}),
}

// FullRelease is everything a tagged release ships; PLUGIN_ONLY=true snapshots ship Plugin alone.
var FullRelease = []Build{
	{Binary: "manager", Archive: "managed-agents-operator", Files: []string{"LICENSE", "README.md"}, Platforms: unixPlatforms},
	{Binary: "simulator", Archive: "managed-agents-simulator", Files: []string{"LICENSE", "README.md"}, Platforms: unixPlatforms},
	Plugin,
}

// archiveName is the file name of b's archive for p.
func (b Build) archiveName(version string, p Platform) string {
	return fmt.Sprintf("%s_%s_%s%s", b.Archive, version, p, p.ext())
}

// binaryName is the binary's file name on p.
func (b Build) binaryName(p Platform) string {
	if p.OS == "windows" {
		return b.Binary + ".exe"
	}
	return b.Binary
}

// Metadata is the part of goreleaser's dist/metadata.json the checks need.
type Metadata struct {
	Tag     string `json:"tag"`
	Version string `json:"version"`
	Commit  string `json:"commit"`
}

func readMetadata(dist string) (Metadata, error) {
	var m Metadata
	content, err := os.ReadFile(filepath.Join(dist, "metadata.json"))
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(content, &m); err != nil {
		return m, fmt.Errorf("metadata.json: %w", err)
	}
	if m.Version == "" || m.Tag == "" {
		return m, fmt.Errorf("metadata.json names no version or tag: %+v", m)
	}
	return m, nil
}

// readChecksums parses checksums.txt ("<sha256>  <file>" per line) into file -> sha256.
func readChecksums(dist string) (map[string]string, error) {
	f, err := os.Open(filepath.Join(dist, "checksums.txt"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sums := map[string]string{}
	scanner := bufio.NewScanner(f)
	for line := 1; scanner.Scan(); line++ {
		sum, name, ok := strings.Cut(scanner.Text(), "  ")
		if !ok || len(sum) != sha256.Size*2 || strings.Trim(sum, "0123456789abcdef") != "" || name == "" {
			return nil, fmt.Errorf("checksums.txt:%d: not \"<sha256>  <file>\": %q", line, scanner.Text())
		}
		if _, dup := sums[name]; dup {
			return nil, fmt.Errorf("checksums.txt:%d: %s is listed twice", line, name)
		}
		sums[name] = sum
	}
	return sums, scanner.Err()
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// CheckDist checks a goreleaser dist directory against the builds it must hold: every archive is
// there and nothing else, checksums.txt lists each with its real sha256, each archive holds the
// binary for its platform (its executable format and CPU) and the expected files, and the krew
// manifest installs exactly the plugin archives with their checksums. It returns every problem found.
func CheckDist(dist string, builds []Build) error {
	meta, err := readMetadata(dist)
	if err != nil {
		return err
	}
	sums, err := readChecksums(dist)
	if err != nil {
		return err
	}
	var problems []error
	want := map[string]bool{}
	for _, b := range builds {
		for _, p := range b.Platforms {
			name := b.archiveName(meta.Version, p)
			want[name] = true
			problems = append(problems, checkArchive(dist, name, sums[name], b, p, meta)...)
		}
	}
	for name := range sums {
		if !want[name] {
			problems = append(problems, fmt.Errorf("checksums.txt lists %s, which this release should not ship", name))
		}
	}
	archives, _ := filepath.Glob(filepath.Join(dist, "*.*"))
	for _, path := range archives {
		name := filepath.Base(path)
		if isArchive(name) && !want[name] {
			problems = append(problems, fmt.Errorf("%s: unexpected archive in dist", name))
		}
	}
	if slices.ContainsFunc(builds, func(b Build) bool { return b.Binary == Plugin.Binary }) {
		problems = append(problems, CheckKrewManifest(dist, meta, sums)...)
	}
	return errors.Join(problems...)
}

func isArchive(name string) bool {
	return strings.HasSuffix(name, ".tar.gz") || strings.HasSuffix(name, ".zip")
}

// checkArchive checks one archive: listed in checksums.txt with its real sha256, and its content.
func checkArchive(dist, name, listed string, b Build, p Platform, meta Metadata) []error {
	path := filepath.Join(dist, name)
	actual, err := fileSHA256(path)
	if err != nil {
		return []error{fmt.Errorf("%s: %w", name, err)}
	}
	var problems []error
	switch listed {
	case "":
		problems = append(problems, fmt.Errorf("%s: missing from checksums.txt", name))
	case actual:
	default:
		problems = append(problems, fmt.Errorf("%s: checksums.txt says sha256 %s, the file has %s", name, listed, actual))
	}
	entries, err := readArchive(path)
	if err != nil {
		return append(problems, fmt.Errorf("%s: %w", name, err))
	}
	return append(problems, checkEntries(name, entries, b, p, meta)...)
}

// checkEntries wants exactly the binary (executable, built for p) and b's files in the archive's root.
func checkEntries(archive string, entries map[string]entry, b Build, p Platform, meta Metadata) []error {
	var problems []error
	want := append([]string{b.binaryName(p)}, b.Files...)
	for _, name := range want {
		if _, ok := entries[name]; !ok {
			problems = append(problems, fmt.Errorf("%s: has no %s", archive, name))
		}
	}
	for name := range entries {
		if !slices.Contains(want, name) {
			problems = append(problems, fmt.Errorf("%s: holds %s, which does not belong in it", archive, name))
		}
	}
	if bin, ok := entries[b.binaryName(p)]; ok {
		if p.OS != "windows" && bin.mode&0o111 == 0 {
			problems = append(problems, fmt.Errorf("%s: %s is not executable (mode %v)", archive, bin.name, bin.mode))
		}
		switch got, err := binaryPlatform(bin.content); {
		case err != nil:
			problems = append(problems, fmt.Errorf("%s: %s: %w", archive, bin.name, err))
		case got != p:
			problems = append(problems, fmt.Errorf("%s: %s is an executable for %v, want %v", archive, bin.name, got, p))
		}
		for _, err := range checkBuildInfo(bin.content, b.Binary, meta, p) {
			problems = append(problems, fmt.Errorf("%s: %s %w", archive, bin.name, err))
		}
	}
	return problems
}
