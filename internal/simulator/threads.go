// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"fmt"
	"strings"
)

// This file holds multi-agent threads: the [[subagent:NAME]] and [[subagent:NAME:COMMAND]]
// directives start a sub-agent thread whose bash call needs a confirmation. Like the API, the
// simulator cross-posts the thread's status events and its tool use to the primary stream (with
// session_thread_id), keeps the primary thread running while the sub-agent waits, routes the
// user's answer to the thread by the tool use id (echoing the thread in the answer's
// session_thread_id), and lets user.interrupt with a session_thread_id stop that thread alone.

// simThread is a sub-agent thread of a session.
type simThread struct {
	id, agent string
}

// threadWait is a sub-agent's tool call that waits for an answer; the primary thread's turn
// goroutine waits on ch.
type threadWait struct {
	thread *simThread
	call   *pendingCallInfo
	ch     chan answer
}

// subagentsEnabled reports whether the agent may delegate to sub-agents: a multiagent
// configuration with subagents enabled, or a coordinator.
func subagentsEnabled(snapshot map[string]any) bool {
	m, ok := snapshot["multiagent"].(map[string]any)
	if !ok {
		return false
	}
	if m["type"] == "coordinator" {
		return true
	}
	sub, _ := m["subagents"].(map[string]any)
	return sub["type"] == "enabled"
}

// subagentDirective runs [[subagent:NAME(:COMMAND)]]: a sub-agent thread asks to run COMMAND with
// bash, waits for the confirmation while the primary thread runs, and reports back.
func (s *Server) subagentDirective(t *turn, d directive) flow {
	name, command, _ := strings.Cut(d.arg, ":")
	if name == "" {
		name = "helper"
	}
	if command == "" {
		command = "echo hello from a sub-agent"
	}
	if !subagentsEnabled(s.snapshotOf(t)) {
		return s.sayFlow(t, "Sub-agents are not available to this agent: it has no multiagent configuration with subagents enabled.")
	}
	th, w, ok := s.startSubagent(t, name, command)
	if !ok {
		return flowStop
	}
	var ans answer
	select {
	case ans = <-w.ch:
	case <-t.cancel:
		return flowStop
	}
	return s.finishSubagent(t, th, w, ans)
}

// startSubagent creates the thread, delegates the command to it, and leaves its bash call waiting
// for a confirmation.
func (s *Server) startSubagent(t *turn, name, command string) (*simThread, *threadWait, bool) {
	var th *simThread
	ok := s.step(t, func(sess *session) {
		th = &simThread{id: s.ids.next("sthr_"), agent: name}
		s.appendEventLocked(sess, map[string]any{"type": "session.thread_created", "session_thread_id": th.id,
			"agent_name": name, "workflow_run_id": nil})
	})
	ok = ok && s.threadEvent(t, map[string]any{"type": "agent.thread_message_sent", "to_session_thread_id": th.id,
		"to_agent_name": name, "content": textContent("Please run: " + command)})
	ok = ok && s.threadStatus(t, th, "session.thread_status_running", nil)
	if !ok {
		return nil, nil, false
	}
	w := &threadWait{thread: th, call: &pendingCallInfo{kind: callTool, name: "bash", command: command}, ch: make(chan answer, 1)}
	var id string
	ok = s.step(t, func(sess *session) {
		perm, eval := evaluation("always_ask")
		id = s.appendEventLocked(sess, map[string]any{"type": "agent.tool_use", "name": "bash",
			"input": map[string]any{"command": command}, "evaluated_permission": perm, "evaluation": eval,
			"session_thread_id": th.id}).id
		if sess.threadWaits == nil {
			sess.threadWaits = map[string]*threadWait{}
		}
		sess.threadWaits[id] = w
	})
	ok = ok && s.threadStatus(t, th, "session.thread_status_idle", map[string]any{"type": "requires_action", "event_ids": []any{id}})
	return th, w, ok
}

