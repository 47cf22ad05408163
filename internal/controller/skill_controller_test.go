// SPDX-License-Identifier: Apache-2.0

package controller_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

func skillMD(description string) string {
	return "---\nname: release-notes\ndescription: " + description + "\n---\n# Release notes\n"
}

func newSkill(ns, name, configMap string) *v1alpha1.Skill {
	return &v1alpha1.Skill{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: v1alpha1.SkillSpec{
		Files: v1alpha1.SkillFiles{ConfigMapRef: v1alpha1.LocalObjectReference{Name: configMap}, Items: []v1alpha1.SkillFileItem{
			{Key: "SKILL.md", Path: "SKILL.md"}, {Key: "format.py", Path: "scripts/format.py"}}}}}
}

// remoteSkillVersions lists a remote skill's versions.
func remoteSkillVersions(t *testing.T, id string) []string {
	t.Helper()
	page, err := sdk().Beta.Skills.Versions.List(context.Background(), id, anthropic.BetaSkillVersionListParams{Limit: anthropic.Int(100)})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, v := range page.Data {
		ids = append(ids, v.ID)
	}
	return ids
}

// TestSkillFromConfigMap is the Skill test: the ConfigMap's keys are the skill's files,
// editing it makes exactly one new version, and an Agent that uses the Skill without pinning a
// version gets exactly one new agent version.
func TestSkillFromConfigMap(t *testing.T) {
	ns := newNamespace(t)
	configMap(t, ns, "notes-files", map[string]string{"SKILL.md": skillMD("Write release notes."), "format.py": "print(1)\n"})
	skill := newSkill(ns, "release-notes", "notes-files")
	skill.Annotations = map[string]string{v1alpha1.AnnotationResyncPeriod: "1s"}
	create(t, skill)
	key := client.ObjectKeyFromObject(skill)
	s := waitSkill(t, key, "the Skill Ready", func(s *v1alpha1.Skill) bool { return isReady(s.Status.Conditions) })
	files, ok := sim.SkillVersionFiles(s.Status.ID, s.Status.LatestVersion)
	if !ok || string(files["release-notes/scripts/format.py"]) != "print(1)\n" || len(files) != 2 {
		t.Fatalf("uploaded files %v", files)
	}

	agent := newAgent(ns, "writer")
	agent.Spec.Skills = []v1alpha1.AgentSkill{{SkillRef: &v1alpha1.LocalObjectReference{Name: "release-notes"}}}
	create(t, agent)
	a := waitAgent(t, client.ObjectKeyFromObject(agent), "the Agent Ready with the skill", func(a *v1alpha1.Agent) bool { return isReady(a.Status.Conditions) })
	remote, err := sdk().Beta.Agents.Get(context.Background(), a.Status.ID, anthropic.BetaAgentGetParams{})
	if err != nil || remote.Skills[0].SkillID != s.Status.ID || remote.Skills[0].Version != s.Status.LatestVersion {
		t.Fatalf("remote agent skills %v (%v)", remote.Skills, err)
	}

	first := s.Status.LatestVersion
	setConfigMap(t, ns, "notes-files", map[string]string{"SKILL.md": skillMD("Write release notes, grouped by area."), "format.py": "print(1)\n"})
	s = waitSkill(t, key, "a new version", func(s *v1alpha1.Skill) bool { return s.Status.LatestVersion != first && isReady(s.Status.Conditions) })
	waitAgent(t, client.ObjectKeyFromObject(agent), "the Agent on the new version", func(a *v1alpha1.Agent) bool { return a.Status.Version == 2 })
	// Several resyncs later, still exactly one new skill version and one new agent version.
	time.Sleep(3 * time.Second)
	if versions := remoteSkillVersions(t, s.Status.ID); len(versions) != 2 || versions[0] != s.Status.LatestVersion {
		t.Fatalf("remote versions %v, want 2 with %s the latest", versions, s.Status.LatestVersion)
	}
	if a = waitAgent(t, client.ObjectKeyFromObject(agent), "latest", func(*v1alpha1.Agent) bool { return true }); a.Status.Version != 2 {
		t.Fatalf("the agent moved to version %d; want exactly one new version", a.Status.Version)
	}
	if s = waitSkill(t, key, "latest", func(*v1alpha1.Skill) bool { return true }); len(s.Status.VersionHistory) != 2 {
		t.Fatalf("version history %+v", s.Status.VersionHistory)
	}
}

// TestSkillMissingConfigMapWaitsAndDeletes: a Skill waits for its ConfigMap without a hot loop, and
// deleting it (policy Delete) deletes the remote skill with its versions.
func TestSkillMissingConfigMapWaitsAndDeletes(t *testing.T) {
	ns := newNamespace(t)
	skill := newSkill(ns, "later", "later-files")
	create(t, skill)
	key := client.ObjectKeyFromObject(skill)
	s := waitSkill(t, key, "Ready=False naming the ConfigMap", func(s *v1alpha1.Skill) bool {
		return readyReason(s.Status.Conditions) == "ConfigMapNotFound"
	})
	if msg := readyCondition(s.Status.Conditions); !strings.Contains(msg, "ConfigMap later-files not found") {
		t.Fatalf("Ready %q", msg)
	}
	configMap(t, ns, "later-files", map[string]string{"SKILL.md": skillMD("d")})
	waitSkill(t, key, "Ready=False naming the missing key", func(s *v1alpha1.Skill) bool {
		return strings.Contains(readyCondition(s.Status.Conditions), "has no key format.py")
	})
	setConfigMap(t, ns, "later-files", map[string]string{"SKILL.md": skillMD("d"), "format.py": "x"})
	id := waitSkill(t, key, "Ready", func(s *v1alpha1.Skill) bool { return isReady(s.Status.Conditions) }).Status.ID
	if err := k8s.Delete(context.Background(), skill); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the remote skill deleted", func() (bool, string) {
		_, err := sdk().Beta.Skills.Get(context.Background(), id, anthropic.BetaSkillGetParams{})
		return err != nil && strings.Contains(err.Error(), "404"), fmt.Sprint(err)
	})
}
