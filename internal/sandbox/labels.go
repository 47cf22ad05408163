// SPDX-License-Identifier: Apache-2.0

package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Labels and annotations the operator puts on sandbox Pods and their Secrets. They are how a
// restarted dispatcher finds its Pods, and how a Session finds its sandbox.
const (
	// LabelEnvironment is the Environment's name (the Pod is in its namespace).
	LabelEnvironment = "claude.anthropic.com/environment"
	// LabelSessionID is the remote session id the Pod works for.
	LabelSessionID = "claude.anthropic.com/session-id"
	// LabelWorkID is the work item the Pod runs.
	LabelWorkID = "claude.anthropic.com/work-id"
	// LabelComponent marks sandbox objects, with the value ComponentSandbox.
	LabelComponent = "app.kubernetes.io/component"
	// LabelManagedBy names the operator as the objects' manager.
	LabelManagedBy = "app.kubernetes.io/managed-by"
	// ComponentSandbox is LabelComponent's value.
	ComponentSandbox = "claude-sandbox"
	// ManagedBy is LabelManagedBy's value.
	ManagedBy = "managed-agents-operator"

	// AnnotationClaimedAt is when the dispatcher claimed the Pod's work item (RFC 3339), for the
	// claim-to-running latency, also across a manager restart.
	AnnotationClaimedAt = "claude.anthropic.com/claimed-at"
)

// Names of the parts the operator injects into a sandbox Pod.
const (
	ContainerInstall = "claude-install-runner"
	ContainerSandbox = "sandbox"
	volumeRunner     = "claude-runner"
	volumeWork       = "claude-work"
	runnerDir        = "/claude/bin"
	runnerPath       = runnerDir + "/sandbox-runner"
	workDir          = "/claude/work"
	// The keys of the per-item Secret.
	secretKeyWorkSecret    = "work-secret"
	secretKeyLastHeartbeat = "last-heartbeat"
	// RunnerImagePath is where the runner is in the operator's image (see the Dockerfile).
	RunnerImagePath = "/sandbox-runner"
)

// podName is the sandbox Pod's name (and its Secret's): the Environment's name and a hash of the
// work item and the claim, so that a re-queued item claimed again gets a Pod of its own.
func podName(envName, workID, lease string) string {
	sum := sha256.Sum256([]byte(workID + "\x00" + lease))
	prefix := envName
	if len(prefix) > 40 {
		prefix = strings.TrimRight(prefix[:40], "-.")
	}
	return prefix + "-sandbox-" + hex.EncodeToString(sum[:])[:10]
}

// labelValue returns v when it is a valid label value, else a hash of it (ids of the API always
// fit; this keeps an unexpected one from failing the Pod's creation).
func labelValue(v string) string {
	if len(validation.IsValidLabelValue(v)) == 0 {
		return v
	}
	sum := sha256.Sum256([]byte(v))
	return "h-" + hex.EncodeToString(sum[:])[:40]
}

// podLabels are the labels that identify a sandbox Pod.
func podLabels(envName, sessionID, workID string) map[string]string {
	return map[string]string{
		LabelEnvironment: labelValue(envName), LabelSessionID: labelValue(sessionID), LabelWorkID: labelValue(workID),
		LabelComponent: ComponentSandbox, LabelManagedBy: ManagedBy,
	}
}
