// SPDX-License-Identifier: Apache-2.0

package sessionstream

import (
	"testing"
	"time"
)

// BenchmarkWakeDecision measures the per-event cost of deciding whether a stream-only event wakes
// the reconciler now or when the next status write is due.
func BenchmarkWakeDecision(b *testing.B) {
	s := &Stream{written: time.Now()}
	b.ReportAllocs()
	for b.Loop() {
		s.wakePending = false
		if _, wake := s.wakeDelayLocked("agent.message", time.Hour); !wake {
			b.Fatal("the first stream-only event after a write schedules a wake")
		}
	}
}
