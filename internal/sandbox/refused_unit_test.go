// SPDX-License-Identifier: Apache-2.0

package sandbox

import (
	"errors"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

func TestRefusalTellsARefusedPodFromAnUnansweredCreate(t *testing.T) {
	pods := schema.GroupResource{Resource: "pods"}
	cases := []struct {
		err  error
		want bool
	}{
		{apierrors.NewForbidden(pods, "p", errors.New("exceeded quota: no-pods")), true},
		{apierrors.NewInvalid(schema.GroupKind{Kind: "Pod"}, "p", field.ErrorList{field.Required(field.NewPath("spec"), "")}), true},
		{apierrors.NewBadRequest("no"), true},
		{apierrors.NewTooManyRequests("slow down", 1), false},
		{apierrors.NewInternalError(errors.New("etcd")), false},
		{apierrors.NewTimeoutError("late", 1), false},
		{errors.New("connection refused"), false},
	}
	for _, tc := range cases {
		if got := refusal(tc.err); got != tc.want {
			t.Errorf("refusal(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// Refusals pause the Environment's claims for 1, 2, 4 ... s up to 5 minutes; refusals within a
// step (claims that were in flight together) make no new step; an admitted Pod starts over.
func TestPauseClaimsDoublesAndResets(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d := &dispatcher{opts: Options{FailureBackoff: time.Second}, now: func() time.Time { return now },
		inflight: map[string]time.Time{}, marked: map[string]bool{}}
	for i, want := range []time.Duration{1, 2, 4, 8} {
		wait, step := d.pauseClaims()
		if !step || wait != want*time.Second {
			t.Fatalf("refusal %d: %s, step %v; want %ds, a new step", i, wait, step, want)
		}
		if _, again := d.pauseClaims(); again {
			t.Fatalf("refusal %d: a second refusal within the step started another", i)
		}
		if got := d.claimPause(); got != want*time.Second {
			t.Fatalf("claimPause = %s, want %ds", got, want)
		}
		now = now.Add(wait)
	}
	for range 20 {
		now = now.Add(maxFailBackoff)
		d.pauseClaims()
	}
	if got := d.claimPause(); got != maxFailBackoff {
		t.Errorf("the pause grew to %s; the bound is %s", got, maxFailBackoff)
	}
	d.claiming = 1
	d.settle("admitted", true)
	now = now.Add(maxFailBackoff)
	if wait, _ := d.pauseClaims(); wait != time.Second || d.claiming != 0 || d.inflight["admitted"].IsZero() {
		t.Errorf("after an admitted Pod: pause %s, claiming %d, inflight %v; want 1s, 0, the Pod", wait, d.claiming, d.inflight)
	}
}

// Claims in flight hold their slots: the free slots are the limit less every Pod and every claim
// that will create one, and never more than maxParallelClaims in flight.
func TestFreeSlotsCountClaimsInFlight(t *testing.T) {
	d := &dispatcher{inflight: map[string]time.Time{"new": time.Now()}}
	env := selfHosted(func(sh *v1alpha1.SelfHostedEnvironment) { sh.MaxConcurrentSandboxes = 10 })
	d.claiming = 3
	if got := d.freeSlots(env, podView{pending: 1, running: 2, ending: 1}); got != 10-1-2-1-1-3 {
		t.Errorf("free slots %d, want 2", got)
	}
	// A Pod in flight that the sweep already saw in the cache counts once.
	if got := d.freeSlots(env, podView{pending: 2, running: 2, ending: 1, names: map[string]bool{"new": true}}); got != 10-2-2-1-3 {
		t.Errorf("free slots %d, want 2", got)
	}
	env.Spec.SelfHosted.MaxConcurrentSandboxes = 1000
	if got := d.freeSlots(env, podView{}); got != maxParallelClaims-3 {
		t.Errorf("free slots %d, want %d (the bound on claims in flight)", got, maxParallelClaims-3)
	}
}
