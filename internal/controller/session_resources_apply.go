// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"fmt"

	"github.com/anthropics/anthropic-sdk-go/v2"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
)

// reconcileMounts lists the session's resources, mounts the spec's files that are missing and
// unmounts the files the spec no longer lists, then records what is mounted in status.resources.
// Planning from a fresh listing is what makes a retry after a lost answer find the file it added.
func (rs *resourceSync) reconcileMounts(ctx context.Context) {
	sess := rs.sess
	remote, err := rs.api.ListSessionResources(ctx, sess.Status.ID)
	if err != nil {
		rs.fail(fmt.Errorf("listing the session's resources: %w", err))
		return
	}
	plan := managedagents.PlanSessionFiles(&sess.Spec, remote)
	changed := false
	for _, f := range plan.Add {
		if rs.transient != nil {
			return
		}
		changed = rs.addFile(ctx, f) || changed
	}
	for _, id := range plan.Remove {
		if rs.transient != nil {
			return
		}
		changed = rs.removeFile(ctx, remote, id) || changed
	}
	if changed {
		if remote, err = rs.api.ListSessionResources(ctx, sess.Status.ID); err != nil {
			rs.fail(fmt.Errorf("listing the session's resources: %w", err))
			return
		}
	}
	sess.Status.Resources = resourceStatuses(remote, sess.Status.Resources)
}

// addFile mounts one file and reports whether it did.
func (rs *resourceSync) addFile(ctx context.Context, f anthropic.BetaManagedAgentsFileResourceParams) bool {
	sess := rs.sess
	id, err := rs.api.AddSessionFile(ctx, sess.Status.ID, f)
	if err != nil {
		rs.fail(fmt.Errorf("spec.resources: mounting file %s: %w", f.FileID, err))
		return false
	}
	mount := f.MountPath.Or("the default path")
	logf.FromContext(ctx).Info("Mounted file into remote session", "sessionID", sess.Status.ID, "resourceID", id, "fileID", f.FileID, "mountPath", mount)
	rs.r.Recorder.Eventf(sess, nil, corev1.EventTypeNormal, string(ReasonResourceAdded), "AddResource",
		"Mounted file %s at %s (resource %s)", f.FileID, mount, id)
	return true
}

// removeFile unmounts one file and reports whether the session changed; a file already gone counts.
func (rs *resourceSync) removeFile(ctx context.Context, remote []managedagents.SessionResource, id string) bool {
	sess := rs.sess
	err := rs.api.DeleteSessionResource(ctx, sess.Status.ID, id)
	if err != nil && managedagents.KindOf(err) != managedagents.KindNotFound {
		rs.fail(fmt.Errorf("spec.resources: unmounting resource %s: %w", id, err))
		return false
	}
	var fileID, mount string
	for _, m := range remote {
		if m.ID == id {
			fileID, mount = m.FileID, m.MountPath
		}
	}
	logf.FromContext(ctx).Info("Unmounted file from remote session", "sessionID", sess.Status.ID, "resourceID", id, "fileID", fileID, "mountPath", mount)
	rs.r.Recorder.Eventf(sess, nil, corev1.EventTypeNormal, string(ReasonResourceRemoved), "DeleteResource",
		"Unmounted file %s from %s (resource %s)", fileID, mount, id)
	return true
}

// rotateTokens sends each repository's token when its digest differs from the one last sent.
func (rs *resourceSync) rotateTokens(ctx context.Context) {
	sess := rs.sess
	ids := managedagents.RepositoryResourceIDs(&sess.Spec, mountedFromStatus(sess.Status.Resources))
	for i, res := range sess.Spec.Resources {
		token, ok := rs.tokens[i]
		if !ok {
			continue
		}
		field := fmt.Sprintf("spec.resources[%d].githubRepository", i)
		id := ids[i]
		e := statusEntry(sess.Status.Resources, id)
		if e == nil {
			rs.failures = append(rs.failures, fmt.Errorf("%s: the remote session mounts no repository %s", field, res.GitHubRepository.URL))
			continue
		}
		digest := tokenDigest(sess.UID, id, token)
		if e.TokenDigest == digest {
			continue
		}
		if err := rs.api.RotateRepositoryToken(ctx, sess.Status.ID, id, token); err != nil {
			rs.fail(fmt.Errorf("%s: replacing the token of resource %s: %w", field, id, err))
			if rs.transient != nil {
				return
			}
			continue
		}
		rs.noteRotated(ctx, e, digest, res.GitHubRepository)
	}
}

