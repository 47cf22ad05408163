// SPDX-License-Identifier: Apache-2.0

package processnode

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	// maxLogLine is where a long output line is split into partial ("P") entries, as containerd does.
	maxLogLine = 16 * 1024
	// maxLogBytes bounds one container run's log file; later output is dropped with a notice.
	maxLogBytes = 10 << 20
)

// Container logs are kept the way the kubelet keeps them: one file per container run,
// <pod dir>/logs/<container>/<restart count>.log, in the CRI log format. Each line is
// "<RFC 3339 time> <stdout|stderr> <F|P> <text>", where P marks a fragment of a longer line.

// logWriter appends a container run's output to its log file.
type logWriter struct {
	mu      sync.Mutex
	f       *os.File
	written int64
	full    bool
}

// containerLogPath is the log file of one run of a container.
func containerLogPath(podDir, container string, restart int32) string {
	return filepath.Join(podDir, "logs", container, strconv.Itoa(int(restart))+".log")
}

func newLogWriter(path string) (*logWriter, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	return &logWriter{f: f}, nil
}

// copyLines reads r until EOF and writes each line as an entry of stream.
func (w *logWriter) copyLines(stream string, r io.Reader) {
	br := bufio.NewReaderSize(r, maxLogLine)
	for {
		chunk, err := br.ReadSlice('\n')
		switch {
		case err == nil:
			w.entry(stream, "F", chunk[:len(chunk)-1])
		case errors.Is(err, bufio.ErrBufferFull):
			w.entry(stream, "P", chunk)
		default: // EOF or a closed pipe: what is left is the last, unterminated line
			if len(chunk) > 0 {
				w.entry(stream, "F", chunk)
			}
			return
		}
	}
}

// entry writes one CRI log line with one write call, so that readers never see half a line of it
// followed by another line.
func (w *logWriter) entry(stream, tag string, text []byte) {
	line := fmt.Sprintf("%s %s %s %s\n", time.Now().UTC().Format(time.RFC3339Nano), stream, tag, text)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.full {
		return
	}
	if w.written+int64(len(line)) > maxLogBytes {
		w.full = true
		line = fmt.Sprintf("%s stderr F [process-node: log limit of %d bytes reached; further output dropped]\n",
			time.Now().UTC().Format(time.RFC3339Nano), maxLogBytes)
	}
	n, _ := w.f.WriteString(line)
	w.written += int64(n)
}

// close closes the file once every writer is done.
func (w *logWriter) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	_ = w.f.Close()
}

// logEntry is one parsed CRI log line.
type logEntry struct {
	time    time.Time
	stream  string
	partial bool
	text    string
}

// parseLogEntry parses one line (without its newline) of a CRI log file.
func parseLogEntry(line string) (logEntry, error) {
	parts := strings.SplitN(line, " ", 4)
	if len(parts) < 3 {
		return logEntry{}, fmt.Errorf("malformed log line %q", line)
	}
	ts, err := time.Parse(time.RFC3339Nano, parts[0])
	if err != nil {
		return logEntry{}, fmt.Errorf("malformed log time in %q: %w", line, err)
	}
	e := logEntry{time: ts, stream: parts[1], partial: parts[2] == "P"}
	if len(parts) == 4 {
		e.text = parts[3]
	}
	return e, nil
}

const (
	// tailLines and tailBytes bound a termination message taken from the log
	// (terminationMessagePolicy: FallbackToLogsOnError), as the kubelet does.
	tailLines = 80
	tailBytes = 2048
)

// logTail is the end of a container run's log as plain text: its last tailLines lines, at most
// tailBytes bytes.
func logTail(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var text strings.Builder
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if e, err := parseLogEntry(line); err == nil {
			text.WriteString(e.text)
			if !e.partial {
				text.WriteString("\n")
			}
		}
	}
	lines := strings.SplitAfter(text.String(), "\n")
	if len(lines) > tailLines+1 { // SplitAfter leaves an empty last element after the final newline
		lines = lines[len(lines)-tailLines-1:]
	}
	out := strings.Join(lines, "")
	if len(out) > tailBytes {
		out = out[len(out)-tailBytes:]
	}
	return out
}
