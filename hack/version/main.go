// SPDX-License-Identifier: Apache-2.0

// Command version keeps the project's one version number in step. VERSION (at the repository root)
// is the source; the chart's version and appVersion (which is also the default image tag) repeat it,
// and a release's git tag is "v" followed by it. Run from the repository root:
//
//	go run ./hack/version -check                          # make verify: the chart agrees with VERSION
//	go run ./hack/version -check -tag v0.2.0 -snapshot=false  # goreleaser's before hook: and so does the tag
//	go run ./hack/version -set 0.2.0                      # make set-version: write VERSION and the chart
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
)

const (
	versionFile = "VERSION"
	chartFile   = "charts/managed-agents-operator/Chart.yaml"
)

func main() {
	check := flag.Bool("check", false, "fail unless the chart's version and appVersion equal VERSION")
	tag := flag.String("tag", "", "with -check: the git tag being released, which must be v<VERSION>")
	snapshot := flag.Bool("snapshot", true, "with -check: a snapshot build, whose -tag is not checked")
	set := flag.String("set", "", "write this version to VERSION and the chart")
	flag.Parse()
	if err := run(*check, *tag, *snapshot, *set); err != nil {
		fmt.Fprintln(os.Stderr, "version:", err)
		os.Exit(1)
	}
}

func run(check bool, tag string, snapshot bool, set string) error {
	switch {
	case set != "":
		return setVersion(set)
	case check:
		version, err := readVersion()
		if err != nil {
			return err
		}
		chart, err := os.ReadFile(chartFile)
		if err != nil {
			return err
		}
		if err := checkChart(string(chart), version); err != nil {
			return err
		}
		if !snapshot && tag != "v"+version {
			return fmt.Errorf("the release tag is %q but VERSION says %s: tag v%s, or run 'make set-version VERSION=%s' and commit first",
				tag, version, version, strings.TrimPrefix(tag, "v"))
		}
		fmt.Printf("version: VERSION and %s say %s\n", chartFile, version)
		return nil
	}
	return errors.New("give -check or -set VERSION")
}

// semver is the SemVer 2.0 grammar (https://semver.org), without a leading "v".
var semver = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)` +
	`(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?` +
	`(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)

func validate(version string) error {
	if !semver.MatchString(version) {
		return fmt.Errorf("%q is not a semantic version such as 1.2.3 or 1.3.0-rc.1 (no leading v)", version)
	}
	return nil
}

func readVersion() (string, error) {
	content, err := os.ReadFile(versionFile)
	if err != nil {
		return "", err
	}
	version := strings.TrimSpace(string(content))
	if err := validate(version); err != nil {
		return "", fmt.Errorf("%s: %w", versionFile, err)
	}
	return version, nil
}

// chartField matches a top-level "version:" or "appVersion:" line of Chart.yaml, quoted or not.
var chartField = regexp.MustCompile(`(?m)^(version|appVersion):[ \t]*"?([^"\s#]*)"?[ \t]*$`)

// checkChart fails unless Chart.yaml has exactly one version and one appVersion, both equal to version.
func checkChart(chart, version string) error {
	seen := map[string]int{}
	for _, m := range chartField.FindAllStringSubmatch(chart, -1) {
		seen[m[1]]++
		if m[2] != version {
			return fmt.Errorf("%s: %s is %q but VERSION says %s; run 'make set-version VERSION=%s'",
				chartFile, m[1], m[2], version, version)
		}
	}
	for _, field := range []string{"version", "appVersion"} {
		if seen[field] != 1 {
			return fmt.Errorf("%s: want one top-level %s line, found %d", chartFile, field, seen[field])
		}
	}
	return nil
}

// rewriteChart sets the chart's version and appVersion, keeping every other line (and comment) as it is.
func rewriteChart(chart, version string) string {
	return chartField.ReplaceAllStringFunc(chart, func(line string) string {
		field := chartField.FindStringSubmatch(line)[1]
		if field == "appVersion" {
			return fmt.Sprintf("appVersion: %q", version)
		}
		return "version: " + version
	})
}

func setVersion(version string) error {
	version = strings.TrimPrefix(version, "v")
	if err := validate(version); err != nil {
		return err
	}
	chart, err := os.ReadFile(chartFile)
	if err != nil {
		return err
	}
	updated := rewriteChart(string(chart), version)
	if err := checkChart(updated, version); err != nil {
		return err
	}
	if err := os.WriteFile(chartFile, []byte(updated), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(versionFile, []byte(version+"\n"), 0o644); err != nil {
		return err
	}
	fmt.Printf("version: VERSION and %s now say %s\n", chartFile, version)
	return nil
}
