// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"errors"
	"slices"
	"strings"
	"testing"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// configMaps is a DataSource over ConfigMaps given as name -> key -> text.
func configMaps(cms map[string]map[string]string) DataSource {
	return func(name string) (map[string][]byte, bool) {
		cm, ok := cms[name]
		if !ok {
			return nil, false
		}
		out := map[string][]byte{}
		for k, v := range cm {
			out[k] = []byte(v)
		}
		return out, true
	}
}

const testSkillMD = "---\nname: release-notes\ndescription: Write release notes.\n---\n# Release notes\n"

func TestSkillUploadFiles(t *testing.T) {
	src := configMaps(map[string]map[string]string{"files": {"SKILL.md": testSkillMD, "format.py": "print(1)"}})
	cases := []struct {
		name, why string
		files     v1alpha1.SkillFiles
		want      []string
		err       string
	}{
		{"every key", "without items each key is a file at its own name", v1alpha1.SkillFiles{ConfigMapRef: v1alpha1.LocalObjectReference{Name: "files"}},
			[]string{"notes/SKILL.md", "notes/format.py"}, ""},
		{"items place keys at paths", "ConfigMap keys cannot hold a /, items can", v1alpha1.SkillFiles{ConfigMapRef: v1alpha1.LocalObjectReference{Name: "files"},
			Items: []v1alpha1.SkillFileItem{{Key: "SKILL.md", Path: "SKILL.md"}, {Key: "format.py", Path: "scripts/format.py"}}},
			[]string{"notes/SKILL.md", "notes/scripts/format.py"}, ""},
		{"missing ConfigMap", "the Skill waits for it", v1alpha1.SkillFiles{ConfigMapRef: v1alpha1.LocalObjectReference{Name: "nope"}},
			nil, "spec.files.configMapRef: ConfigMap nope not found"},
		{"missing item key", "the error names the key", v1alpha1.SkillFiles{ConfigMapRef: v1alpha1.LocalObjectReference{Name: "files"},
			Items: []v1alpha1.SkillFileItem{{Key: "SKILL.md", Path: "SKILL.md"}, {Key: "run.sh", Path: "run.sh"}}},
			nil, "spec.files.items[1]: ConfigMap files has no key run.sh"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SkillUploadFiles(&v1alpha1.SkillSpec{Files: tc.files}, "notes", src)
			if tc.err != "" {
				var missing *MissingReferenceError
				if !errors.As(err, &missing) || err.Error() != tc.err {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var paths []string
			for p := range got {
				paths = append(paths, p)
			}
			slices.Sort(paths)
			if !slices.Equal(paths, tc.want) {
				t.Fatalf("paths %v, want %v", paths, tc.want)
			}
		})
	}
	noSkillMD := configMaps(map[string]map[string]string{"files": {"README.md": "x"}})
	if _, err := SkillUploadFiles(&v1alpha1.SkillSpec{Files: v1alpha1.SkillFiles{ConfigMapRef: v1alpha1.LocalObjectReference{Name: "files"}}}, "d", noSkillMD); err == nil ||
		!strings.Contains(err.Error(), "has no key SKILL.md") {
		t.Fatalf("a ConfigMap without SKILL.md: %v", err)
	}
	a := SkillContentHash(map[string][]byte{"d/a": []byte("bc")})
	if a == SkillContentHash(map[string][]byte{"d/ab": []byte("c")}) || a != SkillContentHash(map[string][]byte{"d/a": []byte("bc")}) {
		t.Fatal("the content hash must tell paths from contents and be stable")
	}
}

func TestSkillsThroughSimulator(t *testing.T) {
	ctx := testContext(t)
	api, sim := simAPI(t)
	files := map[string][]byte{"notes/SKILL.md": []byte(testSkillMD), "notes/scripts/format.py": []byte("print(1)")}
	sk, err := api.CreateSkill(ctx, "Release notes", files)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := sim.SkillVersionFiles(sk.ID, sk.LatestVersionID); !ok || string(got["notes/scripts/format.py"]) != "print(1)" {
		t.Fatalf("uploaded files %v", got)
	}
	v2, err := api.CreateSkillVersion(ctx, sk.ID, map[string][]byte{"notes/SKILL.md": []byte(testSkillMD + "More.\n")})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := api.GetSkill(ctx, sk.ID); err != nil || got.LatestVersionID != v2.ID {
		t.Fatalf("latest after a new version: %v %v", got, err)
	}
	if list, err := api.ListSkills(ctx); err != nil || len(list) != 1 || list[0].DisplayName != "Release notes" {
		t.Fatalf("list: %v %v", list, err)
	}
	if got, err := api.SkillVersionFiles(ctx, sk.ID, sk.LatestVersionID); err != nil || SkillContentHash(got) != SkillContentHash(files) {
		t.Fatalf("downloaded files %v %v", got, err)
	}

	t.Run("an Agent's skillRef follows the latest version", func(t *testing.T) { agentWithSkillRef(t, api, sk.ID, v2.ID) })

	versions, err := api.ListSkillVersions(ctx, sk.ID)
	if err != nil || len(versions) != 2 {
		t.Fatalf("versions %v %v", versions, err)
	}
	if err := api.DeleteSkill(ctx, sk.ID); err == nil || KindOf(err) != KindTerminal {
		t.Fatalf("deleting a skill with versions: %v", err)
	}
	for _, v := range versions {
		if err := api.DeleteSkillVersion(ctx, sk.ID, v.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := api.DeleteSkill(ctx, sk.ID); err != nil {
		t.Fatal(err)
	}
}

// agentWithSkillRef resolves a skillRef to the Skill's id and latest version, and round-trips the
// agent through the simulator without drift.
func agentWithSkillRef(t *testing.T, api Client, skillID, latest string) {
	spec := &v1alpha1.AgentSpec{Name: "a", Model: v1alpha1.ModelConfig{ID: "claude-opus-4-8"},
		Skills: []v1alpha1.AgentSkill{{SkillRef: &v1alpha1.LocalObjectReference{Name: "notes"}}}}
	if _, err := NewAgentParams(spec, nil); err == nil {
		t.Fatal("an unresolved skillRef was translated")
	}
	resolved, waiting := ResolveAgentSkills(spec.Skills, map[string]v1alpha1.SkillStatus{"notes": {ID: skillID, LatestVersion: latest}})
	if len(waiting) != 0 {
		t.Fatalf("waiting for %v", waiting)
	}
	spec.Skills = resolved
	p, err := NewAgentParams(spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	agent, err := api.CreateAgent(testContext(t), p)
	if err != nil || agent.Skills[0].Version != latest {
		t.Fatalf("agent %v %v", agent, err)
	}
	if d := AgentDrift(spec, nil, agent); d != nil {
		t.Fatalf("drift right after create: %v", d)
	}
}

func TestResolveAgentSkills(t *testing.T) {
	in := []v1alpha1.AgentSkill{
		{Type: v1alpha1.SkillAnthropic, SkillID: "xlsx"},
		{SkillRef: &v1alpha1.LocalObjectReference{Name: "ready"}},
		{SkillRef: &v1alpha1.LocalObjectReference{Name: "pinned"}, Version: "skillver_old"},
		{SkillRef: &v1alpha1.LocalObjectReference{Name: "new"}},
		{SkillRef: &v1alpha1.LocalObjectReference{Name: "absent"}},
	}
	out, waiting := ResolveAgentSkills(in, map[string]v1alpha1.SkillStatus{
		"ready":  {ID: "skill_1", LatestVersion: "skillver_2"},
		"pinned": {ID: "skill_3", LatestVersion: "skillver_4"},
		"new":    {ID: "skill_5"}, // created, but no version recorded yet
	})
	if !slices.Equal(waiting, []string{"absent", "new"}) {
		t.Fatalf("waiting %v", waiting)
	}
	if out[1].SkillID != "skill_1" || out[1].Version != "skillver_2" || out[1].Type != v1alpha1.SkillCustom {
		t.Fatalf("resolved %+v", out[1])
	}
	if out[2].Version != "skillver_old" {
		t.Fatalf("a pinned version must stay: %+v", out[2])
	}
	if in[1].SkillID != "" {
		t.Fatal("the input was modified")
	}
}

func TestMemoryStoresThroughSimulator(t *testing.T) {
	ctx := testContext(t)
	api, sim := simAPI(t)
	spec := &v1alpha1.MemoryStoreSpec{Description: "team conventions"}
	st, err := api.CreateMemoryStore(ctx, NewMemoryStoreParams(spec, "team-memory", testOwner))
	if err != nil {
		t.Fatal(err)
	}
	if d := MemoryStoreDrift(spec, "team-memory", testOwner, st); d != nil {
		t.Fatalf("drift right after create: %v", d)
	}
	if found, err := api.FindMemoryStore(ctx, testOwner[v1alpha1.MetadataKeyUID]); err != nil || found == nil || found.ID != st.ID {
		t.Fatalf("find by UID: %v %v", found, err)
	}
	spec.Description, spec.Name = "", "Team memory"
	p, opts := UpdateMemoryStoreParams(spec, "team-memory", testOwner, st)
	if st, err = api.UpdateMemoryStore(ctx, st.ID, p, opts...); err != nil || MemoryStoreDrift(spec, "team-memory", testOwner, st) != nil {
		t.Fatalf("update: %v %v", st, err)
	}

	seed := &v1alpha1.MemorySeed{ConfigMapRef: v1alpha1.LocalObjectReference{Name: "seed"}, PathPrefix: "/team/"}
	mems, err := SeedMemories(seed, configMaps(map[string]map[string]string{"seed": {"b.md": "beta", "a.md": "alpha"}}))
	if err != nil || len(mems) != 2 || mems[0].Path != "/team/a.md" {
		t.Fatalf("seed %v %v", mems, err)
	}
	for _, m := range mems {
		if _, err := api.CreateMemory(ctx, st.ID, m.Path, m.Content); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := api.CreateMemory(ctx, st.ID, "/team/a.md", "other"); !IsConflict(err) {
		t.Fatalf("a taken path must be a Conflict, got %v", err)
	}
	var count, size int64
	if err := api.ListMemories(ctx, st.ID, func(m MemoryListItem) bool { count++; size += m.ContentSizeBytes; return true }); err != nil || count != 2 || size != 9 {
		t.Fatalf("listed %d memories of %d bytes: %v", count, size, err)
	}
	if got, _ := sim.Memories(st.ID); got["/team/a.md"] != "alpha" {
		t.Fatalf("memories %v", got)
	}
	if err := api.ArchiveMemoryStore(ctx, st.ID); err != nil {
		t.Fatal(err)
	}
	if err := api.DeleteMemoryStore(ctx, st.ID); err != nil {
		t.Fatal(err)
	}
}

func TestSeedMemories(t *testing.T) {
	seed := &v1alpha1.MemorySeed{ConfigMapRef: v1alpha1.LocalObjectReference{Name: "seed"}}
	cases := []struct {
		name, why string
		cms       map[string]map[string]string
		err       string
	}{
		{"missing ConfigMap", "the MemoryStore waits for it", nil, "spec.seed.configMapRef: ConfigMap seed not found"},
		{"oversized value", "the API stores at most 100 kB per memory", map[string]map[string]string{"seed": {"big.md": strings.Repeat("x", MaxMemoryBytes+1)}}, "holds 102401 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := SeedMemories(seed, configMaps(tc.cms)); err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %v, want %q", err, tc.err)
			}
		})
	}
	a, _ := SeedMemories(seed, configMaps(map[string]map[string]string{"seed": {"a": "1"}}))
	b, _ := SeedMemories(seed, configMaps(map[string]map[string]string{"seed": {"a": "2"}}))
	if len(a) != 1 || a[0].Path != "/a" || SeedHash(a) == SeedHash(b) {
		t.Fatalf("default prefix or hash: %v %v", a, b)
	}
}
