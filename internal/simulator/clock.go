// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"sync"
	"time"
)

// Clock is a settable clock for Options.Now. Tests advance it to make deployment schedules fire
// (the scheduler looks at the clock every Options.ScheduleTick) and to age objects without waiting.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock that reads start until it is advanced.
func NewClock(start time.Time) *Clock { return &Clock{t: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d and returns the new time.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}
