// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"time"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/controller"
)

// sessionOptions checks the Session controller's flags: the status interval and its back-off
// bound, the default Event policy, and the outcome and delete waits.
func (o options) sessionOptions() (controller.SessionOptions, error) {
	policy, ok := v1alpha1.ParseEventPolicy(o.eventPolicy)
	if !ok {
		return controller.SessionOptions{}, fmt.Errorf("--session-event-policy must be all, messages or none, got %q", o.eventPolicy)
	}
	if o.statusInterval < 0 {
		return controller.SessionOptions{}, fmt.Errorf("--status-interval must not be negative, got %s", o.statusInterval)
	}
	for _, wait := range []struct {
		flag string
		d    time.Duration
	}{{"--session-outcome-grace", o.outcomeGrace}, {"--session-delete-timeout", o.deleteTimeout}} {
		if wait.d <= 0 {
			return controller.SessionOptions{}, fmt.Errorf("%s must be positive, got %s", wait.flag, wait.d)
		}
	}
	// A --status-interval above the default bound (10s) raises the bound with it: a fixed interval.
	return controller.SessionOptions{
		Concurrency: o.sessionWorkers, StatusInterval: o.statusInterval,
		MaxStatusInterval: max(o.statusIntervalMax, o.statusInterval), EventPolicy: policy,
		OutcomeGrace: o.outcomeGrace, DeleteTimeout: o.deleteTimeout,
	}, nil
}
