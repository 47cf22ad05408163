// SPDX-License-Identifier: Apache-2.0

package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// EnvironmentType says where the tools of an Environment's sessions run.
// +kubebuilder:validation:Enum=Cloud;SelfHosted
type EnvironmentType string

const (
	// EnvironmentTypeCloud runs tools in a container in Anthropic's cloud (the API's "cloud" config).
	EnvironmentTypeCloud EnvironmentType = "Cloud"
	// EnvironmentTypeSelfHosted runs tools in a sandbox Pod in this cluster (the API's "self_hosted"
	// config): the operator claims each session's work item and starts a Pod for it.
	EnvironmentTypeSelfHosted EnvironmentType = "SelfHosted"
)

// IsSelfHosted reports whether the spec asks for a self-hosted environment. An empty type is Cloud,
// the default.
func (s *EnvironmentSpec) IsSelfHosted() bool { return s.Type == EnvironmentTypeSelfHosted }

// DefaultEnvironmentKeySecretKey is the Secret key that holds the environment key when
// spec.selfHosted.environmentKeySecretRef names no key.
const DefaultEnvironmentKeySecretKey = "environment-key"

// DefaultSandboxWorkspaceMountPath is where the workspace volume is mounted, and where the agent's
// tools run, when spec.selfHosted.workspace.mountPath is unset.
const DefaultSandboxWorkspaceMountPath = "/workspace"

// Names that the operator gives to the parts it adds to a sandbox Pod. The sandbox template cannot
// use them (the CRD rejects volumes named like this), so the user's volumes never collide with the
// injected ones.
const (
	// SandboxVolumeWorkspace is the workspace volume (emptyDir or a per-Pod PVC).
	SandboxVolumeWorkspace = "workspace"
	// SandboxReservedPrefix starts the name of every other volume the operator injects: the runner
	// binary and the work item's credentials.
	SandboxReservedPrefix = "claude-"
)

// ConditionSandboxesSchedulable is status.selfHosted's condition that says whether sandbox Pods find
// a node; its reasons are Schedulable and Unschedulable.
const ConditionSandboxesSchedulable = "SandboxesSchedulable"

// SelfHostedEnvironment configures the sandbox Pods of a SelfHosted Environment: one Pod per claimed
// work item (a session's turn of tool calls), built from sandboxTemplate, with the operator's
// sandbox runner injected as the container's command. The agent runs arbitrary commands in that
// Pod: choose its image, service account, node pool and runtime class with that in mind.
type SelfHostedEnvironment struct {
	// EnvironmentKeySecretRef names the Secret key that holds the environment key
	// (ANTHROPIC_ENVIRONMENT_KEY), the credential that claims work from the environment's work queue.
	// The Secret is in the Environment's namespace; key defaults to "environment-key". The key never
	// leaves the operator: sandbox Pods get only their work item's own credential.
	EnvironmentKeySecretRef SecretKeyReference `json:"environmentKeySecretRef"`

	// SandboxTemplate is the template of every sandbox Pod. It has no command: the operator's runner is
	// the container's entrypoint, so any image with the tools the agent needs (bash, git, compilers)
	// will do.
	SandboxTemplate SandboxTemplate `json:"sandboxTemplate"`

	// Workspace is the volume that the agent works in, mounted in the sandbox container. Defaults to
	// an emptyDir at /workspace.
	// +optional
	Workspace *SandboxWorkspace `json:"workspace,omitempty"`

	// MaxConcurrentSandboxes caps the sandbox Pods of this Environment that exist at once. Work items
	// beyond it wait in the environment's queue.
	// +kubebuilder:default=10
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	// +optional
	MaxConcurrentSandboxes int32 `json:"maxConcurrentSandboxes,omitempty"`

	// ActiveDeadlineSeconds bounds how long one sandbox Pod may run (the Pod's activeDeadlineSeconds).
	// A Pod past it is stopped by Kubernetes and its work item is stopped. Unset means no deadline.
	// +kubebuilder:validation:Minimum=1
	// +optional
	ActiveDeadlineSeconds *int64 `json:"activeDeadlineSeconds,omitempty"`

	// IdleTimeoutSeconds is how long a sandbox stays up after its session's turn ended, waiting for a
	// follow-up message, before it exits and releases its work item. A later message starts a new
	// sandbox.
	// +kubebuilder:default=60
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=86400
	// +optional
	IdleTimeoutSeconds int32 `json:"idleTimeoutSeconds,omitempty"`
}

