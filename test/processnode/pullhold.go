// SPDX-License-Identifier: Apache-2.0

package processnode

import (
	"fmt"
	"time"
)

// pullHoldRecheck is how often a container whose image pull is held looks again.
const pullHoldRecheck = 100 * time.Millisecond

// HoldPulls makes every pull of image take until release is called: the image's containers stay
// waiting in ContainerCreating ("Pulling image"), as behind a slow registry, so that a test can
// act while a Pod is starting. Holding an image twice needs two releases; release is idempotent.
func (n *Node) HoldPulls(image string) (release func()) {
	n.mu.Lock()
	if n.heldPulls == nil {
		n.heldPulls = map[string]int{}
	}
	n.heldPulls[image]++
	n.mu.Unlock()
	released := false
	return func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		if released {
			return
		}
		released = true
		if n.heldPulls[image]--; n.heldPulls[image] <= 0 {
			delete(n.heldPulls, image)
		}
	}
}

// pullHeld reports whether image's pulls are held.
func (n *Node) pullHeld(image string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.heldPulls[image] > 0
}

// holdPull shows a held pull and looks again soon; it reports whether the pull is held.
func (w *podWorker) holdPull(c *container, now time.Time) bool {
	if !w.node.pullHeld(c.spec.Image) {
		return false
	}
	c.setWaiting(ReasonContainerCreating, fmt.Sprintf("Pulling image %q", c.spec.Image))
	w.wakeAt(now.Add(pullHoldRecheck))
	return true
}
