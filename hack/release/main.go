// SPDX-License-Identifier: Apache-2.0

// Command release checks what goreleaser wrote into a dist directory before anyone ships it:
//
//   - every archive the release must hold, and nothing else; checksums.txt lists each with its real sha256;
//   - each archive holds the license and the binary for its platform (executable format, CPU, no cgo,
//     -trimpath, stamped with the release's version and commit);
//   - the krew manifest offers exactly the plugin's archives with those checksums and release URLs,
//     passes validate-krew-manifest (what krew-index's CI runs), and krew installs every platform's
//     archive from it (krew refuses an archive whose sha256 differs);
//   - the binaries built for this machine run and print the release's version.
//
// make release-snapshot and make release run it on dist/ (go run . -dist ../../dist); make test-release
// runs its test, which makes a plugin-only snapshot first. Run from hack/release.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

func main() {
	dist := flag.String("dist", "../../dist", "goreleaser's dist directory")
	bin := flag.String("bin", "../../bin", "directory holding validate-krew-manifest and krew (hack/build-tools.sh builds them)")
	pluginOnly := flag.Bool("plugin-only", false, "the dist holds only the kubectl plugin (a PLUGIN_ONLY=true snapshot)")
	flag.Parse()
	builds := FullRelease
	if *pluginOnly {
		builds = []Build{Plugin}
	}
	work, err := os.MkdirTemp("", "release-check-")
	if err == nil {
		defer os.RemoveAll(work)
		err = Verify(*dist, builds, krewTools(*bin), work)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "release: the dist directory is not releasable:")
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	meta, _ := readMetadata(*dist)
	fmt.Printf("release: %s (%s) verified: %d builds, archives, checksums.txt and krew/%s.yaml\n",
		meta.Version, meta.Tag, len(builds), krewName)
}

func krewTools(bin string) Krew {
	return Krew{Validate: filepath.Join(bin, "validate-krew-manifest"), Krew: filepath.Join(bin, "krew")}
}

// Verify runs every check on dist; work is a scratch directory for krew roots and extracted binaries.
func Verify(dist string, builds []Build, krew Krew, work string) error {
	if err := CheckDist(dist, builds); err != nil {
		return err
	}
	meta, err := readMetadata(dist)
	if err != nil {
		return err
	}
	if err := krew.ValidateManifest(dist); err != nil {
		return err
	}
	problems := []error{krew.InstallAll(dist, filepath.Join(work, "krew"), meta)}
	for _, b := range builds {
		if b.Binary != Plugin.Binary { // the plugin ran above, as krew installed it
			problems = append(problems, runHostBinary(dist, b, meta, work))
		}
	}
	return errors.Join(problems...)
}

// runHostBinary extracts the build's binary for this machine and checks its --version output.
func runHostBinary(dist string, b Build, meta Metadata, work string) error {
	host := Platform{runtime.GOOS, runtime.GOARCH}
	entries, err := readArchive(filepath.Join(dist, b.archiveName(meta.Version, host)))
	if err != nil {
		return err
	}
	path := filepath.Join(work, b.binaryName(host))
	if err := os.WriteFile(path, entries[b.binaryName(host)].content, 0o755); err != nil { //nolint:gosec // an executable
		return err
	}
	return checkVersionOutput(path, "--version", meta)
}
