// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"fmt"
)

// This file holds the turn's side of a self-hosted environment: a built-in tool call that only a
// sandbox can run emits agent.tool_use and then waits, with the session running, for the worker's
// user.tool_result. Cloud sessions get a simulated agent.tool_result instead.

// sandboxTools are the built-in tools that run in a self-hosted environment's sandbox (the SDK's
// agenttoolset); web_fetch and web_search run in the API in either kind of environment.
var sandboxTools = map[string]bool{"bash": true, "read": true, "write": true, "edit": true, "glob": true, "grep": true}

// sandboxWait is a tool call waiting for its user.tool_result. done is buffered, so a result that
// arrives before the turn goroutine waits is kept; answered marks that it came (under s.mu), so a
// second one is refused. The turn removes the wait once it has the result.
type sandboxWait struct {
	done     chan toolOutcome
	answered bool
}

// waitsForSandbox reports whether a turn of the session waits for a result that no sandbox has
// posted yet.
func (sess *session) waitsForSandbox() bool {
	for _, w := range sess.sandboxWaits {
		if !w.answered {
			return true
		}
	}
	return false
}

// toolOutcome is a tool's result as the agent reads it.
type toolOutcome struct {
	text    string
	isError bool
}

// expectSandboxLocked registers that the session waits for the sandbox's result of call id, in
// the same critical section that publishes the agent.tool_use (or the confirmation that releases
// it), so a worker's result can never arrive before the wait exists. It makes sure a work item
// exists to bring a sandbox.
func (s *Server) expectSandboxLocked(sess *session, id string) {
	if sess.sandboxWaits == nil {
		sess.sandboxWaits = map[string]*sandboxWait{}
	}
	sess.sandboxWaits[id] = &sandboxWait{done: make(chan toolOutcome, 1)}
	s.ensureWorkLocked(sess)
}

// awaitSandbox blocks the turn until the result of call id arrives; false when the turn was
// cancelled first (interrupt, delete, Close).
func (s *Server) awaitSandbox(t *turn, id string) (toolOutcome, bool) {
	s.mu.Lock()
	wait := t.sess.sandboxWaits[id]
	s.mu.Unlock()
	if wait == nil {
		return toolOutcome{}, false
	}
	select {
	case out := <-wait.done:
		s.mu.Lock()
		if t.sess.sandboxWaits[id] == wait {
			delete(t.sess.sandboxWaits, id)
		}
		s.mu.Unlock()
		return out, true
	case <-t.cancel:
		return toolOutcome{}, false
	}
}

// deliverSandboxLocked hands a user.tool_result to the turn waiting for it.
func (sess *session) deliverSandboxLocked(id string, out toolOutcome) {
	if wait := sess.sandboxWaits[id]; wait != nil && !wait.answered {
		wait.answered = true
		wait.done <- out
	}
}

// parseToolResult validates a user.tool_result: accepted only in a self-hosted environment, and
// only for a built-in tool call that waits for the sandbox's result.
func parseToolResult(o jobj, sess *session, selfHosted bool) (userInput, *apiError) {
	if !selfHosted {
		return userInput{}, errBadRequest("%s: user.tool_result is only accepted in self_hosted environments", o.at("type"))
	}
	b, err := parseResultBody(o, "tool_use_id")
	if err != nil {
		return userInput{}, err
	}
	if wait := sess.sandboxWaits[b.id]; wait == nil || wait.answered {
		return userInput{}, errBadRequest("%s: %s is not a tool use awaiting a result from the sandbox", o.at("tool_use_id"), b.id)
	}
	return b.input("user.tool_result", "tool_use_id"), nil
}

// bashDirective ([[bash:COMMAND]]) runs COMMAND with the bash tool and quotes its output in an
// agent.message: the real output from a self-hosted sandbox, a simulated one in the cloud.
func (s *Server) bashDirective(t *turn, d directive) flow {
	return s.builtinCall(t, "bash", d.arg, false, true)
}

// quoteOutput is the agent's report of a quoted tool call.
func quoteOutput(call *pendingCallInfo, out toolOutcome) string {
	verb := "printed"
	if out.isError {
		verb = "failed"
	}
	return fmt.Sprintf("I ran `%s`; it %s:\n%s", call.command, verb, out.text)
}
