// SPDX-License-Identifier: Apache-2.0

package processnode

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// Volumes are directories under <pod dir>/volumes/<volume name>, filled once before the first
// container starts (later changes to a Secret or ConfigMap are not copied in). Mount options that
// need a kernel (readOnly, mountPropagation, emptyDir.medium and sizeLimit) are not enforced.

// unsupportedReason says why the node cannot run a Pod at all, or "" when it can. Such a Pod is
// rejected like the kubelet rejects a Pod it cannot admit: phase Failed with a reason and message.
func unsupportedReason(pod *corev1.Pod) string {
	for _, v := range pod.Spec.Volumes {
		if msg := unsupportedVolume(v); msg != "" {
			return fmt.Sprintf("volume %q: %s", v.Name, msg)
		}
	}
	for _, c := range pod.Spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			return fmt.Sprintf("init container %q: sidecar containers (restartPolicy: Always) are not supported", c.Name)
		}
	}
	for _, c := range append(append([]corev1.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...) {
		if len(c.VolumeDevices) > 0 {
			return fmt.Sprintf("container %q: volumeDevices are not supported", c.Name)
		}
	}
	return ""
}

func unsupportedVolume(v corev1.Volume) string {
	switch {
	case v.EmptyDir != nil, v.Secret != nil, v.ConfigMap != nil, v.HostPath != nil:
		return ""
	case v.DownwardAPI != nil:
		return unsupportedDownwardAPI(v.DownwardAPI.Items)
	case v.Projected != nil:
		for _, src := range v.Projected.Sources {
			switch {
			case src.Secret != nil, src.ConfigMap != nil, src.ServiceAccountToken != nil:
			case src.DownwardAPI != nil:
				if msg := unsupportedDownwardAPI(src.DownwardAPI.Items); msg != "" {
					return msg
				}
			default:
				return "projected sources other than secret, configMap, downwardAPI and serviceAccountToken are not supported"
			}
		}
		return ""
	}
	return "only emptyDir, secret, configMap, downwardAPI, projected and hostPath volumes are supported by the process node"
}

func unsupportedDownwardAPI(items []corev1.DownwardAPIVolumeFile) string {
	for _, item := range items {
		if item.FieldRef == nil {
			return "downwardAPI items other than fieldRef are not supported"
		}
	}
	return ""
}

// volumeBuilder fills a Pod's volume directories.
type volumeBuilder struct {
	objects objectSource
	pod     *corev1.Pod
	dir     string // <pod dir>/volumes
}

// build materializes every volume and returns where each one is on the node. An error is a mount
// failure the caller retries (FailedMount), like a missing Secret.
func (b volumeBuilder) build(ctx context.Context) (map[string]string, error) {
	paths := make(map[string]string, len(b.pod.Spec.Volumes))
	for _, v := range b.pod.Spec.Volumes {
		path, err := b.volume(ctx, v)
		if err != nil {
			return nil, fmt.Errorf("MountVolume.SetUp failed for volume %q: %w", v.Name, err)
		}
		paths[v.Name] = path
	}
	return paths, nil
}

func (b volumeBuilder) volume(ctx context.Context, v corev1.Volume) (string, error) {
	if v.HostPath != nil {
		return v.HostPath.Path, b.hostPath(v.HostPath)
	}
	dir := filepath.Join(b.dir, v.Name)
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return "", err
	}
	files, mode, err := b.files(ctx, v)
	if err != nil {
		return "", err
	}
	return dir, writeFiles(dir, files, mode)
}

// projectedFile is one file of a secret, configMap, downwardAPI or projected volume.
type projectedFile struct {
	path string
	data []byte
	mode *int32
}

// files returns what a volume holds; an emptyDir holds nothing to begin with.
func (b volumeBuilder) files(ctx context.Context, v corev1.Volume) ([]projectedFile, *int32, error) {
	switch {
	case v.Secret != nil:
		files, err := b.keyed(ctx, "Secret", v.Secret.SecretName, v.Secret.Items, v.Secret.Optional)
		return files, v.Secret.DefaultMode, err
	case v.ConfigMap != nil:
		files, err := b.keyed(ctx, "ConfigMap", v.ConfigMap.Name, v.ConfigMap.Items, v.ConfigMap.Optional)
		return files, v.ConfigMap.DefaultMode, err
	case v.DownwardAPI != nil:
		files, err := b.downward(v.DownwardAPI.Items)
		return files, v.DownwardAPI.DefaultMode, err
	case v.Projected != nil:
		files, err := b.projected(ctx, v.Projected.Sources)
		return files, v.Projected.DefaultMode, err
	}
	return nil, nil, nil
}

// keyed turns a Secret's or ConfigMap's keys into files: every key, or only the listed items.
func (b volumeBuilder) keyed(ctx context.Context, kind, name string, items []corev1.KeyToPath, optional *bool) ([]projectedFile, error) {
	data, err := b.objects.keyedData(ctx, kind, b.pod.Namespace, name, optional)
	if err != nil || data == nil {
		return nil, err
	}
	if len(items) == 0 {
		files := make([]projectedFile, 0, len(data))
		for k, v := range data {
			files = append(files, projectedFile{path: k, data: v})
		}
		return files, nil
	}
	files := make([]projectedFile, 0, len(items))
	for _, item := range items {
		v, ok := data[item.Key]
		if !ok {
			if isTrue(optional) {
				continue
			}
			return nil, fmt.Errorf("configmap or secret %s/%s has no key %q", b.pod.Namespace, name, item.Key)
		}
		files = append(files, projectedFile{path: item.Path, data: v, mode: item.Mode})
	}
	return files, nil
}

