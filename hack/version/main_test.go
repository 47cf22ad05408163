// SPDX-License-Identifier: Apache-2.0

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const chart = `apiVersion: v2
name: managed-agents-operator
# The chart version.
version: 0.1.0
# The operator version; the default image tag.
appVersion: "0.1.0"
dependencies:
  - name: sub
    version: 9.9.9
`

func TestCheckChart(t *testing.T) {
	cases := []struct {
		reason  string
		chart   string
		version string
		wantErr string
	}{
		{reason: "both fields equal VERSION", chart: chart, version: "0.1.0"},
		{reason: "a bumped VERSION with a stale chart", chart: chart, version: "0.2.0", wantErr: `version is "0.1.0" but VERSION says 0.2.0`},
		{reason: "appVersion alone drifted (the image tag would differ from the chart)",
			chart: strings.Replace(chart, `appVersion: "0.1.0"`, `appVersion: "0.1.1"`, 1), version: "0.1.0", wantErr: `appVersion is "0.1.1"`},
		{reason: "an unquoted appVersion is the same value", chart: strings.Replace(chart, `"0.1.0"`, `0.1.0`, 1), version: "0.1.0"},
		{reason: "a chart without appVersion would tag the image with nothing",
			chart: strings.Replace(chart, `appVersion: "0.1.0"`, ``, 1), version: "0.1.0", wantErr: "want one top-level appVersion line, found 0"},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			err := checkChart(tc.chart, tc.version)
			if tc.wantErr == "" && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestRewriteChartKeepsEverythingElse(t *testing.T) {
	got := rewriteChart(chart, "1.2.0-rc.1")
	want := strings.NewReplacer("version: 0.1.0", "version: 1.2.0-rc.1", `appVersion: "0.1.0"`, `appVersion: "1.2.0-rc.1"`).Replace(chart)
	if got != want {
		t.Fatalf("rewritten chart:\n%s\nwant:\n%s", got, want)
	}
	if !strings.Contains(got, "    version: 9.9.9") {
		t.Fatal("a dependency's version was rewritten")
	}
}

func TestValidate(t *testing.T) {
	for version, ok := range map[string]bool{
		"0.1.0": true, "1.13.0-rc.1": true, "2.0.0+build.5": true,
		"v0.1.0": false, "0.1": false, "01.2.3": false, "": false, "0.1.0\n": false,
	} {
		if err := validate(version); (err == nil) != ok {
			t.Errorf("validate(%q) = %v, want ok=%v", version, err, ok)
		}
	}
}

// TestRepositoryAgrees checks the files as committed, as make verify does.
func TestRepositoryAgrees(t *testing.T) {
	t.Chdir("../..")
	if err := run(true, "", true, ""); err != nil {
		t.Fatal(err)
	}
	version, err := readVersion()
	if err != nil {
		t.Fatal(err)
	}
	if err := run(true, "v"+version, false, ""); err != nil {
		t.Fatalf("the tag v%s was refused: %v", version, err)
	}
	if err := run(true, "v9.9.9", false, ""); err == nil {
		t.Fatal("a release tag that differs from VERSION was accepted")
	}
}

// TestSetVersion bumps a copy of the files as `make set-version VERSION=...` does; the result passes -check.
func TestSetVersion(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.MkdirAll(filepath.Dir(chartFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(chartFile, []byte(chart), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(versionFile, []byte("0.1.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(false, "", true, "v0.2.0"); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(versionFile); string(got) != "0.2.0\n" {
		t.Fatalf("VERSION = %q, want the version without its v", got)
	}
	if err := run(true, "v0.2.0", false, ""); err != nil {
		t.Fatalf("after set-version: %v", err)
	}
	if err := run(false, "", true, "0.2"); err == nil {
		t.Fatal("set-version accepted a version that is not semantic")
	}
}
