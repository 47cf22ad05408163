// SPDX-License-Identifier: Apache-2.0

package sessionevents

import "slices"

// Multi-agent event types. A sub-agent runs in its own thread; the API cross-posts the thread's
// status changes and its tool uses that wait for an answer to the primary stream, which is the one
// the operator follows.
const (
	TypeThreadCreated           = "session.thread_created"
	TypeThreadStatusRunning     = "session.thread_status_running"
	TypeThreadStatusIdle        = "session.thread_status_idle"
	TypeThreadStatusRescheduled = "session.thread_status_rescheduled"
	TypeThreadStatusTerminated  = "session.thread_status_terminated"
	TypeThreadMessageSent       = "agent.thread_message_sent"
	TypeThreadMessageReceived   = "agent.thread_message_received"
	TypeThreadContextCompacted  = "agent.thread_context_compacted"
)

// MaxThreads bounds the threads the state keeps. When a session starts more, the oldest thread
// that waits for nothing is forgotten first.
const MaxThreads = 20

// Thread is a sub-agent's thread as the primary stream shows it.
type Thread struct {
	ID        string
	AgentName string
	// Status is running, idle, rescheduling or terminated; empty until its first status event.
	Status     string
	StopReason string
	// WorkflowRunID is the workflow run that started the thread, if one did.
	WorkflowRunID string
	// Pending lists the thread's tool calls that wait for an answer.
	Pending []ToolCall
}

// trackThread folds the thread events. The threads slice is replaced, never changed in place, so
// a shallow copy of the State (a stream snapshot) stays consistent.
func (s *State) trackThread(e *Event) {
	switch e.Type {
	case TypeThreadCreated:
		s.updateThread(e.SessionThreadID, e.AgentName, func(t *Thread) {
			if e.WorkflowRunID != "" {
				t.WorkflowRunID = e.WorkflowRunID
			}
		})
	case TypeThreadStatusRunning:
		s.setThreadStatus(e, StatusRunning)
	case TypeThreadStatusRescheduled:
		s.setThreadStatus(e, StatusRescheduling)
	case TypeThreadStatusTerminated:
		s.setThreadStatus(e, StatusTerminated)
	case TypeThreadStatusIdle:
		s.threadIdle(e)
	case TypeThreadMessageSent:
		s.updateThread(e.ToSessionThreadID, e.ToAgentName, nil)
	case TypeThreadMessageReceived:
		s.updateThread(e.FromSessionThreadID, e.FromAgentName, nil)
	}
}

func (s *State) setThreadStatus(e *Event, status string) {
	s.updateThread(e.SessionThreadID, e.AgentName, func(t *Thread) {
		t.Status, t.StopReason, t.Pending = status, "", nil
	})
}

// threadIdle records a thread's idle; with requires_action, the listed calls that no answer has
// reached yet become the thread's pending actions.
func (s *State) threadIdle(e *Event) {
	reason, ids := "", []string(nil)
	if e.StopReason != nil {
		reason, ids = e.StopReason.Type, e.StopReason.EventIDs
	}
	s.updateThread(e.SessionThreadID, e.AgentName, func(t *Thread) {
		t.Status, t.StopReason, t.Pending = StatusIdle, reason, nil
		if reason != StopRequiresAction {
			return
		}
		for _, id := range ids {
			if s.Answered[id] || len(t.Pending) >= MaxPending {
				continue
			}
			call, ok := s.calls[id]
			if !ok {
				call = ToolCall{EventID: id, Name: "unknown"}
			}
			call.ThreadID = t.ID
			t.Pending = append(t.Pending, call)
		}
	})
}

// updateThread creates or changes one thread by copy. An event without a thread id (the primary
// thread's own) changes nothing.
func (s *State) updateThread(id, agent string, change func(*Thread)) {
	if id == "" {
		return
	}
	threads := slices.Clone(s.Threads)
	i := slices.IndexFunc(threads, func(t Thread) bool { return t.ID == id })
	if i < 0 {
		threads = append(threads, Thread{ID: id})
		i = len(threads) - 1
	}
	t := threads[i]
	t.Pending = slices.Clone(t.Pending)
	if agent != "" {
		t.AgentName = Truncate(agent, 256)
	}
	if change != nil {
		change(&t)
	}
	threads[i] = t
	s.Threads = evictThreads(threads)
}

// evictThreads keeps at most MaxThreads, dropping the oldest thread that waits for nothing, or
// else the oldest.
func evictThreads(threads []Thread) []Thread {
	for len(threads) > MaxThreads {
		i := slices.IndexFunc(threads, func(t Thread) bool { return len(t.Pending) == 0 && t.Status != StatusRunning })
		if i < 0 {
			i = 0
		}
		threads = slices.Delete(threads, i, i+1)
	}
	return threads
}

// answerInThreads removes an answered call from the thread that waited for it.
func (s *State) answerInThreads(id string) {
	isID := func(c ToolCall) bool { return c.EventID == id }
	for _, t := range s.Threads {
		if slices.ContainsFunc(t.Pending, isID) {
			s.updateThread(t.ID, "", func(t *Thread) { t.Pending = slices.DeleteFunc(t.Pending, isID) })
			return
		}
	}
}

// clearThreadPending forgets what every thread waits for: the session ended, so nothing can be
// answered any more.
func (s *State) clearThreadPending() {
	for _, t := range s.Threads {
		if len(t.Pending) > 0 {
			s.updateThread(t.ID, "", func(t *Thread) { t.Pending = nil })
		}
	}
}

// ThreadPending counts the tool calls sub-agent threads wait for.
func (s *State) ThreadPending() int {
	n := 0
	for _, t := range s.Threads {
		n += len(t.Pending)
	}
	return n
}

// AllPending lists every call that waits for an answer: the primary thread's, then each
// sub-agent thread's, at most MaxPending.
func (s *State) AllPending() []ToolCall {
	if s.ThreadPending() == 0 {
		return s.Pending
	}
	all := slices.Clone(s.Pending)
	for _, t := range s.Threads {
		all = append(all, t.Pending...)
	}
	if len(all) > MaxPending {
		all = all[:MaxPending]
	}
	return all
}
