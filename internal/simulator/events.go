// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
)

// event is one persisted session event. data is its JSON, encoded once;
// frame is its SSE frame, built once on first delivery and shared by every
// stream, so fan-out costs no per-subscriber allocation.
type event struct {
	id    string
	typ   string
	at    time.Time
	data  []byte
	frame []byte
}

// appendEventLocked assigns an id and processed_at, persists the event and
// only then delivers it to the session's open streams.
func (s *Server) appendEventLocked(sess *session, fields map[string]any) *event {
	now := s.now()
	id := s.ids.next("sevt_")
	fields["id"] = id
	if _, ok := fields["processed_at"]; !ok {
		fields["processed_at"] = stamp(now)
	}
	data, err := json.Marshal(fields)
	if err != nil { // fields are built by this package; this is a bug
		panic("simulator: encoding event: " + err.Error())
	}
	typ, _ := fields["type"].(string)
	ev := &event{id: id, typ: typ, at: now, data: data}
	sess.events = append(sess.events, ev)
	s.publishLocked(sess, ev)
	return ev
}

func (s *Server) publishLocked(sess *session, ev *event) {
	if len(sess.subs) == 0 {
		return
	}
	if ev.frame == nil {
		ev.frame = make([]byte, 0, len(ev.data)+len(ev.typ)+16)
		ev.frame = append(ev.frame, "event: "...)
		ev.frame = append(ev.frame, ev.typ...)
		ev.frame = append(ev.frame, "\ndata: "...)
		ev.frame = append(ev.frame, ev.data...)
		ev.frame = append(ev.frame, "\n\n"...)
	}
	for sub := range sess.subs {
		select {
		case sub.ch <- ev:
		default:
			// Too slow: cut it loose rather than block the session. The
			// client reconnects and re-lists history, as it must after any drop.
			sub.end(endDropped)
			delete(sess.subs, sub)
		}
	}
}