// SandboxMetadata is the metadata the operator merges into the metadata of each object it creates
// for a sandbox (its Pod, its workspace claim).
type SandboxMetadata struct {
	// Labels added to each object, for NetworkPolicies, PodSecurity exemptions or cost attribution.
	// Labels with the prefix claude.anthropic.com/ are reserved for the operator.
	// +kubebuilder:validation:MaxProperties=32
	// +kubebuilder:validation:XValidation:rule="self.all(k, !k.startsWith('claude.anthropic.com/'))",message="metadata.labels: the prefix claude.anthropic.com/ is reserved for the operator"
	// +optional
	Labels map[string]string `json:"labels,omitempty"`

	// Annotations added to each object, for example for workload identity or a service mesh.
	// +kubebuilder:validation:MaxProperties=32
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// SandboxTemplate is the part of a sandbox Pod that users choose. The operator sets the rest: the
// runner as the command, the workspace volume, the work item's credentials, and secure defaults for
// every security setting left unset here (non-root, no privilege escalation, all capabilities
// dropped, RuntimeDefault seccomp, no service account token).
type SandboxTemplate struct {
	// Metadata is merged into each sandbox Pod's labels and annotations.
	// +optional
	Metadata *SandboxMetadata `json:"metadata,omitempty"`

	// Image of the sandbox container: the toolchain the agent's bash, file and search tools use. It
	// needs /bin/bash. Its entrypoint and command are replaced by the sandbox runner.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Image string `json:"image"`

	// ImagePullPolicy of the sandbox container. Defaults as Kubernetes does (Always for :latest,
	// IfNotPresent otherwise).
	// +kubebuilder:validation:Enum=Always;IfNotPresent;Never
	// +optional
	ImagePullPolicy corev1.PullPolicy `json:"imagePullPolicy,omitempty"`

	// ImagePullSecrets for the sandbox image, Secrets in the Environment's namespace.
	// +kubebuilder:validation:MaxItems=16
	// +listType=atomic
	// +optional
	ImagePullSecrets []corev1.LocalObjectReference `json:"imagePullSecrets,omitempty"`

	// Resources of the sandbox container: what one session's tools may use.
	// +optional
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`

	// Env sets environment variables in the sandbox container, which the agent's commands see. Names
	// starting with ANTHROPIC_ are reserved for the runner (and hidden from the agent's shell).
	// +kubebuilder:validation:MaxItems=128
	// +kubebuilder:validation:XValidation:rule="self.all(e, !e.name.startsWith('ANTHROPIC_'))",message="spec.selfHosted.sandboxTemplate.env: names starting with ANTHROPIC_ are reserved for the sandbox runner"
	// +listType=atomic
	// +optional
	Env []corev1.EnvVar `json:"env,omitempty"`

	// EnvFrom fills environment variables from ConfigMaps or Secrets in the Environment's namespace.
	// +kubebuilder:validation:MaxItems=16
	// +listType=atomic
	// +optional
	EnvFrom []corev1.EnvFromSource `json:"envFrom,omitempty"`

	// Volumes added to the sandbox Pod. The name workspace and names starting with claude- are
	// reserved for the volumes the operator injects.
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:XValidation:rule="self.all(v, v.name != 'workspace' && !v.name.startsWith('claude-'))",message="spec.selfHosted.sandboxTemplate.volumes: the name workspace and names starting with claude- are reserved for the operator's volumes"
	// +listType=atomic
	// +optional
	Volumes []corev1.Volume `json:"volumes,omitempty"`

	// VolumeMounts of the sandbox container, for the volumes above.
	// +kubebuilder:validation:MaxItems=32
	// +listType=atomic
	// +optional
	VolumeMounts []corev1.VolumeMount `json:"volumeMounts,omitempty"`

	// SecurityContext of the sandbox container. Fields left unset get the operator's secure defaults.
	// +optional
	SecurityContext *corev1.SecurityContext `json:"securityContext,omitempty"`

	// PodSecurityContext of the sandbox Pod. Fields left unset get the operator's secure defaults
	// (runAsNonRoot, RuntimeDefault seccomp).
	// +optional
	PodSecurityContext *corev1.PodSecurityContext `json:"podSecurityContext,omitempty"`

	// NodeSelector places sandbox Pods on matching nodes, for example a dedicated sandbox node pool.
	// +optional
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`

	// Tolerations let sandbox Pods run on tainted (dedicated) nodes.
	// +kubebuilder:validation:MaxItems=32
	// +listType=atomic
	// +optional
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`

	// Affinity constrains where sandbox Pods are scheduled.
	// +optional
	Affinity *corev1.Affinity `json:"affinity,omitempty"`

	// RuntimeClassName runs sandbox Pods under a RuntimeClass, for example gVisor (runsc) or Kata
	// Containers. Recommended: the agent runs arbitrary commands in the sandbox.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	RuntimeClassName *string `json:"runtimeClassName,omitempty"`

	// PriorityClassName of sandbox Pods.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	PriorityClassName string `json:"priorityClassName,omitempty"`

	// ServiceAccountName runs sandbox Pods as this ServiceAccount of the Environment's namespace, for
	// example one bound to a cloud workload identity. Defaults to the namespace's default account.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	ServiceAccountName string `json:"serviceAccountName,omitempty"`

	// AutomountServiceAccountToken mounts the ServiceAccount's API token into the sandbox. Off unless
	// set to true: the agent could use the token against the Kubernetes API.
	// +optional
	AutomountServiceAccountToken *bool `json:"automountServiceAccountToken,omitempty"`
}

// SandboxWorkspace is the volume the agent works in. Set at most one of emptyDir and
// volumeClaimTemplate; with neither, the workspace is an emptyDir.
// +kubebuilder:validation:XValidation:rule="!(has(self.emptyDir) && has(self.volumeClaimTemplate))",message="spec.selfHosted.workspace: set at most one of emptyDir and volumeClaimTemplate"
type SandboxWorkspace struct {
	// MountPath of the workspace in the sandbox container. The agent's tools run in it and their
	// relative paths resolve against it. Defaults to /workspace.
	// +kubebuilder:validation:Pattern=`^/.+`
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	MountPath string `json:"mountPath,omitempty"`

	// EmptyDir makes the workspace an emptyDir (the default): it lives and dies with the Pod. Set it
	// to choose a medium or a size limit.
	// +optional
	EmptyDir *corev1.EmptyDirVolumeSource `json:"emptyDir,omitempty"`

	// VolumeClaimTemplate makes the workspace a PersistentVolumeClaim created for each sandbox Pod
	// from this template (a generic ephemeral volume), deleted with the Pod. Use it for workspaces
	// larger than node-local storage allows.
	// +optional
	VolumeClaimTemplate *SandboxVolumeClaimTemplate `json:"volumeClaimTemplate,omitempty"`
}

// SandboxVolumeClaimTemplate is the PersistentVolumeClaim created for each sandbox Pod's workspace.
type SandboxVolumeClaimTemplate struct {
	// Metadata is merged into each claim's labels and annotations.
	// +optional
	Metadata *SandboxMetadata `json:"metadata,omitempty"`

	// Spec of each claim: access modes, storage class and size.
	Spec corev1.PersistentVolumeClaimSpec `json:"spec"`
}

// SelfHostedEnvironmentStatus is the observed state of a SelfHosted Environment's work queue and
// sandbox Pods.
type SelfHostedEnvironmentStatus struct {
	// QueueDepth is the number of work items waiting in the environment's work queue, as the API last
	// reported it: sessions whose tools wait for a sandbox.
	// +optional
	QueueDepth int64 `json:"queueDepth"`

	// ActiveSandboxes is the number of sandbox Pods that are running a work item.
	// +optional
	ActiveSandboxes int32 `json:"activeSandboxes"`

	// PendingSandboxes is the number of sandbox Pods created for a claimed work item that are not
	// running yet (scheduling, pulling the image, starting).
	// +optional
	PendingSandboxes int32 `json:"pendingSandboxes"`

	// OldestQueuedTime is when the oldest work item still in the queue was queued, or unset when the
	// queue is empty.
	// +optional
	OldestQueuedTime *metav1.Time `json:"oldestQueuedTime,omitempty"`

	// LastQueueCheckTime is when the operator last read the queue's statistics from the API.
	// +optional
	LastQueueCheckTime *metav1.Time `json:"lastQueueCheckTime,omitempty"`

	// Conditions of the sandboxes: SandboxesSchedulable is False while sandbox Pods wait for a node
	// that can take them (the scheduler's message says why). The sandbox dispatcher writes them.
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=4
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}
