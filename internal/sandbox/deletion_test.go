// SPDX-License-Identifier: Apache-2.0

package sandbox_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

// Deleting the Session, or its Environment, while its sandbox runs a command leaves nothing
// behind: the object goes, the work item is stopped, and the sandbox Pod and its Secret are
// deleted.
func TestDeletionMidRunLeavesNothingBehind(t *testing.T) {
	cases := []struct {
		name   string
		why    string
		delete func(f *fixture, sess *v1alpha1.Session) client.Object
	}{
		{name: "Session", why: "the user gives up on a session whose sandbox is busy",
			delete: func(_ *fixture, sess *v1alpha1.Session) client.Object { return sess }},
		{name: "Environment", why: "the platform team removes the Environment under a running session",
			delete: func(f *fixture, _ *v1alpha1.Session) client.Object {
				return &v1alpha1.Environment{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "sandboxes"}}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 2, "ubuntu:24.04")
			envID := f.environmentID(t)
			pw := watchPods(t, f.ns)
			sess := f.session(t, "s", "[[bash:sleep 60]]")
			waitRunningTool(t, pw, envID, sess)

			obj := tc.delete(f, sess)
			if err := k8s.Delete(context.Background(), obj); err != nil {
				t.Fatal(err)
			}
			eventually(t, 90*time.Second, tc.name+" gone", func() (bool, string) {
				err := k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), obj)
				return apierrors.IsNotFound(err), fmt.Sprint(err)
			})
			waitNoSandboxObjects(t, f.ns)
			// A deleted Environment's remote environment may be gone with its queue (ErrNoWork).
			items, err := sim.WorkItems(envID)
			if err != nil && !errors.Is(err, simulator.ErrNoWork) {
				t.Fatal(err)
			}
			for _, it := range items {
				if it.State != "stopped" {
					t.Errorf("work item %s is %s after the %s was deleted", it.ID, it.State, tc.name)
				}
			}
			pw.findings().checkNoOverlap(t)
		})
	}
}