// finishSubagent runs the answered call (a confirmation allows or denies it; an interrupt of the
// thread stops it) and sends the sub-agent's report to the primary thread.
func (s *Server) finishSubagent(t *turn, th *simThread, w *threadWait, ans answer) flow {
	report := fmt.Sprintf("Ran `%s`: simulated bash output", w.call.command)
	switch {
	case ans.interrupted:
		report = "I was interrupted before running the command."
	case !ans.allow:
		reason := ans.text
		if reason == "" {
			reason = "no reason given"
		}
		report = "The bash call was denied: " + reason
	}
	ok := ans.interrupted || s.threadStatus(t, th, "session.thread_status_running", nil)
	ok = ok && s.threadStatus(t, th, "session.thread_status_idle", map[string]any{"type": "end_turn"})
	ok = ok && s.threadEvent(t, map[string]any{"type": "agent.thread_message_received", "from_session_thread_id": th.id,
		"from_agent_name": th.agent, "content": textContent(report)})
	return flowIf(ok)
}

func (s *Server) threadEvent(t *turn, fields map[string]any) bool {
	_, ok := s.emit(t, fields)
	return ok
}

// threadStatus cross-posts a thread's status event to the primary stream.
func (s *Server) threadStatus(t *turn, th *simThread, typ string, stopReason map[string]any) bool {
	fields := map[string]any{"type": typ, "session_thread_id": th.id, "agent_name": th.agent}
	if stopReason != nil {
		fields["stop_reason"], fields["stop_details"] = stopReason, nil
	}
	return s.threadEvent(t, fields)
}

// threadCallLocked returns a sub-agent's call waiting for an answer, or nil.
func (sess *session) threadCallLocked(id string) *pendingCallInfo {
	if w := sess.threadWaits[id]; w != nil {
		return w.call
	}
	return nil
}

// routeAnswerLocked marks an answer to a sub-agent's call with the thread it is routed to, as the
// API's echo does.
func (sess *session) routeAnswerLocked(in *userInput) {
	if w := sess.threadWaits[in.callID]; w != nil && in.callID != "" {
		in.fields["session_thread_id"] = w.thread.id
	}
}

// answerThreadLocked hands an answer to the sub-agent that waits for it; false when no sub-agent
// waits for that call.
func (sess *session) answerThreadLocked(id string, ans answer) bool {
	w := sess.threadWaits[id]
	if w == nil {
		return false
	}
	delete(sess.threadWaits, id)
	w.ch <- ans
	return true
}

// interruptThreadLocked stops what one sub-agent thread waits for; the primary thread goes on.
func (sess *session) interruptThreadLocked(threadID string) {
	for id, w := range sess.threadWaits {
		if w.thread.id == threadID {
			sess.answerThreadLocked(id, answer{interrupted: true})
		}
	}
}

// knownThreadLocked reports whether a thread id belongs to the session: a waiting sub-agent's, or
// one that its history shows.
func (sess *session) knownThreadLocked(threadID string) bool {
	for _, w := range sess.threadWaits {
		if w.thread.id == threadID {
			return true
		}
	}
	for _, ev := range sess.events {
		if ev.typ == "session.thread_created" && strings.Contains(string(ev.data), `"session_thread_id":"`+threadID+`"`) {
			return true
		}
	}
	return false
}

// parseInterrupt validates user.interrupt; a session_thread_id must name a thread of the session.
func parseInterrupt(o jobj, sess *session) (userInput, *apiError) {
	if err := o.only("type", "session_thread_id"); err != nil {
		return userInput{}, err
	}
	fields := map[string]any{"type": "user.interrupt"}
	thread, ok, err := o.str("session_thread_id")
	if err != nil {
		return userInput{}, err
	}
	if ok && thread != "" {
		if !sess.knownThreadLocked(thread) {
			return userInput{}, errBadRequest("%s: %s is not a thread of session %s", o.at("session_thread_id"), thread, sess.id)
		}
		fields["session_thread_id"] = thread
	}
	return userInput{fields: fields}, nil
}
