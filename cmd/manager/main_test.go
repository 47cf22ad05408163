// SPDX-License-Identifier: Apache-2.0

package main

import (
	"strings"
	"testing"
	"time"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/controller"
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

func TestSessionOptions(t *testing.T) {
	for _, tc := range []struct {
		reason           string
		policy           string
		interval, bound  time.Duration
		wantPolicy       v1alpha1.EventPolicy
		wantMin, wantMax time.Duration
		wantErr          string
	}{
		{"the defaults: today's Events, a 1s interval that may back off to 10s", "all", time.Second, 10 * time.Second, v1alpha1.EventPolicyAll, time.Second, 10 * time.Second, ""},
		{"the chart passes the policy as users write it; case does not matter", "Messages", time.Second, 10 * time.Second, v1alpha1.EventPolicyMessages, time.Second, 10 * time.Second, ""},
		{"status only", "none", time.Second, 10 * time.Second, v1alpha1.EventPolicyNone, time.Second, 10 * time.Second, ""},
		{"an interval above the default bound is a fixed interval, not an error", "all", 30 * time.Second, 10 * time.Second, v1alpha1.EventPolicyAll, 30 * time.Second, 30 * time.Second, ""},
		{"a misspelled policy must not start a manager that writes something else", "messsages", time.Second, 10 * time.Second, "", 0, 0, "--session-event-policy"},
		{"a negative interval has no meaning", "all", -time.Second, 10 * time.Second, "", 0, 0, "--status-interval"},
	} {
		o := options{eventPolicy: tc.policy, statusInterval: tc.interval, statusIntervalMax: tc.bound,
			outcomeGrace: controller.DefaultOutcomeGrace, deleteTimeout: controller.DefaultDeleteTimeout}
		got, err := o.sessionOptions()
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: got %v, want an error naming %s", tc.reason, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.reason, err)
			continue
		}
		if got.EventPolicy != tc.wantPolicy || got.StatusInterval != tc.wantMin || got.MaxStatusInterval != tc.wantMax {
			t.Errorf("%s: got policy %q, interval %s..%s", tc.reason, got.EventPolicy, got.StatusInterval, got.MaxStatusInterval)
		}
		if got.OutcomeGrace != controller.DefaultOutcomeGrace || got.DeleteTimeout != controller.DefaultDeleteTimeout {
			t.Errorf("%s: the waits did not reach the controller: %s, %s", tc.reason, got.OutcomeGrace, got.DeleteTimeout)
		}
	}
}

// TestSessionWaitsMustBePositive proves that a zero or negative wait is refused, naming its flag,
// instead of making every outcome end unjudged or every deletion skip the interrupt's wait.
func TestSessionWaitsMustBePositive(t *testing.T) {
	base := options{eventPolicy: "all", statusInterval: time.Second, statusIntervalMax: 10 * time.Second,
		outcomeGrace: 5 * time.Minute, deleteTimeout: 30 * time.Second}
	got, err := base.sessionOptions()
	if err != nil || got.OutcomeGrace != 5*time.Minute || got.DeleteTimeout != 30*time.Second {
		t.Fatalf("the waits given are not the waits used: %+v, %v", got, err)
	}
	for flagName, o := range map[string]options{
		"--session-outcome-grace":  func() options { o := base; o.outcomeGrace = 0; return o }(),
		"--session-delete-timeout": func() options { o := base; o.deleteTimeout = -time.Second; return o }(),
	} {
		if _, err := o.sessionOptions(); err == nil || !strings.Contains(err.Error(), flagName) {
			t.Errorf("got %v, want an error naming %s", err, flagName)
		}
	}
}
