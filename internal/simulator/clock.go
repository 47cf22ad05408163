// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"sync"
	"time"
)

// Clock is a clock for Options.Now that tests move forward, to make deployment schedules fire (the
// scheduler looks at the clock every Options.ScheduleTick) and to age objects without waiting. A
// frozen clock (NewClock) reads the same time until it is advanced; a running one (NewRunningClock)
// is the real time plus what it was advanced by, so objects created between advances still get
// distinct, increasing timestamps.
type Clock struct {
	mu      sync.Mutex
	t       time.Time // the frozen time, or the zero time for a running clock
	advance time.Duration
}

// NewClock returns a frozen clock that reads start until it is advanced.
func NewClock(start time.Time) *Clock { return &Clock{t: start} }

// NewRunningClock returns a clock that reads the real time until it is advanced.
func NewRunningClock() *Clock { return &Clock{} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t.IsZero() {
		return time.Now().Add(c.advance)
	}
	return c.t.Add(c.advance)
}

// Advance moves the clock forward by d and returns the new time.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	c.advance += d
	c.mu.Unlock()
	return c.Now()
}
