// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// sessionMemory is what this process remembers about one Session between reconciles. None of it is
// needed to resume after a restart (status and the remote history hold that); it only saves API calls
// and repeats while the informer cache lags behind this process's own writes.
type sessionMemory struct {
	uid types.UID
	// launched is the remote session this process created for the Session.
	launched string
	// countedUsage is the usage already added to the token and cost counters.
	countedUsage *v1alpha1.SessionUsage
	// announced is the finished phase already counted and reported.
	announced v1alpha1.SessionPhase
	// deletionInterrupted says deletion already sent its one interrupt.
	deletionInterrupted bool
	// resources is what the resource sync sent and where it gave up (session_resources.go).
	resources resourceMemory
	// sentOutcome is the digest of the outcome this process sent, until the stream shows it.
	sentOutcome string
	// outcomeWait is the wait for the grader's verdict after an idle (session_outcome.go).
	outcomeWait outcomeWait
	// seenUpdates is the number of session.updated events already answered with a drift check.
	seenUpdates int
	// attachmentWarning is the reason and message of the Warning last sent about a message held
	// back by its attachments, until one is sent again.
	attachmentWarning string
}

// sessionMemories holds one sessionMemory per Session, keyed by name: a Session that is gone by any
// path (deleted, its namespace deleted, its finalizer removed by hand) is forgotten by name, when
// its reconcile finds it missing.
type sessionMemories struct {
	mu sync.Mutex
	m  map[types.NamespacedName]*sessionMemory
}

// update runs fn on the Session's memory, creating it, or starting it afresh when the name now
// belongs to a new object.
func (s *sessionMemories) update(key types.NamespacedName, uid types.UID, fn func(*sessionMemory)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[types.NamespacedName]*sessionMemory{}
	}
	mem := s.m[key]
	if mem == nil || mem.uid != uid {
		mem = &sessionMemory{uid: uid}
		s.m[key] = mem
	}
	fn(mem)
}

// get returns a copy of the Session's memory (empty when none).
func (s *sessionMemories) get(key types.NamespacedName, uid types.UID) sessionMemory {
	s.mu.Lock()
	defer s.mu.Unlock()
	if mem := s.m[key]; mem != nil && mem.uid == uid {
		return *mem
	}
	return sessionMemory{uid: uid}
}

// forget drops a Session's memory and returns its UID, if any was held.
func (s *sessionMemories) forget(key types.NamespacedName) (types.UID, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mem, ok := s.m[key]
	delete(s.m, key)
	if !ok {
		return "", false
	}
	return mem.uid, true
}

// forget drops everything this process holds for a Session: its stream, memory and resync clock.
func (r *SessionReconciler) forget(key types.NamespacedName) {
	r.Pump.Stop(key)
	if uid, ok := r.memory.forget(key); ok {
		r.resync.forget(uid)
	}
}
