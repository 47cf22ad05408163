// SPDX-License-Identifier: Apache-2.0

package sandbox

import (
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// defaultSandboxUser is the uid and gid sandbox containers run as when the template sets none:
// runAsNonRoot alone would refuse every image whose user is root, which most toolchain images are.
const defaultSandboxUser int64 = 65532

// PodOptions are the operator-wide settings of sandbox Pods.
type PodOptions struct {
	// RunnerImage is the image the init container copies the runner out of (the operator's own).
	RunnerImage string
	// RunnerImagePullPolicy of the init container; empty lets Kubernetes decide.
	RunnerImagePullPolicy corev1.PullPolicy
	// APIBaseURL is passed to the runner; empty uses the SDK's default.
	APIBaseURL string
	// TerminationLog is the file the runner writes its outcome to; empty writes none.
	TerminationLog string
}

// claim is one claimed work item, as the Pod needs it.
type claim struct {
	environmentID string
	workID        string
	sessionID     string
	lease         string // the claim heartbeat's token, which the runner continues
	claimedAt     time.Time
}

// buildPod returns the sandbox Pod for a claimed item: the template with the runner injected and
// the operator's secure defaults for whatever the template leaves unset.
func buildPod(env *v1alpha1.Environment, c claim, opts PodOptions) *corev1.Pod {
	sh := env.Spec.SelfHosted
	t := &sh.SandboxTemplate
	name := podName(env.Name, c.workID, c.lease)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: env.Namespace,
			Labels:          merge(templateLabels(t.Metadata), podLabels(env.Name, c.sessionID, c.workID)),
			Annotations:     merge(templateAnnotations(t.Metadata), map[string]string{AnnotationClaimedAt: c.claimedAt.UTC().Format(time.RFC3339Nano)}),
			OwnerReferences: []metav1.OwnerReference{environmentOwner(env)},
		},
		Spec: corev1.PodSpec{
			RestartPolicy:                 corev1.RestartPolicyNever,
			ActiveDeadlineSeconds:         sh.ActiveDeadlineSeconds,
			AutomountServiceAccountToken:  ptr.To(ptr.Deref(t.AutomountServiceAccountToken, false)),
			ServiceAccountName:            t.ServiceAccountName,
			EnableServiceLinks:            ptr.To(false),
			NodeSelector:                  t.NodeSelector,
			Tolerations:                   t.Tolerations,
			Affinity:                      t.Affinity,
			RuntimeClassName:              t.RuntimeClassName,
			PriorityClassName:             t.PriorityClassName,
			ImagePullSecrets:              t.ImagePullSecrets,
			SecurityContext:               podSecurityContext(t.PodSecurityContext),
			TerminationGracePeriodSeconds: ptr.To[int64](30),
			InitContainers:                []corev1.Container{installContainer(opts)},
			Containers:                    []corev1.Container{sandboxContainer(env, c, opts)},
			Volumes:                       volumes(env, name),
		},
	}
	return pod
}

// installContainer copies the runner out of the operator's image into the shared volume.
func installContainer(opts PodOptions) corev1.Container {
	return corev1.Container{
		Name: ContainerInstall, Image: opts.RunnerImage, ImagePullPolicy: opts.RunnerImagePullPolicy,
		Command:         []string{RunnerImagePath, "install", runnerPath},
		VolumeMounts:    []corev1.VolumeMount{{Name: volumeRunner, MountPath: runnerDir}},
		SecurityContext: containerSecurityContext(nil),
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("16Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")},
		},
		TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
	}
}

// sandboxContainer runs the runner in the user's image. Every input is an ANTHROPIC_* variable,
// which the runner hides from the agent's shell; credentials are files of the item's Secret.
func sandboxContainer(env *v1alpha1.Environment, c claim, opts PodOptions) corev1.Container {
	sh := env.Spec.SelfHosted
	t := &sh.SandboxTemplate
	ws := workspaceMountPath(sh)
	runnerEnv := []corev1.EnvVar{
		{Name: "ANTHROPIC_ENVIRONMENT_ID", Value: c.environmentID},
		{Name: "ANTHROPIC_WORK_ID", Value: c.workID},
		{Name: "ANTHROPIC_SESSION_ID", Value: c.sessionID},
		{Name: "ANTHROPIC_WORK_SECRET_FILE", Value: workDir + "/" + secretKeyWorkSecret},
		{Name: "ANTHROPIC_WORK_LAST_HEARTBEAT_FILE", Value: workDir + "/" + secretKeyLastHeartbeat},
		{Name: "ANTHROPIC_SANDBOX_WORKSPACE", Value: ws},
		{Name: "ANTHROPIC_SANDBOX_MAX_IDLE", Value: strconv.Itoa(int(max(sh.IdleTimeoutSeconds, 1))) + "s"},
	}
	if opts.APIBaseURL != "" {
		runnerEnv = append(runnerEnv, corev1.EnvVar{Name: "ANTHROPIC_BASE_URL", Value: opts.APIBaseURL})
	}
	if opts.TerminationLog != "" {
		runnerEnv = append(runnerEnv, corev1.EnvVar{Name: "ANTHROPIC_SANDBOX_TERMINATION_LOG", Value: opts.TerminationLog})
	}
	mounts := append([]corev1.VolumeMount{
		{Name: v1alpha1.SandboxVolumeWorkspace, MountPath: ws},
		{Name: volumeRunner, MountPath: runnerDir, ReadOnly: true},
		{Name: volumeWork, MountPath: workDir, ReadOnly: true},
	}, t.VolumeMounts...)
	ctr := corev1.Container{
		Name: ContainerSandbox, Image: t.Image, ImagePullPolicy: t.ImagePullPolicy,
		Command: []string{runnerPath}, WorkingDir: ws,
		Env: append(runnerEnv, t.Env...), EnvFrom: t.EnvFrom,
		VolumeMounts:             mounts,
		SecurityContext:          containerSecurityContext(t.SecurityContext),
		TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
	}
	if opts.TerminationLog != "" {
		ctr.TerminationMessagePath = opts.TerminationLog
	}
	if t.Resources != nil {
		ctr.Resources = *t.Resources
	}
	return ctr
}

