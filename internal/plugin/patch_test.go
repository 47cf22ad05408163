// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestAppendPatch(t *testing.T) {
	cases := []struct {
		name    string
		current []any
		items   []any
		want    string
	}{
		{
			name:  "an absent list is created only if it is still absent",
			items: []any{"hello"},
			want:  `[{"op":"test","path":"/spec/messages","value":null},{"op":"add","path":"/spec/messages","value":["hello"]}]`,
		},
		{
			name:    "an existing list is appended to only if it still holds what was read",
			current: []any{"one"},
			items:   []any{"two", "three"},
			want:    `[{"op":"test","path":"/spec/messages","value":["one"]},{"op":"add","path":"/spec/messages/-","value":"two"},{"op":"add","path":"/spec/messages/-","value":"three"}]`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := AppendPatch("/spec/messages", tc.current, tc.items...)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestIsTestFailure(t *testing.T) {
	gr := schema.GroupResource{Group: "claude.anthropic.com", Resource: "sessions"}
	// This is exactly what kube-apiserver answers when a JSON patch's test fails.
	testFailed := apierrors.NewGenericServerResponse(422, "patch", gr, "s", "testing value /spec/messages failed: test failed", 0, false)
	celRejected := apierrors.NewInvalid(schema.GroupKind{Group: gr.Group, Kind: "Session"}, "s",
		field.ErrorList{field.TooMany(field.NewPath("spec", "messages"), 101, 100)})
	if !isTestFailure(testFailed) {
		t.Error("a failed test operation (another writer appended first) is retried")
	}
	if isTestFailure(celRejected) {
		t.Error("a validation error (for example too many messages) is not retried")
	}
	if isTestFailure(errors.New("connection refused")) {
		t.Error("other errors are not retried")
	}
}

func TestReadText(t *testing.T) {
	file := filepath.Join(t.TempDir(), "prompt.md")
	if err := os.WriteFile(file, []byte("from a file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, inline, file, stdin string
		tty                       bool
		want, errLike             string
	}{
		{name: "inline text wins", inline: "hi", want: "hi"},
		{name: "a file, without its final newline", file: file, want: "from a file"},
		{name: "- reads stdin", file: "-", stdin: "piped\n", tty: true, want: "piped"},
		{name: "piped stdin is read without -f", stdin: "piped", want: "piped"},
		{name: "an interactive stdin is not waited on", tty: true, errLike: "no prompt: pass it inline, with -f FILE, or on stdin"},
		{name: "inline and file together are ambiguous", inline: "a", file: file, errLike: "not both"},
		{name: "empty input is refused", stdin: "\n\n", errLike: "the prompt is empty"},
		{name: "a missing file says so", file: filepath.Join(t.TempDir(), "nope"), errLike: "no such file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadText("prompt", tc.inline, tc.file, strings.NewReader(tc.stdin), tc.tty)
			if tc.errLike != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errLike) {
					t.Fatalf("error %v, want %q", err, tc.errLike)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}
