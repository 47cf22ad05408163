// SPDX-License-Identifier: Apache-2.0

// Package controller holds one reconciler per kind (Agent, Environment, Session) and their shared helpers.
package controller

// The operator's permissions, generated into config/rbac/role.yaml and the Helm chart. Least privilege:
// it reads Secrets and ConfigMaps it is pointed at, and never writes them.
// It updates objects only to add and remove its finalizer, deletes Sessions whose TTL passed, and
// patches status.
// +kubebuilder:rbac:groups=claude.anthropic.com,resources=agents;environments;sessions,verbs=get;list;watch;update;delete
// +kubebuilder:rbac:groups=claude.anthropic.com,resources=agents/status;environments/status;sessions/status,verbs=patch
// +kubebuilder:rbac:groups=claude.anthropic.com,resources=agents/finalizers;environments/finalizers;sessions/finalizers,verbs=update
// +kubebuilder:rbac:groups=claude.anthropic.com,resources=vaults;skills;memorystores,verbs=get;list;watch;update
// +kubebuilder:rbac:groups=claude.anthropic.com,resources=vaults/status;skills/status;memorystores/status,verbs=patch
// +kubebuilder:rbac:groups=claude.anthropic.com,resources=vaults/finalizers;skills/finalizers;memorystores/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=secrets;configmaps,verbs=get;list;watch
// +kubebuilder:rbac:groups="";events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get;list;watch;create;update;patch;delete
