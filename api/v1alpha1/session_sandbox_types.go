// SPDX-License-Identifier: Apache-2.0

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// SessionSandbox is what a Session shows of the sandbox Pod that runs its tools on a SelfHosted
// Environment: one Pod per claimed work item, so a long session may see several in turn.
type SessionSandbox struct {
	// PodName is the sandbox Pod's name, in the Session's namespace (kubectl claude logs --sandbox).
	// +kubebuilder:validation:MaxLength=253
	PodName string `json:"podName"`

	// WorkID is the work item the Pod runs.
	// +kubebuilder:validation:MaxLength=128
	// +optional
	WorkID string `json:"workID,omitempty"`

	// NodeName is the node the Pod was scheduled to; empty until it is scheduled.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	NodeName string `json:"nodeName,omitempty"`

	// Phase is the Pod's phase (Pending, Running, Succeeded, Failed), or Deleted once the Pod is gone.
	// +kubebuilder:validation:MaxLength=32
	// +optional
	Phase string `json:"phase,omitempty"`

	// Reason is why the Pod failed or is not running yet, as Kubernetes reports it (for example
	// ImagePullBackOff, OOMKilled, Evicted, DeadlineExceeded, Unschedulable).
	// +kubebuilder:validation:MaxLength=128
	// +optional
	Reason string `json:"reason,omitempty"`

	// Message explains Reason, truncated to 512 characters.
	// +kubebuilder:validation:MaxLength=512
	// +optional
	Message string `json:"message,omitempty"`

	// StartTime is when the sandbox container started running.
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`

	// FinishTime is when the sandbox container ended, or when the Pod was found gone.
	// +optional
	FinishTime *metav1.Time `json:"finishTime,omitempty"`
}

// SandboxPhaseDeleted is SessionSandbox.Phase once its Pod no longer exists.
const SandboxPhaseDeleted = "Deleted"

// ConditionSandboxHealthy is a SelfHosted Session's condition about its sandboxes: False with the
// Pod's reason (ImagePullBackOff, OOMKilled, Evicted, PodDeleted, LeaseLost...) once a sandbox
// failed, until a new sandbox runs; True while the newest sandbox runs or after it ended well.
const ConditionSandboxHealthy = "SandboxHealthy"
