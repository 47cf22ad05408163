// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// A turn is one scripted agent run: it starts on a user.message (or
// user.define_outcome) and ends when the session goes idle or terminates.
// Its events come from directives in the prompt text, [[name:arg]], run in
// order, then an agent.message echoing the prompt. The goroutine that runs a
// turn emits every event through step, which holds s.mu and checks that the
// turn is still the session's current one, so an interrupt, delete or Close
// stops it between two events and nothing it emits comes after the idle the
// interrupt reported.

type turnInput struct {
	prompt  string
	outcome map[string]any // set for user.define_outcome
	// maxIterations caps the outcome's revise-and-evaluate cycles (outcome.go).
	maxIterations int64
}

type callKind int

const (
	callTool callKind = iota
	callMCP
	callCustom
)

type pendingCallInfo struct {
	kind   callKind
	name   string
	server string
	// sandbox: a self-hosted environment's sandbox runs the call and posts its user.tool_result.
	sandbox bool
	// quote: the agent quotes the result in a message; command is the bash command it ran.
	quote   bool
	command string
}

// answer is the user's reply to a pending call.
type answer struct {
	allow   bool
	text    string // deny_message, or the custom tool result's text
	isError bool
	// interrupted: a user.interrupt for the sub-agent's thread stopped the call (threads.go).
	interrupted bool
}

type directive struct{ name, arg, raw string }

type turn struct {
	sess   *session
	in     turnInput
	steps  []directive
	echo   string
	pc     int
	cancel chan struct{}

	// Calls the turn waits on while paused with requires_action.
	waiting  []string
	calls    map[string]*pendingCallInfo
	answers  map[string]answer
	resuming bool

	spanID    string
	segEvents int
	// outcomeVerdicts are the grader's scripted verdicts, one per iteration ([[outcome:...]]).
	outcomeVerdicts []string
}

var directiveRE = regexp.MustCompile(`\[\[([a-z_]+)(?::(.*?))?\]\]`)

var knownDirectives = map[string]bool{
	"tool": true, "ask": true, "bash": true, "mcp": true, "custom": true, "refuse": true, "error": true,
	"budget": true, "long": true, "slow": true, "think": true, "outcome": true, "subagent": true,
}

// parseScript extracts the known directives of a prompt, in order, and the
// prompt text without them (unknown [[...]] stay in the text, untouched).
func parseScript(prompt string) ([]directive, string) {
	var steps []directive
	echo := directiveRE.ReplaceAllStringFunc(prompt, func(m string) string {
		sub := directiveRE.FindStringSubmatch(m)
		if !knownDirectives[sub[1]] {
			return m
		}
		steps = append(steps, directive{name: sub[1], arg: strings.TrimSpace(sub[2]), raw: m})
		return ""
	})
	return steps, strings.Join(strings.Fields(echo), " ")
}

func newTurn(sess *session, in turnInput) *turn {
	steps, echo := parseScript(in.prompt)
	return &turn{sess: sess, in: in, steps: steps, echo: echo,
		calls: map[string]*pendingCallInfo{}, answers: map[string]answer{}}
}

func (sess *session) pendingCall(id string) *pendingCallInfo {
	if call := sess.threadCallLocked(id); call != nil {
		return call
	}
	if sess.paused == nil {
		return nil
	}
	if _, done := sess.paused.answers[id]; done {
		return nil
	}
	return sess.paused.calls[id]
}

func (sess *session) stopTurnLocked() {
	if sess.turn != nil {
		close(sess.turn.cancel)
		sess.turn = nil
	}
	sess.paused = nil
	sess.sandboxWaits = nil
	sess.threadWaits = nil
}

// enqueueLocked queues a prompt; it runs now if the session is free. A new
// prompt supersedes calls a paused turn is still waiting on.
func (s *Server) enqueueLocked(sess *session, in turnInput) {
	sess.queue = append(sess.queue, in)
	if sess.turn == nil {
		sess.paused = nil
	}
	s.startNextLocked(sess)
}

