// SPDX-License-Identifier: Apache-2.0

package main

import (
	"strings"
	"testing"
	"time"
)

func TestCheckResyncPeriod(t *testing.T) {
	for _, tc := range []struct {
		period time.Duration
		ok     bool
		reason string
	}{
		{0, true, "0 means never: objects are compared only when their spec or a reference changes"},
		{time.Second, true, "the shortest period that does not hammer the API"},
		{10 * time.Minute, true, "the default"},
		{-time.Second, false, "a negative period has no meaning and must not start a manager"},
		{500 * time.Millisecond, false, "a sub-second period would compare every object several times a second"},
	} {
		err := checkResyncPeriod(tc.period)
		if (err == nil) != tc.ok {
			t.Errorf("%s: checkResyncPeriod(%s) = %v", tc.reason, tc.period, err)
		}
		if err != nil && !strings.Contains(err.Error(), "--resync-period") {
			t.Errorf("%s: the message does not name the flag: %v", tc.reason, err)
		}
	}
}