// volumes are the workspace, the runner's volume, the item's Secret, and the template's own.
func volumes(env *v1alpha1.Environment, secretName string) []corev1.Volume {
	sh := env.Spec.SelfHosted
	vols := []corev1.Volume{
		{Name: v1alpha1.SandboxVolumeWorkspace, VolumeSource: workspaceSource(sh.Workspace)},
		{Name: volumeRunner, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{SizeLimit: ptr.To(resource.MustParse("256Mi"))}}},
		{Name: volumeWork, VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
			SecretName: secretName, DefaultMode: ptr.To[int32](0o440),
		}}},
	}
	return append(vols, sh.SandboxTemplate.Volumes...)
}

func workspaceSource(ws *v1alpha1.SandboxWorkspace) corev1.VolumeSource {
	switch {
	case ws != nil && ws.VolumeClaimTemplate != nil:
		vct := ws.VolumeClaimTemplate
		return corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{VolumeClaimTemplate: &corev1.PersistentVolumeClaimTemplate{
			ObjectMeta: metav1.ObjectMeta{Labels: templateLabels(vct.Metadata), Annotations: templateAnnotations(vct.Metadata)},
			Spec:       vct.Spec,
		}}}
	case ws != nil && ws.EmptyDir != nil:
		return corev1.VolumeSource{EmptyDir: ws.EmptyDir.DeepCopy()}
	}
	return corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}
}

func workspaceMountPath(sh *v1alpha1.SelfHostedEnvironment) string {
	if sh.Workspace != nil && sh.Workspace.MountPath != "" {
		return sh.Workspace.MountPath
	}
	return v1alpha1.DefaultSandboxWorkspaceMountPath
}

// podSecurityContext fills what the template leaves unset with the secure defaults: a non-root
// user and group, the Pod's files owned by that group, and the runtime's default seccomp profile.
func podSecurityContext(in *corev1.PodSecurityContext) *corev1.PodSecurityContext {
	sc := &corev1.PodSecurityContext{}
	if in != nil {
		sc = in.DeepCopy()
	}
	if sc.RunAsNonRoot == nil {
		sc.RunAsNonRoot = ptr.To(true)
	}
	if sc.RunAsUser == nil {
		sc.RunAsUser = ptr.To(defaultSandboxUser)
	}
	if sc.RunAsGroup == nil {
		sc.RunAsGroup = ptr.To(defaultSandboxUser)
	}
	if sc.FSGroup == nil {
		sc.FSGroup = ptr.To(defaultSandboxUser)
	}
	if sc.SeccompProfile == nil {
		sc.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}
	}
	return sc
}

// containerSecurityContext fills what the template leaves unset: no privilege escalation, every
// capability dropped, non-root, RuntimeDefault seccomp (the restricted Pod Security Standard).
func containerSecurityContext(in *corev1.SecurityContext) *corev1.SecurityContext {
	sc := &corev1.SecurityContext{}
	if in != nil {
		sc = in.DeepCopy()
	}
	if sc.AllowPrivilegeEscalation == nil {
		sc.AllowPrivilegeEscalation = ptr.To(false)
	}
	if sc.Capabilities == nil {
		sc.Capabilities = &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}
	}
	if sc.RunAsNonRoot == nil {
		sc.RunAsNonRoot = ptr.To(true)
	}
	if sc.SeccompProfile == nil {
		sc.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}
	}
	return sc
}

// buildSecret is the item's Secret: the work secret and the claim's lease token. It is created
// before the Pod, as the mark of the claim, so it cannot be owned by the Pod: it is owned by the
// Environment (it goes when the Environment or the namespace goes), and the dispatcher deletes it
// with its Pod, or, when the Pod never came or vanished, on its next pass.
func buildSecret(env *v1alpha1.Environment, pod *corev1.Pod, workSecret, lease string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name: pod.Name, Namespace: pod.Namespace, Labels: pod.Labels,
			Annotations:     map[string]string{AnnotationClaimedAt: pod.Annotations[AnnotationClaimedAt]},
			OwnerReferences: []metav1.OwnerReference{environmentOwner(env)},
		},
		Type:      corev1.SecretTypeOpaque,
		Immutable: ptr.To(true),
		Data: map[string][]byte{
			secretKeyWorkSecret:    []byte(workSecret),
			secretKeyLastHeartbeat: []byte(lease),
		},
	}
}

func environmentOwner(env *v1alpha1.Environment) metav1.OwnerReference {
	return metav1.OwnerReference{
		APIVersion: v1alpha1.GroupVersion.String(), Kind: "Environment", Name: env.Name, UID: env.UID,
		Controller: ptr.To(true),
	}
}

func templateLabels(m *v1alpha1.SandboxMetadata) map[string]string {
	if m == nil {
		return nil
	}
	return m.Labels
}

func templateAnnotations(m *v1alpha1.SandboxMetadata) map[string]string {
	if m == nil {
		return nil
	}
	return m.Annotations
}

// merge returns a new map with base's entries overridden by over's.
func merge(base, over map[string]string) map[string]string {
	out := make(map[string]string, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}
