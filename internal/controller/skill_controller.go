// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"errors"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
)

// skillRemote is the Skill's translation for the lifecycle driver: the files of a Skill's ConfigMap
// to a remote custom skill, whose every content change is one new version.
type skillRemote struct {
	// reader reads ConfigMaps straight from the API server: the operator caches only their metadata.
	reader client.Reader
}

var _ remoteKind[*v1alpha1.Skill] = skillRemote{}

func (skillRemote) fields(s *v1alpha1.Skill) managedFields {
	st := &s.Status
	deletion := releaseDelete
	if s.Spec.DeletionPolicy == v1alpha1.SkillDeletionRetain {
		deletion = releaseRetain
	}
	return managedFields{
		ID: &st.ID, ObservedGeneration: &st.ObservedGeneration, ConfigHash: &st.ConfigHash,
		LastSyncTime: &st.LastSyncTime, Conditions: &st.Conditions, Status: st,
		APIKeySecretRef: s.Spec.APIKeySecretRef, Deletion: deletion,
	}
}

// connect reads the files. They go into one top-level directory named after the Skill.
func (r skillRemote) connect(ctx context.Context, s *v1alpha1.Skill, api managedagents.Client) (remoteConnection, error) {
	src, err := readConfigMap(ctx, r.reader, s.Namespace, s.Spec.Files.ConfigMapRef.Name)
	if err != nil {
		return nil, err
	}
	files, err := managedagents.SkillUploadFiles(&s.Spec, s.Name, src)
	var missing *managedagents.MissingReferenceError
	if errors.As(err, &missing) {
		return nil, &referenceError{reason: ReasonConfigMapNotFound, message: missing.Error()}
	}
	if err != nil {
		return nil, err
	}
	content := managedagents.SkillContentHash(files)
	return &skillConnection{api: api, skill: s, files: files, content: content, hash: configHash(s.Spec.DisplayName, content)}, nil
}

// findByUID finds nothing: the API keeps no metadata on skills, so a skill whose create answer was
// lost cannot be told from anyone else's. Status keeps the id from the first successful create on.
func (skillRemote) findByUID(context.Context, managedagents.Client, types.UID) (string, error) {
	return "", nil
}

// release deletes every version of the remote skill, then the skill: the API deletes no skill that
// still has versions.
func (skillRemote) release(ctx context.Context, api managedagents.Client, id string, _ releaseAction) error {
	versions, err := api.ListSkillVersions(ctx, id)
	if err != nil {
		return err
	}
	for _, v := range versions {
		if err := api.DeleteSkillVersion(ctx, id, v.ID); err != nil && !managedagents.IsNotFound(err) {
			return err
		}
	}
	return api.DeleteSkill(ctx, id)
}

// skillConnection is one Skill's files, for one reconcile.
type skillConnection struct {
	api     managedagents.Client
	skill   *v1alpha1.Skill
	files   map[string][]byte
	content string // SkillContentHash of files
	hash    string
}

// skillState is what the driver hands back between the steps: the remote skill and its latest
// version, and whether that version holds this reconcile's files because this reconcile uploaded
// them (uploaded) or because its content says so (holds).
type skillState struct {
	id, latest      string
	uploaded, holds bool
}

func (c *skillConnection) configHash() string { return c.hash }

// observe compares the remote skill's latest version with the files. When the latest version is not
// the one status names (an upload whose answer or status write was lost, or one made outside the
// operator), its content decides: the same files need no upload, other files do.
func (c *skillConnection) observe(ctx context.Context, id string) (observation, error) {
	remote, err := c.api.GetSkill(ctx, id)
	if managedagents.IsNotFound(err) {
		return observation{}, nil
	}
	if err != nil {
		return observation{}, err
	}
	state := skillState{id: remote.ID, latest: remote.LatestVersionID}
	st := c.skill.Status
	var diff []string
	switch {
	case remote.LatestVersionID != st.LatestVersion:
		files, err := c.api.SkillVersionFiles(ctx, remote.ID, remote.LatestVersionID)
		if err != nil {
			return observation{}, err
		}
		if state.holds = managedagents.SkillContentHash(files) == c.content; !state.holds {
			diff = []string{"latest_version"}
		}
	case st.ContentHash != c.content:
		diff = []string{"files"}
	}
	return observation{exists: true, id: remote.ID, detail: "version " + remote.LatestVersionID, diff: diff, remote: state}, nil
}

func (c *skillConnection) create(ctx context.Context) (observation, error) {
	remote, err := c.api.CreateSkill(ctx, c.skill.Spec.DisplayName, c.files)
	if err != nil {
		return observation{}, err
	}
	return observation{exists: true, id: remote.ID, detail: "version " + remote.LatestVersionID,
		remote: skillState{id: remote.ID, latest: remote.LatestVersionID, uploaded: true}}, nil
}

// update uploads the files as a new version.
func (c *skillConnection) update(ctx context.Context, current observation) (observation, error) {
	v, err := c.api.CreateSkillVersion(ctx, current.id, c.files)
	if err != nil {
		return observation{}, err
	}
	return observation{exists: true, id: current.id, detail: "version " + v.ID,
		remote: skillState{id: current.id, latest: v.ID, uploaded: true}}, nil
}

// record keeps the latest version and, when this reconcile uploaded it, its content hash and a
// history entry.
func (c *skillConnection) record(current observation, _ Reason) {
	state := current.remote.(skillState)
	st := &c.skill.Status
	if state.uploaded || state.holds {
		st.ContentHash = c.content
		st.VersionHistory = prependSkillVersion(st.VersionHistory, v1alpha1.SkillVersionRecord{
			Version: state.latest, ContentHash: c.content, Time: nowTime()})
	}
	st.LatestVersion = state.latest
}

// prependSkillVersion adds a record at the front, keeping the newest few.
func prependSkillVersion(history []v1alpha1.SkillVersionRecord, rec v1alpha1.SkillVersionRecord) []v1alpha1.SkillVersionRecord {
	if len(history) > 0 && history[0].Version == rec.Version {
		return history
	}
	history = append([]v1alpha1.SkillVersionRecord{rec}, history...)
	if len(history) > v1alpha1.MaxSkillVersionHistory {
		history = history[:v1alpha1.MaxSkillVersionHistory]
	}
	return history
}
