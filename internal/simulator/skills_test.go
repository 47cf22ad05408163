// SPDX-License-Identifier: Apache-2.0

package simulator_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"

	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

// skillFixture is a skill and its versions, oldest first.
type skillFixture struct {
	h        *harness
	ctx      context.Context
	skillID  string
	versions []string
}

func TestSkillsAndVersions(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	sk := h.skill(ctx, map[string]string{"pdf-tools/SKILL.md": skillMD("pdf-tools", "Fill PDF forms"), "pdf-tools/scripts/fill.py": "print(1)\n"})
	want := `{"type":"skill","id":"` + sk.ID + `","display_name":"pdf-tools","latest_version_id":"` + sk.LatestVersionID +
		`","source":{"type":"custom"},"created_at":"` + sk.CreatedAt.Format(time.RFC3339Nano) + `","updated_at":"` +
		sk.UpdatedAt.Format(time.RFC3339Nano) + `"}`
	if !strings.HasPrefix(sk.ID, "skill_") || !strings.HasPrefix(sk.LatestVersionID, "skillver_") || !sameJSON(sk.RawJSON(), want) {
		t.Fatalf("skill %s", sk.RawJSON())
	}
	f := &skillFixture{h: h, ctx: ctx, skillID: sk.ID, versions: []string{sk.LatestVersionID}}

	t.Run("the files arrive with their paths", f.filesArrive)
	t.Run("a display name may be given", func(t *testing.T) {
		named, err := h.client.Beta.Skills.New(ctx, anthropic.BetaSkillNewParams{DisplayName: anthropic.String("PDF tools (team A)"),
			Files: upload(map[string]string{"x/SKILL.md": skillMD("pdf-tools", "Same name, other skill")})})
		if err != nil || named.DisplayName != "PDF tools (team A)" || named.ID == sk.ID {
			t.Fatalf("named skill %v %v", named, err)
		}
	})
	t.Run("a new version becomes the latest", f.newVersion)
	t.Run("download is a zip of the files", f.download)
	t.Run("agents pin a custom skill's latest version", f.agentsPin)
	t.Run("a skill goes once its versions are gone", f.deleteAll)
}

func (f *skillFixture) filesArrive(t *testing.T) {
	files, ok := f.h.sim.SkillVersionFiles(f.skillID, f.versions[0])
	if !ok || len(files) != 2 || string(files["pdf-tools/scripts/fill.py"]) != "print(1)\n" {
		t.Fatalf("files %v", files)
	}
	ver, err := f.h.client.Beta.Skills.Versions.Get(f.ctx, f.versions[0], anthropic.BetaSkillVersionGetParams{SkillID: f.skillID})
	if err != nil || ver.Name != "pdf-tools" || ver.Description != "Fill PDF forms" || ver.SkillID != f.skillID {
		t.Fatalf("version %v %v", ver, err)
	}
}

func (f *skillFixture) newVersion(t *testing.T) {
	ver, err := f.h.client.Beta.Skills.Versions.New(f.ctx, f.skillID, anthropic.BetaSkillVersionNewParams{
		Files: upload(map[string]string{"pdf-tools/SKILL.md": skillMD("pdf-tools", "Fill and sign PDF forms")})})
	if err != nil {
		t.Fatal(err)
	}
	f.versions = append(f.versions, ver.ID)
	got, _ := f.h.client.Beta.Skills.Get(f.ctx, f.skillID, anthropic.BetaSkillGetParams{})
	if got.LatestVersionID != ver.ID || ver.ID == f.versions[0] {
		t.Fatalf("latest %s after creating %s", got.LatestVersionID, ver.ID)
	}
	page, err := f.h.client.Beta.Skills.Versions.List(f.ctx, f.skillID, anthropic.BetaSkillVersionListParams{})
	if err != nil || len(page.Data) != 2 || page.Data[0].ID != ver.ID {
		t.Fatalf("versions, newest first: %v %v", page, err)
	}
}

func (f *skillFixture) download(t *testing.T) {
	resp, err := f.h.client.Beta.Skills.Versions.Download(f.ctx, f.versions[0], anthropic.BetaSkillVersionDownloadParams{SkillID: f.skillID})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil || len(zr.File) != 2 || zr.File[0].Name != "pdf-tools/SKILL.md" {
		t.Fatalf("archive: %v %v", zr, err)
	}
}

func (f *skillFixture) agentsPin(t *testing.T) {
	latest := f.h.agent(f.ctx, anthropic.BetaAgentNewParams{Skills: []anthropic.BetaManagedAgentsSkillParamsUnion{
		{OfCustom: &anthropic.BetaManagedAgentsCustomSkillParams{SkillID: f.skillID}}}})
	pinned := f.h.agent(f.ctx, anthropic.BetaAgentNewParams{Skills: []anthropic.BetaManagedAgentsSkillParamsUnion{
		{OfCustom: &anthropic.BetaManagedAgentsCustomSkillParams{SkillID: f.skillID, Version: anthropic.String(f.versions[0])}}}})
	if latest.Skills[0].Version != f.versions[1] || pinned.Skills[0].Version != f.versions[0] {
		t.Fatalf("agent skills %s and %s", latest.RawJSON(), pinned.RawJSON())
	}
}