func (b volumeBuilder) downward(items []corev1.DownwardAPIVolumeFile) ([]projectedFile, error) {
	files := make([]projectedFile, 0, len(items))
	for _, item := range items {
		v, err := podFieldValue(b.pod, item.FieldRef.FieldPath)
		if err != nil {
			return nil, err
		}
		files = append(files, projectedFile{path: item.Path, data: []byte(v), mode: item.Mode})
	}
	return files, nil
}

func (b volumeBuilder) projected(ctx context.Context, sources []corev1.VolumeProjection) ([]projectedFile, error) {
	var files []projectedFile
	for _, src := range sources {
		var more []projectedFile
		var err error
		switch {
		case src.Secret != nil:
			more, err = b.keyed(ctx, "Secret", src.Secret.Name, src.Secret.Items, src.Secret.Optional)
		case src.ConfigMap != nil:
			more, err = b.keyed(ctx, "ConfigMap", src.ConfigMap.Name, src.ConfigMap.Items, src.ConfigMap.Optional)
		case src.DownwardAPI != nil:
			more, err = b.downward(src.DownwardAPI.Items)
		case src.ServiceAccountToken != nil:
			more, err = b.token(ctx, src.ServiceAccountToken)
		}
		if err != nil {
			return nil, err
		}
		files = append(files, more...)
	}
	return files, nil
}

// token requests a bound service account token, as the kubelet does for a projected token.
func (b volumeBuilder) token(ctx context.Context, src *corev1.ServiceAccountTokenProjection) ([]projectedFile, error) {
	sa := b.pod.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	req := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
		ExpirationSeconds: ptr.To(ptr.Deref(src.ExpirationSeconds, 3600)),
		BoundObjectRef:    &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: b.pod.Name, UID: b.pod.UID},
	}}
	if src.Audience != "" {
		req.Spec.Audiences = []string{src.Audience}
	}
	tr, err := b.objects.client.CoreV1().ServiceAccounts(b.pod.Namespace).CreateToken(ctx, sa, req, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("requesting a token for service account %s/%s: %w", b.pod.Namespace, sa, err)
	}
	return []projectedFile{{path: src.Path, data: []byte(tr.Status.Token), mode: ptr.To[int32](0o600)}}, nil
}

func (b volumeBuilder) hostPath(hp *corev1.HostPathVolumeSource) error {
	switch ptr.Deref(hp.Type, corev1.HostPathUnset) {
	case corev1.HostPathDirectoryOrCreate:
		return os.MkdirAll(hp.Path, 0o755)
	case corev1.HostPathUnset:
		return nil
	}
	if _, err := os.Stat(hp.Path); err != nil {
		return fmt.Errorf("hostPath %s: %w", hp.Path, err)
	}
	return nil
}

// writeFiles writes files under dir, each with its own mode or the volume's default (0644).
func writeFiles(dir string, files []projectedFile, defaultMode *int32) error {
	for _, f := range files {
		rel := filepath.Clean(f.path)
		if filepath.IsAbs(rel) || rel == ".." || strings.HasPrefix(rel, "../") {
			return fmt.Errorf("item path %q leaves the volume", f.path)
		}
		path := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		mode := os.FileMode(ptr.Deref(f.mode, ptr.Deref(defaultMode, 0o644))) & os.ModePerm
		if err := os.WriteFile(path, f.data, mode); err != nil {
			return err
		}
		if err := os.Chmod(path, mode); err != nil { // WriteFile keeps the mode of an existing file
			return err
		}
	}
	return nil
}

// mountsOf maps a container's volume mounts to node directories, with subPath and subPathExpr.
func mountsOf(c *corev1.Container, volumes map[string]string, env map[string]string) ([]mountMapping, error) {
	mounts := make([]mountMapping, 0, len(c.VolumeMounts))
	for _, vm := range c.VolumeMounts {
		host, ok := volumes[vm.Name]
		if !ok {
			return nil, configErrorf("volume mount %q: no such volume", vm.Name)
		}
		sub := vm.SubPath
		if vm.SubPathExpr != "" {
			sub = expand(vm.SubPathExpr, lookupIn(env))
		}
		if sub != "" {
			clean := filepath.Clean(sub)
			if filepath.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
				return nil, configErrorf("volume mount %q: subPath %q leaves the volume", vm.Name, sub)
			}
			host = filepath.Join(host, clean)
			if _, err := os.Lstat(host); os.IsNotExist(err) { // the kubelet creates a missing subPath as a directory
				if err := os.MkdirAll(host, 0o777); err != nil {
					return nil, err
				}
			}
		}
		mounts = append(mounts, mountMapping{mountPath: vm.MountPath, hostPath: host})
	}
	return mounts, nil
}
