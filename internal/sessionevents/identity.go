// SPDX-License-Identifier: Apache-2.0

package sessionevents

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// Identity tells two copies of one event (the same event seen in the history and on the live
// stream) from two different events. It is the event's id when it has one. An event without an id
// is identified by its content: its JSON re-encoded with sorted keys, so that the history's and the
// stream's renderings of the same event agree however each one spaced or ordered its fields.
func Identity(e *Event, raw []byte) string {
	if e.ID != "" {
		return e.ID
	}
	var v any
	canonical := raw
	if err := json.Unmarshal(raw, &v); err == nil {
		if b, err := json.Marshal(v); err == nil {
			canonical = b
		}
	}
	sum := sha256.Sum256(canonical)
	return "content:" + hex.EncodeToString(sum[:12])
}
