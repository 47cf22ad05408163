// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"maps"
	"slices"

	"github.com/anthropics/anthropic-sdk-go/v2"
)

// RemoteSkill and SkillVersion are the API's custom skill objects, as the SDK decodes them.
// (v1alpha1.Skill is the Kubernetes kind.)
type (
	RemoteSkill  = anthropic.BetaSkill
	SkillVersion = anthropic.BetaSkillVersion
)

// SkillClient is what the Skill controller needs from the API. Every method returns errors classified
// as *Error and never retries on its own.
//
// Skills carry no metadata, so a remote skill cannot be found by the UID of the Skill that made it;
// the controller keeps the id in status and lists by display name when it lost it.
type SkillClient interface {
	// CreateSkill uploads the files (path inside the upload -> content, for example
	// "release-notes/SKILL.md") as a new skill with its first version. An empty displayName lets the API
	// take the name from SKILL.md.
	CreateSkill(ctx context.Context, displayName string, files map[string][]byte) (*RemoteSkill, error)
	GetSkill(ctx context.Context, id string) (*RemoteSkill, error)
	// ListSkills returns the organization's custom skills, newest first.
	ListSkills(ctx context.Context) ([]RemoteSkill, error)
	// DeleteSkill deletes a skill that has no versions left.
	DeleteSkill(ctx context.Context, id string) error
	// CreateSkillVersion uploads the files as a new version, which becomes the skill's latest.
	CreateSkillVersion(ctx context.Context, skillID string, files map[string][]byte) (*SkillVersion, error)
	// ListSkillVersions returns the skill's versions, newest first.
	ListSkillVersions(ctx context.Context, skillID string) ([]SkillVersion, error)
	DeleteSkillVersion(ctx context.Context, skillID, versionID string) error
	// SkillVersionFiles downloads a version's files (path inside the upload -> content), so that a
	// version made by an upload whose answer was lost can be recognized by its content.
	SkillVersionFiles(ctx context.Context, skillID, versionID string) (map[string][]byte, error)
}

var _ SkillClient = (*sdkClient)(nil)

func (c *sdkClient) CreateSkill(ctx context.Context, displayName string, files map[string][]byte) (*RemoteSkill, error) {
	p := anthropic.BetaSkillNewParams{Files: skillUpload(files), DisplayName: optString(displayName)}
	s, err := c.api.Beta.Skills.New(ctx, p)
	return s, Classify(err)
}

func (c *sdkClient) GetSkill(ctx context.Context, id string) (*RemoteSkill, error) {
	s, err := c.api.Beta.Skills.Get(ctx, id, anthropic.BetaSkillGetParams{})
	return s, Classify(err)
}

func (c *sdkClient) ListSkills(ctx context.Context) ([]RemoteSkill, error) {
	pager := c.api.Beta.Skills.ListAutoPaging(ctx, anthropic.BetaSkillListParams{Source: anthropic.String("custom"), Limit: anthropic.Int(100)})
	var out []RemoteSkill
	for pager.Next() {
		out = append(out, pager.Current())
	}
	return out, Classify(pager.Err())
}

func (c *sdkClient) DeleteSkill(ctx context.Context, id string) error {
	_, err := c.api.Beta.Skills.Delete(ctx, id, anthropic.BetaSkillDeleteParams{})
	return Classify(err)
}

func (c *sdkClient) CreateSkillVersion(ctx context.Context, skillID string, files map[string][]byte) (*SkillVersion, error) {
	v, err := c.api.Beta.Skills.Versions.New(ctx, skillID, anthropic.BetaSkillVersionNewParams{Files: skillUpload(files)})
	return v, Classify(err)
}

func (c *sdkClient) ListSkillVersions(ctx context.Context, skillID string) ([]SkillVersion, error) {
	pager := c.api.Beta.Skills.Versions.ListAutoPaging(ctx, skillID, anthropic.BetaSkillVersionListParams{Limit: anthropic.Int(100)})
	var out []SkillVersion
	for pager.Next() {
		out = append(out, pager.Current())
	}
	return out, Classify(pager.Err())
}

func (c *sdkClient) DeleteSkillVersion(ctx context.Context, skillID, versionID string) error {
	_, err := c.api.Beta.Skills.Versions.Delete(ctx, versionID, anthropic.BetaSkillVersionDeleteParams{SkillID: skillID})
	return Classify(err)
}

func (c *sdkClient) SkillVersionFiles(ctx context.Context, skillID, versionID string) (map[string][]byte, error) {
	resp, err := c.api.Beta.Skills.Versions.Download(ctx, versionID, anthropic.BetaSkillVersionDownloadParams{SkillID: skillID})
	if err != nil {
		return nil, Classify(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4*MaxSkillBytes))
	if err != nil {
		return nil, Classify(err)
	}
	return unzip(body)
}

// unzip reads an archive's files, bounded to MaxSkillBytes in all.
func unzip(body []byte) (map[string][]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		return nil, &Error{Kind: KindTransient, Message: "reading the skill version archive: " + err.Error(), cause: err}
	}
	out := map[string][]byte{}
	total := int64(0)
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, &Error{Kind: KindTransient, Message: "reading the skill version archive: " + err.Error(), cause: err}
		}
		data, err := io.ReadAll(io.LimitReader(rc, MaxSkillBytes+1-total))
		_ = rc.Close()
		if total += int64(len(data)); err != nil || total > MaxSkillBytes {
			return nil, &Error{Kind: KindTransient, Message: "the skill version archive is unreadable or too large"}
		}
		out[f.Name] = data
	}
	return out, nil
}

// skillUpload turns files into the SDK's multipart readers, in path order so that the same files
// always make the same request. Each file's name is its path inside the upload: the API needs the
// directory, and the SDK sends the name as given.
func skillUpload(files map[string][]byte) []io.Reader {
	out := make([]io.Reader, 0, len(files))
	for _, p := range slices.Sorted(maps.Keys(files)) {
		out = append(out, anthropic.File(bytes.NewReader(files[p]), p, "application/octet-stream"))
	}
	return out
}