func (s *Server) listEvents(r *http.Request) (any, *apiError) {
	q := r.URL.Query()
	lq, err := parseListQuery(q, 1000, 1000, "asc", true)
	if err != nil {
		return nil, err
	}
	if q.Has("after_id") {
		return nil, errBadRequest("after_id: unknown query parameter")
	}
	tf, err := parseCreatedAt(q)
	if err != nil {
		return nil, err
	}
	types := queryList(q, "types")
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, err := s.sessionLocked(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	items := make([]*event, 0, len(sess.events))
	for _, ev := range sess.events {
		if (len(types) == 0 || slices.Contains(types, ev.typ)) && tf.match(ev.at) {
			items = append(items, ev)
		}
	}
	if lq.order == "desc" {
		slices.Reverse(items)
	}
	page, next, _ := paginate(items, func(e *event) string { return e.id }, lq)
	data := make([]json.RawMessage, len(page))
	for i, ev := range page {
		data[i] = ev.data
	}
	return map[string]any{"data": data, "next_page": nullIfEmpty(next)}, nil
}

// userInput is a validated user event and what it asks the session to do.
type userInput struct {
	fields  map[string]any // echo form, without id and processed_at
	prompt  string         // user.message text; user.define_outcome description
	outcome map[string]any // user.define_outcome
	callID  string         // the tool use a confirmation or custom result answers
	answer  answer
	// maxIterations is a user.define_outcome's iteration cap.
	maxIterations int64
}

func (in userInput) kind() string { return in.fields["type"].(string) }

func (s *Server) sendEvents(r *http.Request) (any, *apiError) {
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if err := body.only("events"); err != nil {
		return nil, err
	}
	list, ok, err := body.arr("events")
	if err != nil {
		return nil, err
	}
	if !ok || len(list) == 0 {
		return nil, errBadRequest("events: at least one event is required")
	}
	if len(list) > 50 {
		return nil, errBadRequest("events: at most 50 events per request")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, err := s.sessionLocked(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if sess.archivedAt != nil {
		return nil, errConflict("session %s is archived and accepts no new events", sess.id)
	}
	if sess.status == StatusTerminated {
		return nil, errBadRequest("session %s is terminated and accepts no new events", sess.id)
	}
	inputs := make([]userInput, 0, len(list))
	answered := map[string]bool{}
	for i, item := range list {
		in, err := s.parseUserEventLocked(item, index("events", i), sess, false)
		if err != nil {
			return nil, err
		}
		if in.callID != "" {
			if answered[in.callID] {
				return nil, errBadRequest("%s: %s is answered twice in this request", index("events", i), in.callID)
			}
			answered[in.callID] = true
		}
		inputs = append(inputs, in)
	}
	data := make([]json.RawMessage, 0, len(inputs))
	for _, in := range inputs {
		data = append(data, s.applyUserEventLocked(sess, in).data)
	}
	return map[string]any{"data": data}, nil
}

// parseUserEventLocked validates one user event against the session's state.
func (s *Server) parseUserEventLocked(item any, p string, sess *session, initial bool) (userInput, *apiError) {
	o, err := asObject(item, p)
	if err != nil {
		return userInput{}, err
	}
	t, err := o.reqStr("type")
	if err != nil {
		return userInput{}, err
	}
	if initial && t != "user.message" && t != "user.define_outcome" {
		return userInput{}, errBadRequest("%s: initial events may only be user.message or user.define_outcome", o.at("type"))
	}
	switch t {
	case "user.message":
		return s.parseUserMessage(o, sess)
	case "user.interrupt":
		return parseInterrupt(o, sess)
	case "user.tool_confirmation":
		return parseToolConfirmation(o, sess)
	case "user.custom_tool_result":
		return parseCustomToolResult(o, sess)
	case "user.define_outcome":
		return s.parseDefineOutcome(o)
	case "user.tool_result":
		return parseToolResult(o, sess, s.selfHostedLocked(sess))
	case "system.message":
		return userInput{}, errBadRequest("%s: system.message is not supported by this session's model", o.at("type"))
	default:
		return userInput{}, errBadRequest("%s: unknown or non-sendable event type %q", o.at("type"), t)
	}
}

func (s *Server) parseUserMessage(o jobj, sess *session) (userInput, *apiError) {
	if err := o.only("type", "content"); err != nil {
		return userInput{}, err
	}
	if sess.budgetPaused {
		return userInput{}, errBadRequest("%s: the session's budget has been reached; raise or remove the budget to continue", o.path).withCode("budget_reached")
	}
	content, texts, err := parseContent(o, true, "text", "image", "document", "redacted")
	if err != nil {
		return userInput{}, err
	}
	return userInput{fields: map[string]any{"type": "user.message", "content": content}, prompt: strings.Join(texts, "\n")}, nil
}

// parseContent validates a content block list and returns it with its text parts.
func parseContent(o jobj, required bool, kinds ...string) ([]any, []string, *apiError) {
	list, ok, err := o.arr("content")
	if err != nil {
		return nil, nil, err
	}
	if required && (!ok || len(list) == 0) {
		return nil, nil, errBadRequest("%s: at least one content block is required", o.at("content"))
	}
	var texts []string
	out := make([]any, 0, len(list))
	for i, item := range list {
		b, err := asObject(item, index(o.at("content"), i))
		if err != nil {
			return nil, nil, err
		}
		t, ok, err := b.enum("type", kinds...)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			return nil, nil, errBadRequest("%s: field required", b.at("type"))
		}
		switch t {
		case "text":
			if err := b.only("type", "text"); err != nil {
				return nil, nil, err
			}
			text, err := b.reqStr("text")
			if err != nil {
				return nil, nil, err
			}
			texts = append(texts, text)
		case "image":
			if err := parseImageBlock(b); err != nil {
				return nil, nil, err
			}
		case "document":
			if err := parseDocumentBlock(b); err != nil {
				return nil, nil, err
			}
		case "search_result":
			for _, k := range []string{"source", "title"} {
				if _, err := b.reqStr(k); err != nil {
					return nil, nil, err
				}
			}
		}
		out = append(out, b.m)
	}
	return out, texts, nil
}

func parseToolConfirmation(o jobj, sess *session) (userInput, *apiError) {
	if err := o.only("type", "tool_use_id", "result", "deny_message", "session_thread_id"); err != nil {
		return userInput{}, err
	}
	id, err := o.reqStr("tool_use_id")
	if err != nil {
		return userInput{}, err
	}
	result, ok, err := o.enum("result", "allow", "deny")
	if err != nil {
		return userInput{}, err
	}
	if !ok {
		return userInput{}, errBadRequest("%s: field required", o.at("result"))
	}
	msg, hasMsg, err := o.str("deny_message")
	if err != nil {
		return userInput{}, err
	}
	if hasMsg && result != "deny" {
		return userInput{}, errBadRequest("%s: only allowed when result is \"deny\"", o.at("deny_message"))
	}
	if call := sess.pendingCall(id); call == nil || call.kind == callCustom {
		return userInput{}, errBadRequest("%s: %s is not a tool use awaiting confirmation", o.at("tool_use_id"), id)
	}
	fields := map[string]any{"type": "user.tool_confirmation", "tool_use_id": id, "result": result}
	if hasMsg {
		fields["deny_message"] = msg
	}
	return userInput{fields: fields, callID: id, answer: answer{allow: result == "allow", text: msg}}, nil
}

// resultBody is the part that user.custom_tool_result and user.tool_result share: the id of the
// call they answer (under idKey), is_error and the content blocks.
type resultBody struct {
	id      string
	isError bool
	content []any
	text    string
}

func parseResultBody(o jobj, idKey string) (resultBody, *apiError) {
	var b resultBody
	if err := o.only("type", idKey, "content", "is_error", "session_thread_id"); err != nil {
		return b, err
	}
	var err *apiError
	if b.id, err = o.reqStr(idKey); err != nil {
		return b, err
	}
	if b.isError, _, err = o.boolean("is_error"); err != nil {
		return b, err
	}
	content, texts, err := parseContent(o, false, "text", "image", "document", "search_result")
	if err != nil {
		return b, err
	}
	b.content, b.text = content, strings.Join(texts, "\n")
	return b, nil
}

func (b resultBody) input(typ, idKey string) userInput {
	fields := map[string]any{"type": typ, idKey: b.id, "content": b.content, "is_error": b.isError}
	return userInput{fields: fields, callID: b.id, answer: answer{allow: true, text: b.text, isError: b.isError}}
}

func parseCustomToolResult(o jobj, sess *session) (userInput, *apiError) {
	b, err := parseResultBody(o, "custom_tool_use_id")
	if err != nil {
		return userInput{}, err
	}
	if call := sess.pendingCall(b.id); call == nil || call.kind != callCustom {
		return userInput{}, errBadRequest("%s: %s is not a custom tool use awaiting a result", o.at("custom_tool_use_id"), b.id)
	}
	return b.input("user.custom_tool_result", "custom_tool_use_id"), nil
}

func (s *Server) parseDefineOutcome(o jobj) (userInput, *apiError) {
	if err := o.only("type", "description", "rubric", "max_iterations"); err != nil {
		return userInput{}, err
	}
	desc, ok, err := o.strLen("description", 1, 10000)
	if err != nil {
		return userInput{}, err
	}
	if !ok {
		return userInput{}, errBadRequest("%s: field required", o.at("description"))
	}
	rubric, err := o.reqObj("rubric")
	if err != nil {
		return userInput{}, err
	}
	rt, ok, err := rubric.enum("type", "text", "file")
	if err != nil {
		return userInput{}, err
	}
	if !ok {
		return userInput{}, errBadRequest("%s: field required", rubric.at("type"))
	}
	field := map[string]string{"text": "content", "file": "file_id"}[rt]
	if err := rubric.only("type", field); err != nil {
		return userInput{}, err
	}
	if _, err := rubric.reqStr(field); err != nil {
		return userInput{}, err
	}
	maxIter, ok, err := o.integer("max_iterations")
	if err != nil {
		return userInput{}, err
	}
	if !ok {
		maxIter = 3
	}
	if maxIter < 1 || maxIter > 20 {
		return userInput{}, errBadRequest("%s: must be between 1 and 20", o.at("max_iterations"))
	}
	outcomeID := s.ids.next("outc_")
	fields := map[string]any{"type": "user.define_outcome", "description": desc, "rubric": rubric.m,
		"max_iterations": maxIter, "outcome_id": outcomeID}
	outcome := map[string]any{"type": "outcome_evaluation", "outcome_id": outcomeID, "description": desc,
		"iteration": int64(0), "result": "pending", "explanation": "", "completed_at": nil}
	return userInput{fields: fields, prompt: desc, outcome: outcome, maxIterations: maxIter}, nil
}

// applyUserEventLocked persists a validated user event and acts on it.
func (s *Server) applyUserEventLocked(sess *session, in userInput) *event {
	sess.routeAnswerLocked(&in)
	ev := s.appendEventLocked(sess, in.fields)
	switch in.kind() {
	case "user.message":
		s.ensureWorkLocked(sess)
		s.enqueueLocked(sess, turnInput{prompt: in.prompt})
	case "user.define_outcome":
		sess.outcomes = append(sess.outcomes, in.outcome)
		s.ensureWorkLocked(sess)
		s.enqueueLocked(sess, turnInput{prompt: in.prompt, outcome: in.outcome, maxIterations: in.maxIterations})
	case "user.tool_result":
		sess.deliverSandboxLocked(in.callID, toolOutcome{text: in.answer.text, isError: in.answer.isError})
	case "user.interrupt":
		if thread, _ := in.fields["session_thread_id"].(string); thread != "" {
			sess.interruptThreadLocked(thread)
			break
		}
		s.interruptLocked(sess)
	case "user.tool_confirmation", "user.custom_tool_result":
		s.answerLocked(sess, in.callID, in.answer)
	}
	return ev
}

// ErrNoSession is returned by Server methods given an unknown session id.
var ErrNoSession = errors.New("simulator: no such session")

// EmitEvent persists an arbitrary event into a session and delivers it to the
// session's open streams, exactly as the scripted turns do. It is meant for
// tests and latency benchmarks. eventJSON must be a JSON object with a "type";
// an "id" is always assigned, and "processed_at" is set unless present. The
// session's status is not changed. It returns the assigned id.
func (s *Server) EmitEvent(sessionID string, eventJSON []byte) (string, error) {
	var fields map[string]any
	if err := json.Unmarshal(eventJSON, &fields); err != nil {
		return "", err
	}
	if t, _ := fields["type"].(string); t == "" {
		return "", errors.New("simulator: event needs a string \"type\"")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.sessions[sessionID]
	if sess == nil {
		return "", ErrNoSession
	}
	return s.appendEventLocked(sess, fields).id, nil
}

// Events returns a copy of a session's full event history, oldest first.
func (s *Server) Events(sessionID string) ([]json.RawMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.sessions[sessionID]
	if sess == nil {
		return nil, ErrNoSession
	}
	out := make([]json.RawMessage, len(sess.events))
	for i, ev := range sess.events {
		out[i] = slices.Clone(ev.data)
	}
	return out, nil
}