func (s *Server) startNextLocked(sess *session) {
	if sess.turn != nil || sess.paused != nil || len(sess.queue) == 0 || s.closed ||
		sess.status == StatusTerminated || sess.archivedAt != nil || sess.budgetPaused {
		return
	}
	in := sess.queue[0]
	sess.queue = sess.queue[1:]
	s.launchLocked(newTurn(sess, in))
}

func (s *Server) launchLocked(t *turn) {
	if s.closed {
		return
	}
	t.cancel = make(chan struct{})
	t.sess.turn = t
	s.turns.Add(1)
	go s.runTurn(t)
}

// interruptLocked stops the running turn (or drops a paused one), clears the
// queue and reports idle with end_turn. On an idle session it does nothing.
func (s *Server) interruptLocked(sess *session) {
	t := sess.turn
	if t == nil {
		t = sess.paused
	}
	if t == nil {
		return
	}
	sess.stopTurnLocked()
	sess.queue = nil
	now := s.now()
	if r := t.in.outcome["result"]; t.in.outcome != nil && (r == "running" || r == "evaluating") {
		t.in.outcome["result"], t.in.outcome["completed_at"] = "interrupted", stamp(now)
	}
	sess.setStatusLocked(StatusIdle, now)
	s.appendEventLocked(sess, idleFields(map[string]any{"type": "end_turn"}, nil))
}

// answerLocked records a confirmation or custom tool result. When the paused
// turn has all its answers it resumes; otherwise the session re-reports idle
// with the calls still open.
func (s *Server) answerLocked(sess *session, id string, ans answer) {
	if sess.answerThreadLocked(id, ans) {
		return
	}
	t := sess.paused
	if t == nil {
		return
	}
	t.answers[id] = ans
	if call := t.calls[id]; ans.allow && call != nil && call.sandbox {
		s.expectSandboxLocked(sess, id)
	}
	var open []any
	for _, w := range t.waiting {
		if _, ok := t.answers[w]; !ok {
			open = append(open, w)
		}
	}
	if len(open) > 0 {
		s.appendEventLocked(sess, idleFields(map[string]any{"type": "requires_action", "event_ids": open}, nil))
		return
	}
	sess.paused = nil
	t.resuming = true
	s.launchLocked(t)
}

func idleFields(reason map[string]any, details any) map[string]any {
	return map[string]any{"type": "session.status_idle", "stop_reason": reason, "stop_details": details}
}

// flow says how a turn continues after a directive.
type flow int

const (
	flowNext flow = iota // run the next directive
	flowStop             // the turn paused, ended, or was cancelled
)

func (s *Server) runTurn(t *turn) {
	defer s.turns.Done()
	running := func(sess *session) {
		sess.setStatusLocked(StatusRunning, s.now())
		if t.in.outcome != nil && t.in.outcome["result"] == "pending" {
			t.in.outcome["result"] = "running"
		}
		s.appendEventLocked(sess, map[string]any{"type": "session.status_running"})
	}
	if !s.step(t, running) || !s.beginSegment(t) {
		return
	}
	if t.resuming {
		t.resuming = false
		if !s.deliverAnswers(t) {
			return
		}
	}
	for t.pc < len(t.steps) {
		d := t.steps[t.pc]
		t.pc++
		if s.runDirective(t, d) == flowStop {
			return
		}
	}
	s.endTurn(t)
}

// sleep waits d unless the turn is cancelled first.
func (s *Server) sleep(t *turn, d time.Duration) bool {
	if d <= 0 {
		select {
		case <-t.cancel:
			return false
		default:
			return true
		}
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-t.cancel:
		return false
	}
}

