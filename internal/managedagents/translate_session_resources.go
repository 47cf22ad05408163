// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"github.com/anthropics/anthropic-sdk-go/v2"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// FilePlan is what makes a running session's files match spec.resources: the API lets a session gain
// and lose files (repositories and memory stores are fixed at creation, which admission enforces).
type FilePlan struct {
	// Add lists the spec's files that are not mounted, in spec order.
	Add []anthropic.BetaManagedAgentsFileResourceParams
	// Remove lists the ids of mounted files that the spec no longer lists.
	Remove []string
}

// fileMount is a file resource's identity: the file and where it is mounted (the API's default
// mount path when the spec sets none).
func fileMount(fileID, mountPath string) string {
	if mountPath == "" {
		mountPath = "/mnt/session/uploads/" + fileID
	}
	return fileID + "\x00" + mountPath
}

// PlanSessionFiles compares the spec's file resources with the session's mounted resources.
func PlanSessionFiles(spec *v1alpha1.SessionSpec, remote []SessionResource) FilePlan {
	mounted := map[string]string{} // fileMount -> resource id
	for _, r := range remote {
		if r.Type == "file" {
			mounted[fileMount(r.FileID, r.MountPath)] = r.ID
		}
	}
	var plan FilePlan
	wanted := map[string]bool{}
	for _, r := range spec.Resources {
		if r.File == nil {
			continue
		}
		key := fileMount(r.File.FileID, r.File.MountPath)
		wanted[key] = true
		if _, ok := mounted[key]; !ok {
			plan.Add = append(plan.Add, anthropic.BetaManagedAgentsFileResourceParams{FileID: r.File.FileID, MountPath: optString(r.File.MountPath)})
		}
	}
	for _, r := range remote {
		if r.Type == "file" && !wanted[fileMount(r.FileID, r.MountPath)] {
			plan.Remove = append(plan.Remove, r.ID)
		}
	}
	return plan
}

// RepositoryResourceIDs maps the index of each spec.resources repository to the id of the mounted
// resource for it (matched by URL, and by mount path when the spec sets one), the id that
// RotateRepositoryToken takes. Repositories without a match are left out.
func RepositoryResourceIDs(spec *v1alpha1.SessionSpec, remote []SessionResource) map[int]string {
	out := map[int]string{}
	taken := map[string]bool{}
	for i, r := range spec.Resources {
		g := r.GitHubRepository
		if g == nil {
			continue
		}
		for _, m := range remote {
			if m.Type == "github_repository" && !taken[m.ID] && m.URL == g.URL && (g.MountPath == "" || g.MountPath == m.MountPath) {
				out[i], taken[m.ID] = m.ID, true
				break
			}
		}
	}
	return out
}
