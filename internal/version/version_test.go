// SPDX-License-Identifier: Apache-2.0

package version

import "testing"

func TestString(t *testing.T) {
	defer func(v, c string) { Version, Commit = v, c }(Version, Commit)
	cases := []struct {
		reason          string
		version, commit string
		want            string
	}{
		{reason: "a release names its version and short commit", version: "0.1.0",
			commit: "3f2a9c1d0e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49", want: "0.1.0 (3f2a9c1)"},
		{reason: "a short commit is shown as it is", version: "0.2.0-rc.1", commit: "abc", want: "0.2.0-rc.1 (abc)"},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			Version, Commit = tc.version, tc.commit
			if got := String(); got != tc.want {
				t.Fatalf("String() = %q, want %q", got, tc.want)
			}
		})
	}
	// A test binary carries no VCS stamp, so a source build without ldflags says only "dev".
	Version, Commit = "dev", ""
	if got := String(); got != "dev" {
		t.Fatalf("String() = %q for an unstamped build, want dev", got)
	}
}
