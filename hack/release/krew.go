// SPDX-License-Identifier: Apache-2.0

package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

const (
	// krewName is the plugin's name in krew-index, and so the command: kubectl claude.
	krewName = "claude"
	// releaseURL is where GitHub serves a release's files: releaseURL + tag + "/" + file.
	releaseURL = "https://github.com/anthropics/managed-agents-operator/releases/download/"
)

// krewManifest is the part of a krew plugin manifest
// (https://krew.sigs.k8s.io/docs/developer-guide/plugin-manifest/) that must match the archives.
type krewManifest struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Version   string         `json:"version"`
		Platforms []krewPlatform `json:"platforms"`
	} `json:"spec"`
}

type krewPlatform struct {
	Selector struct {
		MatchLabels map[string]string `json:"matchLabels"`
	} `json:"selector"`
	URI    string `json:"uri"`
	Sha256 string `json:"sha256"`
	Bin    string `json:"bin"`
}

func krewManifestPath(dist string) string { return filepath.Join(dist, "krew", krewName+".yaml") }

// CheckKrewManifest checks that the generated krew manifest offers exactly the plugin's archives,
// each with the URL the release serves it at and the sha256 that checksums.txt lists.
func CheckKrewManifest(dist string, meta Metadata, sums map[string]string) []error {
	content, err := os.ReadFile(krewManifestPath(dist))
	if err != nil {
		return []error{err}
	}
	var m krewManifest
	if err := yaml.Unmarshal(content, &m); err != nil {
		return []error{fmt.Errorf("krew manifest: %w", err)}
	}
	var problems []error
	if m.APIVersion != "krew.googlecontainertools.github.com/v1alpha2" || m.Kind != "Plugin" || m.Metadata.Name != krewName {
		problems = append(problems, fmt.Errorf("krew manifest is %s %s %q, want a krew.googlecontainertools.github.com/v1alpha2 Plugin named %q",
			m.APIVersion, m.Kind, m.Metadata.Name, krewName))
	}
	if want := "v" + meta.Version; m.Spec.Version != want {
		problems = append(problems, fmt.Errorf("krew manifest has version %q, want %q", m.Spec.Version, want))
	}
	var offered []Platform
	for i, kp := range m.Spec.Platforms {
		p := Platform{OS: kp.Selector.MatchLabels["os"], Arch: kp.Selector.MatchLabels["arch"]}
		if slices.Contains(offered, p) {
			problems = append(problems, fmt.Errorf("krew manifest: platforms[%d] selects %v a second time", i, p))
		}
		offered = append(offered, p)
		archive := Plugin.archiveName(meta.Version, p)
		if want := releaseURL + meta.Tag + "/" + archive; kp.URI != want {
			problems = append(problems, fmt.Errorf("krew manifest: %v downloads %s, want %s", p, kp.URI, want))
		}
		if sum, ok := sums[archive]; !ok || kp.Sha256 != sum {
			problems = append(problems, fmt.Errorf("krew manifest: %v has sha256 %s but checksums.txt lists %q for %s", p, kp.Sha256, sum, archive))
		}
		if want := Plugin.binaryName(p); kp.Bin != want {
			problems = append(problems, fmt.Errorf("krew manifest: %v runs %q, want %q", p, kp.Bin, want))
		}
	}
	for _, p := range Plugin.Platforms {
		if !slices.Contains(offered, p) {
			problems = append(problems, fmt.Errorf("krew manifest offers nothing for %v", p))
		}
	}
	return problems
}

// Krew runs krew's own tools on the manifest, as krew-index's CI and a user would.
type Krew struct {
	Validate string // path of validate-krew-manifest
	Krew     string // path of the krew CLI (kubectl-krew)
}

// ValidateManifest runs krew-index's structural validation of the manifest.
func (k Krew) ValidateManifest(dist string) error {
	out, err := exec.Command(k.Validate, "-manifest", krewManifestPath(dist), "-skip-install").CombinedOutput()
	if err != nil {
		return fmt.Errorf("validate-krew-manifest: %w\n%s", err, out)
	}
	return nil
}

// Install installs the plugin from the manifest and the given archive into a fresh krew root,
// as `kubectl krew install --manifest=... --archive=...` does, pretending to be platform p. krew
// refuses an archive whose sha256 differs from the manifest's. It returns the installed
// kubectl-claude's path (krew's bin link).
func (k Krew) Install(dist, archive, root string, p Platform) (string, error) {
	cmd := exec.Command(k.Krew, "install", "--manifest="+krewManifestPath(dist), "--archive="+filepath.Join(dist, archive))
	// KREW_OS and KREW_ARCH make krew pick another platform's entry of the manifest.
	cmd.Env = append(os.Environ(), "KREW_ROOT="+root, "KREW_OS="+p.OS, "KREW_ARCH="+p.Arch, "KREW_NO_UPGRADE_CHECK=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("krew install for %v: %w\n%s", p, err, out)
	}
	bin := filepath.Join(root, "bin", Plugin.binaryName(p))
	if _, err := os.Lstat(bin); err != nil {
		return "", fmt.Errorf("krew install for %v left no %s: %w", p, bin, err)
	}
	// krew-index requires a license beside the binary; it comes from the archive.
	matches, _ := filepath.Glob(filepath.Join(root, "store", krewName, "*", "LICENSE"))
	if len(matches) != 1 {
		return "", fmt.Errorf("krew install for %v installed no LICENSE (found %v)", p, matches)
	}
	return bin, nil
}

// InstallAll installs every platform's archive (each in its own krew root under dir) and runs the
// host's installed plugin, which must report the release's version. It returns every problem found.
func (k Krew) InstallAll(dist, dir string, meta Metadata) error {
	var problems []error
	host := Platform{runtime.GOOS, runtime.GOARCH}
	ranHost := false
	for _, p := range Plugin.Platforms {
		bin, err := k.Install(dist, Plugin.archiveName(meta.Version, p), filepath.Join(dir, p.String()), p)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		if p == host {
			ranHost = true
			problems = append(problems, checkVersionOutput(bin, "--version", meta))
		}
	}
	if !ranHost {
		problems = append(problems, fmt.Errorf("the release has no plugin for this machine (%v) to run", host))
	}
	return errors.Join(problems...)
}

// checkVersionOutput runs a released binary with its version flag; it must name the release's version.
func checkVersionOutput(bin, flag string, meta Metadata) error {
	out, err := exec.Command(bin, flag).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", bin, flag, err, out)
	}
	if want := meta.Version + " (" + meta.Commit[:min(7, len(meta.Commit))] + ")"; !strings.Contains(string(out), want) {
		return fmt.Errorf("%s %s printed %q, want it to name %q", filepath.Base(bin), flag, strings.TrimSpace(string(out)), want)
	}
	return nil
}
