// SPDX-License-Identifier: Apache-2.0

package processnode

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// followPoll is how often a followed log is read for new lines.
const followPoll = 100 * time.Millisecond

// kubeletAPI serves the part of the kubelet's HTTPS API that kube-apiserver calls for
// `kubectl logs`: /containerLogs/{namespace}/{pod}/{container}. Anything else (exec, attach,
// port-forward, stats) answers 404. It does not authenticate its callers: it listens on 127.0.0.1
// only, for a test control plane.
func (n *Node) kubeletAPI() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	mux.HandleFunc("GET /containerLogs/{namespace}/{pod}/{container}", n.serveContainerLogs)
	return mux
}

// logOptions are the kubelet's container log query parameters.
type logOptions struct {
	follow, previous, timestamps bool
	tailLines, limitBytes        int64 // -1 when unset
	since                        time.Time
	stream                       string // "stdout", "stderr" or "" for both
}

func parseLogOptions(q url.Values) (logOptions, error) {
	o := logOptions{tailLines: -1, limitBytes: -1}
	var err error
	flag := func(name string) bool { v, _ := strconv.ParseBool(q.Get(name)); return v }
	o.follow, o.previous, o.timestamps = flag("follow"), flag("previous"), flag("timestamps")
	number := func(name string) int64 {
		if err != nil || q.Get(name) == "" {
			return -1
		}
		var v int64
		if v, err = strconv.ParseInt(q.Get(name), 10, 64); err == nil && v < 0 {
			err = fmt.Errorf("%s must not be negative", name)
		}
		return v
	}
	o.tailLines, o.limitBytes = number("tailLines"), number("limitBytes")
	if secs := number("sinceSeconds"); secs >= 0 {
		o.since = time.Now().Add(-time.Duration(secs) * time.Second)
	}
	if t := q.Get("sinceTime"); t != "" && err == nil {
		o.since, err = time.Parse(time.RFC3339, t)
	}
	switch s := strings.ToLower(q.Get("stream")); s {
	case "", "all":
	case "stdout", "stderr":
		o.stream = s
	default:
		err = fmt.Errorf("unknown stream %q", q.Get("stream"))
	}
	return o, err
}

func (n *Node) serveContainerLogs(w http.ResponseWriter, r *http.Request) {
	ns, podName, name := r.PathValue("namespace"), r.PathValue("pod"), r.PathValue("container")
	opts, err := parseLogOptions(r.URL.Query())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	pw := n.workerByName(ns, podName)
	if pw == nil {
		http.Error(w, fmt.Sprintf("pod %s/%s is not on node %s", ns, podName, n.cfg.NodeName), http.StatusNotFound)
		return
	}
	view, ok := pw.containerView(name)
	if !ok {
		http.Error(w, fmt.Sprintf("container %q not found in pod %q", name, podName), http.StatusNotFound)
		return
	}
	run := view.restarts
	if opts.previous {
		if run == 0 {
			http.Error(w, fmt.Sprintf("previous terminated container %q in pod %q not found", name, podName), http.StatusBadRequest)
			return
		}
		run--
	}
	f, err := os.Open(containerLogPath(pw.dir, name, run))
	if err != nil {
		msg := fmt.Sprintf("container %q in pod %q has no log", name, podName)
		if view.waiting != "" {
			msg = fmt.Sprintf("container %q in pod %q is waiting to start: %s", name, podName, view.waiting)
		}
		http.Error(w, msg, http.StatusBadRequest)
		return
	}
	defer func() { _ = f.Close() }()
	running := func() bool {
		v, ok := pw.containerView(name)
		return ok && v.running && v.restarts == run
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	streamLog(r.Context(), f, w, opts, running)
}

// streamLog writes a CRI log file's entries as plain text. With follow it keeps reading while
// running says the run is alive; whatever the run wrote is in the file before running turns false.
func streamLog(ctx context.Context, f io.Reader, w io.Writer, opts logOptions, running func() bool) {
	out := &limitedWriter{w: w, left: opts.limitBytes}
	lr := &logReader{r: bufio.NewReader(f)}
	if opts.tailLines >= 0 {
		entries := lr.available(opts)
		if int64(len(entries)) > opts.tailLines {
			entries = entries[int64(len(entries))-opts.tailLines:]
		}
		out.write(entries, opts)
	}
	for !out.full() {
		alive := opts.follow && running()
		out.write(lr.available(opts), opts)
		if !alive {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(followPoll):
		}
	}
}

// logReader reads complete CRI lines; a line still being written stays pending until its newline.
type logReader struct {
	r       *bufio.Reader
	pending string
}

// available returns the entries that can be read now and match the options' stream and since.
func (lr *logReader) available(opts logOptions) []logEntry {
	var out []logEntry
	for {
		chunk, err := lr.r.ReadString('\n')
		lr.pending += chunk
		if err != nil {
			return out // EOF for now; pending holds a partial line, if any
		}
		line := strings.TrimSuffix(lr.pending, "\n")
		lr.pending = ""
		e, perr := parseLogEntry(line)
		if perr != nil || (opts.stream != "" && e.stream != opts.stream) || e.time.Before(opts.since) {
			continue
		}
		out = append(out, e)
	}
}

// limitedWriter writes entries up to limitBytes, flushing after each batch for followers.
type limitedWriter struct {
	w    io.Writer
	left int64 // -1: no limit
	err  error
}

func (l *limitedWriter) full() bool { return l.left == 0 || l.err != nil }

func (l *limitedWriter) write(entries []logEntry, opts logOptions) {
	for _, e := range entries {
		if l.full() {
			return
		}
		text := e.text
		if !e.partial {
			text += "\n"
		}
		if opts.timestamps {
			text = e.time.Format(time.RFC3339Nano) + " " + text
		}
		if l.left >= 0 && int64(len(text)) > l.left {
			text = text[:l.left]
		}
		_, l.err = io.WriteString(l.w, text)
		if l.left >= 0 {
			l.left -= int64(len(text))
		}
	}
	if fl, ok := l.w.(http.Flusher); ok && len(entries) > 0 && l.err == nil {
		fl.Flush()
	}
}
