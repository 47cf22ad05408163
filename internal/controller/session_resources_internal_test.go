// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
)

// TestResourcesMatchSpec covers the check that decides whether a reconcile may skip the API: it must
// say "no" for every spec change the session has not followed yet, and "yes" otherwise, since a
// "no" costs a listing and a wrong "yes" leaves a change unapplied.
func TestResourcesMatchSpec(t *testing.T) {
	repo := v1alpha1.SessionResource{GitHubRepository: &v1alpha1.GitHubRepositoryResource{URL: "https://github.com/acme/app"}}
	file := func(id, mount string) v1alpha1.SessionResource {
		return v1alpha1.SessionResource{File: &v1alpha1.FileResource{FileID: id, MountPath: mount}}
	}
	mountedRepo := v1alpha1.SessionResourceStatus{ID: "sesrsc_1", Type: v1alpha1.SessionResourceGitHubRepository, Source: "https://github.com/acme/app", MountPath: "/workspace/app"}
	mountedFile := v1alpha1.SessionResourceStatus{ID: "sesrsc_2", Type: v1alpha1.SessionResourceFile, Source: "file_a", MountPath: "/mnt/session/uploads/file_a"}
	cases := []struct {
		name, why string
		spec      []v1alpha1.SessionResource
		status    []v1alpha1.SessionResourceStatus
		want      bool
	}{
		{"in sync", "the steady state makes no API call", []v1alpha1.SessionResource{repo, file("file_a", "")},
			[]v1alpha1.SessionResourceStatus{mountedRepo, mountedFile}, true},
		{"file added", "a new file must be mounted", []v1alpha1.SessionResource{repo, file("file_a", ""), file("file_b", "")},
			[]v1alpha1.SessionResourceStatus{mountedRepo, mountedFile}, false},
		{"file removed", "a file no longer listed must be unmounted", []v1alpha1.SessionResource{repo},
			[]v1alpha1.SessionResourceStatus{mountedRepo, mountedFile}, false},
		{"mount path changed", "a file at another path is another mount", []v1alpha1.SessionResource{repo, file("file_a", "/data/a.csv")},
			[]v1alpha1.SessionResourceStatus{mountedRepo, mountedFile}, false},
		{"repository not in status", "a session launched before status.resources existed is listed once", []v1alpha1.SessionResource{repo},
			nil, false},
		{"nothing at all", "a session without resources never lists them", nil, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sess := &v1alpha1.Session{Spec: v1alpha1.SessionSpec{Resources: tc.spec}, Status: v1alpha1.SessionStatus{Resources: tc.status}}
			if got := resourcesMatchSpec(sess); got != tc.want {
				t.Errorf("%s: resourcesMatchSpec = %v, want %v", tc.why, got, tc.want)
			}
		})
	}
}

// TestResourceStatusesKeepDigestsAndBound proves that relisting keeps what status knew of a
// resource (its token digest and rotation time, by id) and never grows past the bound.
func TestResourceStatusesKeepDigestsAndBound(t *testing.T) {
	rotated := metav1.NewTime(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC))
	old := []v1alpha1.SessionResourceStatus{{ID: "sesrsc_repo", Type: v1alpha1.SessionResourceGitHubRepository, TokenDigest: "d1", LastTokenRotation: &rotated}}
	remote := []managedagents.SessionResource{{ID: "sesrsc_repo", Type: "github_repository", URL: "https://github.com/acme/app", MountPath: "/workspace/app"}}
	for i := range 30 {
		remote = append(remote, managedagents.SessionResource{ID: fmt.Sprintf("sesrsc_f%d", i), Type: "file", FileID: "file_x"})
	}
	got := resourceStatuses(remote, old)
	if len(got) != v1alpha1.MaxSessionResources {
		t.Fatalf("%d entries, want the bound %d", len(got), v1alpha1.MaxSessionResources)
	}
	if got[0].TokenDigest != "d1" || got[0].LastTokenRotation == nil || got[0].Source != "https://github.com/acme/app" {
		t.Errorf("the repository's entry lost what status knew: %+v", got[0])
	}
}

// TestTokenDigestIsSalted proves that one token shows as different digests for two resources or two
// Sessions, so that a digest in one object's status says nothing about another's.
func TestTokenDigestIsSalted(t *testing.T) {
	a := tokenDigest("uid-1", "sesrsc_1", "ghp_same")
	for _, other := range []string{tokenDigest("uid-1", "sesrsc_2", "ghp_same"), tokenDigest("uid-2", "sesrsc_1", "ghp_same")} {
		if other == a {
			t.Fatal("equal tokens of different resources or Sessions give equal digests")
		}
	}
	if tokenDigest("uid-1", "sesrsc_1", "ghp_same") != a || tokenDigest("uid-1", "sesrsc_1", "ghp_other") == a {
		t.Fatal("the digest must tell a changed token from an unchanged one")
	}
}

// TestWatchedReferencesAreNotPolled proves that a Session waiting for a reference that its
// controller watches (Agent, Environment, Vault, MemoryStore) is not re-queued on a timer, while a
// reference nothing watches still is.
func TestWatchedReferencesAreNotPolled(t *testing.T) {
	if f := classifyFailure(notReady("Vault", "ns", "v", nil)); f.result.RequeueAfter != 0 || f.err != nil || f.reason != ReasonReferenceNotReady {
		t.Errorf("a watched reference: %+v", f)
	}
	unwatched := &referenceError{reason: ReasonReferenceNotReady, message: "spec.multiagent: Agent ns/a is not ready yet"}
	if f := classifyFailure(unwatched); f.result.RequeueAfter != referencePollInterval {
		t.Errorf("an unwatched reference must still be polled: %+v", f)
	}
}