// noteRotated records a rotation in status and in memory (for a reconcile that reads a cache not
// showing the status write yet), and reports it.
func (rs *resourceSync) noteRotated(ctx context.Context, e *v1alpha1.SessionResourceStatus, digest string, repo *v1alpha1.GitHubRepositoryResource) {
	sess := rs.sess
	now := nowTime()
	e.TokenDigest, e.LastTokenRotation = digest, &now
	rs.r.memory.update(client.ObjectKeyFromObject(sess), sess.UID, func(m *sessionMemory) {
		if m.resources.sent == nil {
			m.resources.sent = map[string]sentToken{}
		}
		m.resources.sent[e.ID] = sentToken{digest: digest, at: now}
	})
	logf.FromContext(ctx).Info("Rotated repository token of remote session", "sessionID", sess.Status.ID, "resourceID", e.ID,
		"url", repo.URL, "secret", repo.TokenSecretRef.Name)
	rs.r.Recorder.Eventf(sess, nil, corev1.EventTypeNormal, string(ReasonTokenRotated), "UpdateResource",
		"Sent the new token of repository %s (resource %s) from Secret %s", repo.URL, e.ID, repo.TokenSecretRef.Name)
}

// statusEntry returns the status.resources entry with the id, or nil.
func statusEntry(entries []v1alpha1.SessionResourceStatus, id string) *v1alpha1.SessionResourceStatus {
	for i := range entries {
		if id != "" && entries[i].ID == id {
			return &entries[i]
		}
	}
	return nil
}

// resourceStatuses describes the mounted resources for status, keeping the token digests and
// rotation times recorded for the same resource ids. At most MaxSessionResources entries.
func resourceStatuses(remote []managedagents.SessionResource, old []v1alpha1.SessionResourceStatus) []v1alpha1.SessionResourceStatus {
	out := make([]v1alpha1.SessionResourceStatus, 0, min(len(remote), v1alpha1.MaxSessionResources))
	for _, m := range remote[:min(len(remote), v1alpha1.MaxSessionResources)] {
		e := v1alpha1.SessionResourceStatus{ID: m.ID, Type: v1alpha1.SessionResourceType(m.Type), MountPath: m.MountPath}
		switch e.Type {
		case v1alpha1.SessionResourceGitHubRepository:
			e.Source = m.URL
		case v1alpha1.SessionResourceFile:
			e.Source = m.FileID
		case v1alpha1.SessionResourceMemoryStore:
			e.Source = m.MemoryStoreID
		}
		if prev := statusEntry(old, m.ID); prev != nil {
			e.TokenDigest, e.LastTokenRotation = prev.TokenDigest, prev.LastTokenRotation
		}
		out = append(out, e)
	}
	return out
}

// recordLaunchedResources records the resources of a just launched session. The tokens it was
// created with are known only when this reconcile created it; a session found instead (launched by
// an earlier attempt whose answer was lost) gets its current tokens sent once by the first sync.
func recordLaunchedResources(sess *v1alpha1.Session, remote *managedagents.Session, tokens map[int]string, created bool) {
	sess.Status.Resources = resourceStatuses(remote.Resources, nil)
	if !created {
		return
	}
	ids := managedagents.RepositoryResourceIDs(&sess.Spec, remote.Resources)
	for i, token := range tokens {
		if e := statusEntry(sess.Status.Resources, ids[i]); e != nil {
			e.TokenDigest = tokenDigest(sess.UID, e.ID, token)
		}
	}
}