func (f *skillFixture) deleteAll(t *testing.T) {
	_, err := f.h.client.Beta.Skills.Delete(f.ctx, f.skillID, anthropic.BetaSkillDeleteParams{})
	wantAPIError(t, err, 400, "invalid_request_error", "delete them before the skill")
	for _, id := range f.versions {
		del, err := f.h.client.Beta.Skills.Versions.Delete(f.ctx, id, anthropic.BetaSkillVersionDeleteParams{SkillID: f.skillID})
		if err != nil || del.ID != id || del.Type != "skill_version_deleted" {
			t.Fatalf("delete version: %v %v", del, err)
		}
	}
	if _, err := f.h.client.Beta.Skills.Delete(f.ctx, f.skillID, anthropic.BetaSkillDeleteParams{}); err != nil {
		t.Fatal(err)
	}
	_, err = f.h.client.Beta.Skills.Get(f.ctx, f.skillID, anthropic.BetaSkillGetParams{})
	wantAPIError(t, err, 404, "not_found_error", f.skillID)
}

func TestSkillUploadErrors(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	sk := h.skill(ctx, map[string]string{"report/SKILL.md": skillMD("report", "Write reports")})
	cases := []struct {
		name, why string
		files     map[string]string
		msg       string
	}{
		{"no SKILL.md", "the skill's root needs SKILL.md", map[string]string{"report/README.md": "x"}, "report/SKILL.md is required"},
		{"two directories", "all files share one top-level directory", map[string]string{"report/SKILL.md": skillMD("report", "d"), "other/x.md": "x"}, "same top-level directory"},
		{"file at the root", "files live inside the skill's directory", map[string]string{"SKILL.md": skillMD("report", "d")}, "top-level directory"},
		{"no frontmatter", "name and description come from frontmatter", map[string]string{"report/SKILL.md": "# report\n"}, "frontmatter"},
		{"upper-case name", "names are kebab-case", map[string]string{"report/SKILL.md": skillMD("Report", "d")}, "lowercase"},
		{"reserved word", "names must not claim to be Anthropic's", map[string]string{"report/SKILL.md": skillMD("claude-helper", "d")}, "reserved"},
		{"no description", "the agent decides from the description", map[string]string{"report/SKILL.md": "---\nname: report\n---\n"}, "description is required"},
		{"escaping path", "paths stay inside the upload", map[string]string{"report/SKILL.md": skillMD("report", "d"), "report/../../etc/passwd": "x"}, "clean relative path"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.client.Beta.Skills.New(ctx, anthropic.BetaSkillNewParams{Files: upload(tc.files)})
			wantAPIError(t, err, 400, "invalid_request_error", tc.msg)
		})
	}
	t.Run("a version cannot rename the skill", func(t *testing.T) {
		_, err := h.client.Beta.Skills.Versions.New(ctx, sk.ID, anthropic.BetaSkillVersionNewParams{
			Files: upload(map[string]string{"report/SKILL.md": skillMD("reports", "d")})})
		wantAPIError(t, err, 400, "invalid_request_error", "cannot change")
	})
	t.Run("agents cannot use unknown skills or versions", func(t *testing.T) {
		_, err := h.client.Beta.Agents.New(ctx, anthropic.BetaAgentNewParams{Name: "a", Model: model("claude-opus-4-8"),
			Skills: []anthropic.BetaManagedAgentsSkillParamsUnion{{OfCustom: &anthropic.BetaManagedAgentsCustomSkillParams{SkillID: "skill_nope"}}}})
		wantAPIError(t, err, 404, "not_found_error", "skills[0].skill_id: skill skill_nope not found")
		_, err = h.client.Beta.Agents.New(ctx, anthropic.BetaAgentNewParams{Name: "a", Model: model("claude-opus-4-8"),
			Skills: []anthropic.BetaManagedAgentsSkillParamsUnion{{OfCustom: &anthropic.BetaManagedAgentsCustomSkillParams{
				SkillID: sk.ID, Version: anthropic.String("skillver_nope")}}}})
		wantAPIError(t, err, 404, "not_found_error", "skills[0].version")
	})
	t.Run("list filters by source", func(t *testing.T) {
		custom, err := h.client.Beta.Skills.List(ctx, anthropic.BetaSkillListParams{Source: anthropic.String("custom")})
		if err != nil || len(custom.Data) != 1 {
			t.Fatalf("custom skills: %v %v", custom, err)
		}
		builtin, err := h.client.Beta.Skills.List(ctx, anthropic.BetaSkillListParams{Source: anthropic.String("anthropic")})
		if err != nil || len(builtin.Data) != 0 {
			t.Fatalf("anthropic skills: %v %v", builtin, err)
		}
	})
}
