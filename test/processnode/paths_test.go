// SPDX-License-Identifier: Apache-2.0

package processnode

import (
	"os"
	"path/filepath"
	"testing"
)

func TestPathMapperRewrite(t *testing.T) {
	image := t.TempDir()
	if err := os.WriteFile(filepath.Join(image, "runner"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	m := newPathMapper([]mountMapping{
		{mountPath: "/workspace", hostPath: "/node/pods/u/volumes/work"},
		{mountPath: "/workspace/cache/", hostPath: "/node/pods/u/volumes/cache"},
		{mountPath: "/", hostPath: "/ignored"},
		{mountPath: "relative", hostPath: "/ignored"},
	}, image)
	cases := []struct {
		name, in, want string
	}{
		{"a mount path alone maps to the volume", "/workspace", "/node/pods/u/volumes/work"},
		{"a path below a mount keeps its rest", "/workspace/a/b.txt", "/node/pods/u/volumes/work/a/b.txt"},
		{"the deepest mount wins, whatever the order given", "/workspace/cache/x", "/node/pods/u/volumes/cache/x"},
		{"a trailing slash survives (cp -r dir/ means the content)", "/workspace/dir/", "/node/pods/u/volumes/work/dir/"},
		{"paths inside a shell script are mapped", "cp /runner /workspace/bin && cd /workspace",
			"cp " + filepath.Join(image, "runner") + " /node/pods/u/volumes/work/bin && cd /node/pods/u/volumes/work"},
		{"a flag value after = is a path", "--dir=/workspace/out", "--dir=/node/pods/u/volumes/work/out"},
		{"a longer name that only starts like the mount is not the mount", "/workspaces/x", "/workspaces/x"},
		{"a path inside another path is not a path token", "foo/workspace", "foo/workspace"},
		{"a file of the image root is taken from there", "/runner", filepath.Join(image, "runner")},
		{"what neither a mount nor the image has stays the host's", "/bin/sh -c true", "/bin/sh -c true"},
		{"quotes end a token", `sh -c "ls '/workspace'"`, `sh -c "ls '/node/pods/u/volumes/work'"`},
		{"no slash, nothing to do", "echo hello", "echo hello"},
		{"the root alone is left alone", "/", "/"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := m.Rewrite(tc.in); got != tc.want {
				t.Errorf("Rewrite(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestPathMapperMapsUnder(t *testing.T) {
	m := newPathMapper([]mountMapping{{mountPath: "/data", hostPath: "/v/data"}}, "")
	if got, ok := m.MapsUnder("/data/x/../y"); !ok || got != "/v/data/y" {
		t.Errorf("MapsUnder cleans the path before matching: got %q %v", got, ok)
	}
	if _, ok := m.MapsUnder("/database"); ok {
		t.Error("MapsUnder matched a sibling with a common prefix")
	}
}
