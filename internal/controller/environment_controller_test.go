// SPDX-License-Identifier: Apache-2.0

package controller_test

import (
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/controller"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
)

func newEnvironment(ns, name string) *v1alpha1.Environment {
	allow := true
	return &v1alpha1.Environment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.EnvironmentSpec{
			Networking: &v1alpha1.Networking{Type: v1alpha1.NetworkingLimited, AllowedHosts: []string{"api.example.com"}, AllowPackageManagers: &allow},
			Packages:   &v1alpha1.Packages{Pip: []string{"pandas==2.2.3"}},
		},
	}
}

func getRemoteEnvironment(t *testing.T, id string) (*anthropic.BetaEnvironment, error) {
	t.Helper()
	env, err := sdk().Beta.Environments.Get(testContext(t, 10*time.Second), id, anthropic.BetaEnvironmentGetParams{})
	return env, managedagents.Classify(err)
}

// TestEnvironmentCreateUpdateAndDrift proves an Environment gets a remote environment named
// <namespace>-<name>, a spec change updates it, and an out-of-band change is restored by resync.
func TestEnvironmentCreateUpdateAndDrift(t *testing.T) {
	ctx := testContext(t, time.Minute)
	ns := newNamespace(t)
	env := newEnvironment(ns, "py")
	env.Annotations = map[string]string{v1alpha1.AnnotationResyncPeriod: "1s"}
	create(t, env)
	key := client.ObjectKeyFromObject(env)
	env = waitEnvironment(t, key, "Ready", func(e *v1alpha1.Environment) bool { return isReady(e.Status.Conditions) })
	remote, err := getRemoteEnvironment(t, env.Status.ID)
	if err != nil {
		t.Fatal(err)
	}
	if remote.Name != ns+"-py" || remote.Config.Networking.Type != "limited" || len(remote.Config.Packages.Pip) != 1 {
		t.Errorf("remote environment does not reflect the spec: %s", remote.RawJSON())
	}

	env.Spec.Packages.Npm = []string{"typescript"}
	if err := k8s.Update(ctx, env); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, env, controller.ReasonUpdated)
	eventually(t, "npm package on the remote", func() (bool, string) {
		remote, err := getRemoteEnvironment(t, env.Status.ID)
		return err == nil && len(remote.Config.Packages.Npm) == 1, remote.RawJSON()
	})

	_, err = sdk().Beta.Environments.Update(ctx, env.Status.ID, anthropic.BetaEnvironmentUpdateParams{Description: anthropic.String("by hand")})
	if err != nil {
		t.Fatal(err)
	}
	waitEvent(t, env, controller.ReasonDriftCorrected)
	remote, err = getRemoteEnvironment(t, env.Status.ID)
	if err != nil || remote.Description != "" {
		t.Errorf("drift not restored: description %q, %v", remote.Description, err)
	}
}

// TestEnvironmentNameConflict proves a name held by a remote environment that this object did not
// create is never adopted silently: the condition names the holder and how to resolve it.
func TestEnvironmentNameConflict(t *testing.T) {
	ctx := testContext(t, time.Minute)
	ns := newNamespace(t)
	other, err := sdk().Beta.Environments.New(ctx, anthropic.BetaEnvironmentNewParams{Name: ns + "-taken"})
	if err != nil {
		t.Fatal(err)
	}
	env := newEnvironment(ns, "taken")
	create(t, env)
	env = waitEnvironment(t, client.ObjectKeyFromObject(env), "NameConflict", func(e *v1alpha1.Environment) bool {
		return hasReason(e.Status.Conditions, controller.ReasonNameConflict)
	})
	if msg := readyCondition(env.Status.Conditions); !containsAny(msg, other.ID) {
		t.Errorf("condition does not name the holder %s: %s", other.ID, msg)
	}
}

// TestEnvironmentCreateWithLostResponseIsAdopted proves that a create committed by the API whose
// response was lost is found again by UID: exactly one remote environment.
func TestEnvironmentCreateWithLostResponseIsAdopted(t *testing.T) {
	sim.LoseNextResponse("POST /v1/environments")
	ns := newNamespace(t)
	env := newEnvironment(ns, "lost")
	create(t, env)
	waitEnvironment(t, client.ObjectKeyFromObject(env), "Ready", func(e *v1alpha1.Environment) bool { return isReady(e.Status.Conditions) })
	count := 0
	pager := sdk().Beta.Environments.ListAutoPaging(testContext(t, 10*time.Second), anthropic.BetaEnvironmentListParams{})
	for pager.Next() {
		if pager.Current().Name == ns+"-lost" {
			count++
		}
	}
	if count != 1 {
		t.Errorf("%d remote environments named %s-lost, want 1", count, ns)
	}
}

// TestEnvironmentRecreatedWhenDeletedOutOfBand proves a remote environment deleted behind the
// operator's back is recreated, with a Warning Event.
func TestEnvironmentRecreatedWhenDeletedOutOfBand(t *testing.T) {
	ctx := testContext(t, time.Minute)
	env := newEnvironment(newNamespace(t), "phoenix")
	env.Annotations = map[string]string{v1alpha1.AnnotationResyncPeriod: "1s"}
	create(t, env)
	key := client.ObjectKeyFromObject(env)
	env = waitEnvironment(t, key, "Ready", func(e *v1alpha1.Environment) bool { return isReady(e.Status.Conditions) })
	first := env.Status.ID
	if _, err := sdk().Beta.Environments.Delete(ctx, first, anthropic.BetaEnvironmentDeleteParams{}); err != nil {
		t.Fatal(err)
	}
	waitEnvironment(t, key, "a new remote environment", func(e *v1alpha1.Environment) bool {
		return e.Status.ID != "" && e.Status.ID != first && isReady(e.Status.Conditions)
	})
	waitEvent(t, env, controller.ReasonRemoteNotFound)
}

// TestEnvironmentDeletionPolicies proves Delete deletes, Archive archives and Retain keeps the remote.
func TestEnvironmentDeletionPolicies(t *testing.T) {
	for _, policy := range []v1alpha1.EnvironmentDeletionPolicy{v1alpha1.EnvironmentDeletionDelete, v1alpha1.EnvironmentDeletionArchive, v1alpha1.EnvironmentDeletionRetain} {
		t.Run(string(policy), func(t *testing.T) {
			ctx := testContext(t, time.Minute)
			env := newEnvironment(newNamespace(t), "doomed")
			env.Spec.DeletionPolicy = policy
			create(t, env)
			key := client.ObjectKeyFromObject(env)
			env = waitEnvironment(t, key, "Ready", func(e *v1alpha1.Environment) bool { return isReady(e.Status.Conditions) })
			if err := k8s.Delete(ctx, env); err != nil {
				t.Fatal(err)
			}
			eventually(t, "the Environment to be gone", func() (bool, string) {
				err := k8s.Get(ctx, key, &v1alpha1.Environment{})
				return err != nil && client.IgnoreNotFound(err) == nil, "still present"
			})
			remote, err := getRemoteEnvironment(t, env.Status.ID)
			switch policy {
			case v1alpha1.EnvironmentDeletionDelete:
				if !managedagents.IsNotFound(err) {
					t.Errorf("remote still exists after Delete: %v", err)
				}
			case v1alpha1.EnvironmentDeletionArchive:
				if err != nil || remote.ArchivedAt == "" {
					t.Errorf("remote not archived: %v", err)
				}
			default:
				if err != nil || remote.ArchivedAt != "" {
					t.Errorf("remote touched despite Retain: %v", err)
				}
			}
		})
	}
}
