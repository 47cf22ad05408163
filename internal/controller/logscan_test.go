// SPDX-License-Identifier: Apache-2.0

package controller_test

import (
	"strings"
	"sync"
	"testing"

	"go.uber.org/zap/zapcore"
)

// logScanner is a zap core that reads every line the manager logs at Info and debug level (what
// --zap-log-level=debug prints), whatever the suite prints, and records any line that holds a secret
// value a test registered. It is how the tests prove that no secret reaches the logs, not only
// status, Events and metrics. Deeper verbosity is left out on purpose: client-go dumps whole
// response bodies at V(8) and above, Secrets included, as every Kubernetes client does.
type logScanner struct {
	fields []zapcore.Field
	state  *scanState
}

type scanState struct {
	mu      sync.Mutex
	secrets map[string]bool
	leaks   map[string]string // secret -> the first line that held it
}

// scanner is the suite's log scanner; runSuite tees the manager's logger into it.
var scanner = &logScanner{state: &scanState{secrets: map[string]bool{}, leaks: map[string]string{}}}

var scanEncoder = zapcore.NewJSONEncoder(zapcore.EncoderConfig{MessageKey: "msg", NameKey: "logger"})

// scanLevel is the most verbose level scanned: debug, V(1).
const scanLevel = zapcore.DebugLevel

func (s *logScanner) Enabled(l zapcore.Level) bool { return l >= scanLevel }

func (s *logScanner) With(fields []zapcore.Field) zapcore.Core {
	return &logScanner{fields: append(append([]zapcore.Field{}, s.fields...), fields...), state: s.state}
}

func (s *logScanner) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if !s.Enabled(e.Level) {
		return ce
	}
	return ce.AddCore(e, s)
}

func (s *logScanner) Write(e zapcore.Entry, fields []zapcore.Field) error {
	s.state.mu.Lock()
	watching := len(s.state.secrets) > 0
	s.state.mu.Unlock()
	if !watching {
		return nil // nothing to look for: skip the encoding
	}
	buf, err := scanEncoder.EncodeEntry(e, append(append([]zapcore.Field{}, s.fields...), fields...))
	if err != nil {
		return err
	}
	line := buf.String()
	buf.Free()
	s.state.mu.Lock()
	defer s.state.mu.Unlock()
	for secret := range s.state.secrets {
		if _, seen := s.state.leaks[secret]; !seen && strings.Contains(line, secret) {
			s.state.leaks[secret] = line
		}
	}
	return nil
}

func (s *logScanner) Sync() error { return nil }

// scanLogsFor watches the manager's logs for the secret values from now until the test ends, and
// fails the test if any line held one.
func scanLogsFor(t *testing.T, secrets ...string) {
	t.Helper()
	st := scanner.state
	st.mu.Lock()
	for _, s := range secrets {
		st.secrets[s] = true
	}
	st.mu.Unlock()
	t.Cleanup(func() {
		st.mu.Lock()
		defer st.mu.Unlock()
		for _, s := range secrets {
			if line, leaked := st.leaks[s]; leaked {
				t.Errorf("the secret %q was logged: %s", s, line)
			}
			delete(st.secrets, s)
			delete(st.leaks, s)
		}
	})
}