// step waits StepDelay, then runs fn under s.mu if t is still current.
func (s *Server) step(t *turn, fn func(sess *session)) bool {
	if !s.sleep(t, s.opts.StepDelay) {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.sess.turn != t || s.closed {
		return false
	}
	fn(t.sess)
	t.segEvents++
	return true
}

func (s *Server) emit(t *turn, fields map[string]any) (string, bool) {
	var id string
	ok := s.step(t, func(sess *session) { id = s.appendEventLocked(sess, fields).id })
	return id, ok
}

func (s *Server) say(t *turn, text string) bool {
	_, ok := s.emit(t, map[string]any{"type": "agent.message", "content": []any{map[string]any{"type": "text", "text": text}}})
	return ok
}

func (s *Server) beginSegment(t *turn) bool {
	id, ok := s.emit(t, map[string]any{"type": "span.model_request_start"})
	t.spanID, t.segEvents = id, 0
	return ok
}

// closeSegment ends the current model request span and reports usage. Each
// model request costs at least one minor unit, so budgets are reachable.
func (s *Server) closeSegment(t *turn) bool {
	in := int64(1000 + len(t.in.prompt)/4)
	out := int64(50 + 30*t.segEvents)
	ok := s.step(t, func(sess *session) {
		u := &sess.usage
		cache5m := int64(0)
		if !u.hasCost {
			cache5m = 200
		}
		u.input += in
		u.output += out
		u.cacheRead += 500
		u.cache5m += cache5m
		u.costMinor += 1 + (in+5*out)/10000
		u.hasCost = true
		speed, _ := sess.snapshot["model"].(map[string]any)["speed"].(string)
		s.appendEventLocked(sess, map[string]any{
			"type": "span.model_request_end", "model_request_start_id": t.spanID, "is_error": false,
			"model_usage": map[string]any{"input_tokens": in, "output_tokens": out,
				"cache_creation_input_tokens": cache5m, "cache_read_input_tokens": int64(500), "speed": speed},
		})
	})
	return ok && s.step(t, func(sess *session) {
		ev := map[string]any{"type": "session.usage", "usage": sess.usageJSON(s.now())}
		if sess.budget != nil {
			ev["budget"] = sess.budget
		}
		s.appendEventLocked(sess, ev)
	})
}

// finish reports idle with reason and starts the next queued prompt.
func (s *Server) finish(t *turn, reason map[string]any, details any) {
	s.step(t, func(sess *session) {
		if reason["type"] == "end_turn" && sess.budget != nil && sess.usage.costMinor >= sess.budgetMinor {
			reason = map[string]any{"type": "budget_reached"}
		}
		sess.turn = nil
		sess.setStatusLocked(StatusIdle, s.now())
		if reason["type"] == "budget_reached" {
			sess.budgetPaused, sess.queue = true, nil
		}
		s.appendEventLocked(sess, idleFields(reason, details))
		s.startNextLocked(sess)
	})
}

func (s *Server) endTurn(t *turn) {
	text := "echo: " + t.echo
	if t.echo == "" {
		text = "Done."
	}
	if !s.say(t, text) {
		return
	}
	if t.in.outcome != nil && !s.evaluateOutcome(t) {
		return
	}
	if s.closeSegment(t) {
		s.finish(t, map[string]any{"type": "end_turn"}, nil)
	}
}

// runDirective runs one directive of a scripted prompt.
func (s *Server) runDirective(t *turn, d directive) flow {
	switch d.name {
	case "tool", "ask":
		return s.toolCall(t, d, d.name == "ask")
	case "bash":
		return s.bashDirective(t, d)
	case "mcp":
		return s.mcpCall(t, d)
	case "custom":
		return s.customCall(t, d)
	case "think":
		_, ok := s.emit(t, map[string]any{"type": "agent.thinking"})
		return flowIf(ok)
	case "long":
		return s.longDirective(t, d)
	case "slow":
		return s.slowDirective(t, d)
	case "outcome":
		return s.outcomeDirective(t, d)
	case "subagent":
		return s.subagentDirective(t, d)
	case "refuse":
		return s.refuseDirective(t, d)
	case "budget":
		if s.closeSegment(t) {
			s.finish(t, map[string]any{"type": "budget_reached"}, nil)
		}
		return flowStop
	case "error":
		return s.sessionError(t, d)
	}
	return flowNext
}

// flowIf is flowNext when the turn may go on, flowStop otherwise.
func flowIf(ok bool) flow {
	if ok {
		return flowNext
	}
	return flowStop
}

// longDirective ([[long:N]]) says N numbered parts.
func (s *Server) longDirective(t *turn, d directive) flow {
	n, err := strconv.Atoi(d.arg)
	if err != nil || n < 1 || n > 100000 {
		return s.sayFlow(t, fmt.Sprintf("simulator: %s needs a count between 1 and 100000", d.raw))
	}
	for i := 1; i <= n; i++ {
		if !s.say(t, fmt.Sprintf("Part %d of %d.", i, n)) {
			return flowStop
		}
	}
	return flowNext
}

// slowDirective ([[slow:D]]) thinks, then keeps the turn running for D.
func (s *Server) slowDirective(t *turn, d directive) flow {
	dur, err := time.ParseDuration(d.arg)
	if err != nil || dur < 0 {
		return s.sayFlow(t, fmt.Sprintf("simulator: %s needs a duration such as 2s", d.raw))
	}
	if _, ok := s.emit(t, map[string]any{"type": "agent.thinking"}); !ok {
		return flowStop
	}
	return flowIf(s.sleep(t, dur))
}

// refuseDirective ([[refuse:CATEGORY]]) ends the turn with a refusal; an
// unknown category is reported as null.
func (s *Server) refuseDirective(t *turn, d directive) flow {
	var category any
	switch d.arg {
	case "cyber", "bio", "frontier_llm", "reasoning_extraction", "general_harms":
		category = d.arg
	}
	if s.closeSegment(t) {
		s.finish(t, map[string]any{"type": "refusal"}, map[string]any{"type": "refusal", "category": category,
			"explanation": "The simulator refused because the prompt contained [[refuse]]."})
	}
	return flowStop
}

var defaultErrorTypes = map[string]string{
	"retrying":  "model_overloaded_error",
	"exhausted": "model_request_failed_error",
	"terminal":  "unknown_error",
}

func (s *Server) sessionError(t *turn, d directive) flow {
	status, errType, _ := strings.Cut(d.arg, ":")
	if status == "" {
		status = "retrying"
	}
	if defaultErrorTypes[status] == "" {
		if s.say(t, fmt.Sprintf("simulator: %s needs retrying, exhausted or terminal", d.raw)) {
			return flowNext
		}
		return flowStop
	}
	if errType == "" {
		errType = defaultErrorTypes[status]
	}
	e := map[string]any{"type": errType, "message": fmt.Sprintf("simulated %s (%s)", errType, status),
		"retry_status": map[string]any{"type": status}}
	switch {
	case strings.HasPrefix(errType, "mcp_"):
		e["mcp_server_name"] = "simulated"
	case strings.HasPrefix(errType, "repository_"):
		e["repository_url"] = "https://github.com/simulator/repository"
	case errType == "credential_host_unreachable_error":
		e["credential_id"], e["vault_id"] = "vcrd_simulated", "vlt_simulated"
	}
	if _, ok := s.emit(t, map[string]any{"type": "session.error", "error": e}); !ok {
		return flowStop
	}
	switch status {
	case "retrying":
		ok := s.step(t, func(sess *session) {
			sess.setStatusLocked(StatusRescheduling, s.now())
			s.appendEventLocked(sess, map[string]any{"type": "session.status_rescheduled"})
		}) && s.step(t, func(sess *session) {
			sess.setStatusLocked(StatusRunning, s.now())
			s.appendEventLocked(sess, map[string]any{"type": "session.status_running"})
		})
		if ok {
			return flowNext
		}
	case "exhausted":
		if s.closeSegment(t) {
			s.finish(t, map[string]any{"type": "retries_exhausted"}, nil)
		}
	case "terminal":
		s.step(t, func(sess *session) {
			sess.turn, sess.queue = nil, nil
			sess.setStatusLocked(StatusTerminated, s.now())
			s.appendEventLocked(sess, map[string]any{"type": "session.status_terminated"})
		})
	}
	return flowStop
}
