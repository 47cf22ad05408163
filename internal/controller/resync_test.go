// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// TestResyncNever proves that a period of 0, from the manager or from an object's annotation, means
// never: after the first comparison an object is not due again, and its next look is the idle
// recheck, not a requeue every second.
func TestResyncNever(t *testing.T) {
	object := func(annotation string) *v1alpha1.Agent {
		a := &v1alpha1.Agent{ObjectMeta: metav1.ObjectMeta{UID: "uid", Name: "a"}}
		if annotation != "" {
			a.Annotations = map[string]string{v1alpha1.AnnotationResyncPeriod: annotation}
		}
		return a
	}
	for _, tc := range []struct {
		name, reason string
		manager      time.Duration
		annotation   string
		wantPeriod   time.Duration
	}{
		{"manager 0", "--resync-period=0 turns the comparison off for every object", 0, "", 0},
		{"annotation 0", "the annotation \"0\" turns it off for one object", 10 * time.Minute, "0", 0},
		{"annotation 0s", "\"0s\" is the same Go duration as \"0\"", 10 * time.Minute, "0s", 0},
		{"annotation keeps a period when the manager has none", "an object may ask for a resync the manager does not do", 0, "30s", 30 * time.Second},
		{"invalid annotation", "an annotation that is not a duration falls back to the manager's period", 5 * time.Minute, "soon", 5 * time.Minute},
		{"negative annotation", "a negative duration falls back to the manager's period", 5 * time.Minute, "-1m", 5 * time.Minute},
		{"sub-second annotation", "a period under a second falls back to the manager's period", 5 * time.Minute, "10ms", 5 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := newResyncTracker(tc.manager)
			obj := object(tc.annotation)
			if got := tr.periodFor(obj); got != tc.wantPeriod {
				t.Fatalf("%s: period = %v, want %v", tc.reason, got, tc.wantPeriod)
			}
			if !tr.due(obj) {
				t.Errorf("%s: an object never compared is not due", tc.reason)
			}
			next := tr.markVerified(obj)
			if tc.wantPeriod != 0 {
				if next < tc.wantPeriod || next > tc.wantPeriod+tc.wantPeriod/10 {
					t.Errorf("%s: next comparison in %v, want %v plus up to 10%% jitter", tc.reason, next, tc.wantPeriod)
				}
				return
			}
			if tr.due(obj) {
				t.Errorf("%s: due again right after its comparison", tc.reason)
			}
			if next != idleRecheck || tr.untilDue(obj) != idleRecheck || tr.interval(obj) != idleRecheck {
				t.Errorf("%s: next look after %v / %v / %v, want the idle recheck (%v)", tc.reason, next, tr.untilDue(obj), tr.interval(obj), idleRecheck)
			}
		})
	}
}
