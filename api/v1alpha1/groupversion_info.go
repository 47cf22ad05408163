// SPDX-License-Identifier: Apache-2.0

// Package v1alpha1 contains the API types of the claude.anthropic.com group: Agent, Environment
// and Session, the Kubernetes face of Claude Managed Agents.
// +kubebuilder:object:generate=true
// +groupName=claude.anthropic.com
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the group and version of every type in this package.
	GroupVersion = schema.GroupVersion{Group: "claude.anthropic.com", Version: "v1alpha1"}

	// SchemeBuilder registers the types of this package with a runtime.Scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds the types of this package to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion,
		&Agent{}, &AgentList{},
		&Environment{}, &EnvironmentList{},
		&Session{}, &SessionList{},
		&Vault{}, &VaultList{},
		&Skill{}, &SkillList{},
		&MemoryStore{}, &MemoryStoreList{},
		&AgentDeployment{}, &AgentDeploymentList{},
	)
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
