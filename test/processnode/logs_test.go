// SPDX-License-Identifier: Apache-2.0

package processnode

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// writeLog writes stdout and stderr through a logWriter, as a container's pipes would.
func writeLog(t *testing.T, path, stdout, stderr string) {
	t.Helper()
	w, err := newLogWriter(path)
	if err != nil {
		t.Fatal(err)
	}
	w.copyLines("stdout", strings.NewReader(stdout))
	w.copyLines("stderr", strings.NewReader(stderr))
	w.close()
}

func TestLogWriterAndStream(t *testing.T) {
	path := filepath.Join(t.TempDir(), "0.log")
	long := strings.Repeat("x", maxLogLine+10)
	writeLog(t, path, "one\ntwo\nthree\n"+long+"\nno newline at the end", "oops\n")

	cases := []struct {
		reason string
		opts   logOptions
		want   string
	}{
		{"everything, a split long line joined again", logOptions{tailLines: -1, limitBytes: -1},
			"one\ntwo\nthree\n" + long + "\nno newline at the end\noops\n"},
		{"tailLines counts from the end", logOptions{tailLines: 2, limitBytes: -1}, "no newline at the end\noops\n"},
		{"limitBytes cuts mid-line", logOptions{tailLines: -1, limitBytes: 6}, "one\ntw"},
		{"only stderr", logOptions{tailLines: -1, limitBytes: -1, stream: "stderr"}, "oops\n"},
		{"since in the future shows nothing", logOptions{tailLines: -1, limitBytes: -1, since: time.Now().Add(time.Hour)}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = f.Close() }()
			var out bytes.Buffer
			streamLog(context.Background(), f, &out, tc.opts, func() bool { return false })
			if out.String() != tc.want {
				t.Errorf("got %q\nwant %q", trim(out.String()), trim(tc.want))
			}
		})
	}
}

func trim(s string) string {
	if len(s) > 200 {
		return s[:100] + "..." + s[len(s)-100:]
	}
	return s
}

func TestLogTimestamps(t *testing.T) {
	path := filepath.Join(t.TempDir(), "0.log")
	writeLog(t, path, "hello\n", "")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	var out bytes.Buffer
	streamLog(context.Background(), f, &out, logOptions{tailLines: -1, limitBytes: -1, timestamps: true}, func() bool { return false })
	ts, rest, _ := strings.Cut(out.String(), " ")
	if _, err := time.Parse(time.RFC3339Nano, ts); err != nil || rest != "hello\n" {
		t.Errorf("timestamps output %q: %v", out.String(), err)
	}
}

// TestLogFollow checks that a follower sees lines written while it waits and stops once the run
// has ended, with every line the run wrote.
func TestLogFollow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "0.log")
	w, err := newLogWriter(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	var alive atomic.Bool
	alive.Store(true)
	var out safeBuffer
	done := make(chan struct{})
	go func() {
		streamLog(context.Background(), f, &out, logOptions{follow: true, tailLines: -1, limitBytes: -1}, alive.Load)
		close(done)
	}()
	w.copyLines("stdout", strings.NewReader("first\n"))
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "first") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	w.copyLines("stdout", strings.NewReader("last\n"))
	w.close()
	alive.Store(false)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("follow did not end after the run ended")
	}
	if out.String() != "first\nlast\n" {
		t.Errorf("followed %q", out.String())
	}
}

// safeBuffer is a bytes.Buffer that a writer goroutine and the test may use at once.
type safeBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *safeBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *safeBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
