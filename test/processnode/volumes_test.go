// SPDX-License-Identifier: Apache-2.0

package processnode

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"
)

func TestVolumeBuilder(t *testing.T) {
	objects := objectSource{client: fake.NewClientset(
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "creds", Namespace: "ns"}, Data: map[string][]byte{"token": []byte("t0k"), "other": []byte("x")}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cfg", Namespace: "ns"}, Data: map[string]string{"a.yaml": "a: 1"}, BinaryData: map[string][]byte{"b.bin": {0, 1}}},
	)}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", Labels: map[string]string{"app": "x"}}}
	secretItems := corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "creds", Items: []corev1.KeyToPath{{Key: "token", Path: "dir/token", Mode: ptr.To[int32](0o400)}}}}
	cases := []struct {
		reason    string
		source    corev1.VolumeSource
		files     map[string]string // relative path -> content
		modes     map[string]os.FileMode
		wantError bool
	}{
		{reason: "an emptyDir starts empty", source: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}, files: map[string]string{}},
		{reason: "secret items choose keys, paths and modes", source: secretItems,
			files: map[string]string{"dir/token": "t0k"}, modes: map[string]os.FileMode{"dir/token": 0o400}},
		{reason: "a configMap without items has every key, binary ones too, with the default mode",
			source: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}}},
			files:  map[string]string{"a.yaml": "a: 1", "b.bin": "\x00\x01"}, modes: map[string]os.FileMode{"a.yaml": 0o644}},
		{reason: "a missing optional Secret is an empty volume",
			source: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "nope", Optional: ptr.To(true)}}, files: map[string]string{}},
		{reason: "a missing Secret fails the mount (and is retried)",
			source: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "nope"}}, wantError: true},
		{reason: "a missing key fails the mount",
			source: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "creds", Items: []corev1.KeyToPath{{Key: "absent", Path: "x"}}}}, wantError: true},
		{reason: "an item path cannot leave the volume",
			source: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "creds", Items: []corev1.KeyToPath{{Key: "token", Path: "../escape"}}}}, wantError: true},
		{reason: "downwardAPI writes field values",
			source: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{Items: []corev1.DownwardAPIVolumeFile{
				{Path: "labels", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels"}},
				{Path: "name", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}},
			}}},
			files: map[string]string{"labels": `app="x"`, "name": "p"}},
		{reason: "projected sources add up",
			source: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
				{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}, Items: []corev1.KeyToPath{{Key: "other", Path: "other"}}}},
				{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}, Items: []corev1.KeyToPath{{Key: "a.yaml", Path: "a.yaml"}}}},
			}}},
			files: map[string]string{"other": "x", "a.yaml": "a: 1"}},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			p := pod.DeepCopy()
			p.Spec.Volumes = []corev1.Volume{{Name: "v", VolumeSource: tc.source}}
			if msg := unsupportedReason(p); msg != "" {
				t.Fatalf("rejected: %s", msg)
			}
			b := volumeBuilder{objects: objects, pod: p, dir: t.TempDir()}
			paths, err := b.build(context.Background())
			if (err != nil) != tc.wantError {
				t.Fatalf("build error = %v, want error %v", err, tc.wantError)
			}
			if err != nil {
				return
			}
			assertFiles(t, paths["v"], tc.files, tc.modes)
		})
	}
}

func assertFiles(t *testing.T, dir string, want map[string]string, modes map[string]os.FileMode) {
	t.Helper()
	got := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		got[rel] = string(data)
		if mode, ok := modes[rel]; ok {
			info, _ := d.Info()
			if info.Mode().Perm() != mode {
				t.Errorf("%s has mode %v, want %v", rel, info.Mode().Perm(), mode)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Errorf("files %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func TestMountsOf(t *testing.T) {
	c := &corev1.Container{VolumeMounts: []corev1.VolumeMount{
		{Name: "w", MountPath: "/workspace", SubPathExpr: "$(POD)/data"},
		{Name: "missing", MountPath: "/x"},
	}}
	root := t.TempDir()
	if _, err := mountsOf(c, map[string]string{"w": root}, map[string]string{"POD": "p1"}); err == nil {
		t.Error("a mount of a volume the Pod does not have was accepted")
	}
	c.VolumeMounts = c.VolumeMounts[:1]
	mounts, err := mountsOf(c, map[string]string{"w": root}, map[string]string{"POD": "p1"})
	if err != nil || len(mounts) != 1 || mounts[0].hostPath != filepath.Join(root, "p1", "data") {
		t.Fatalf("subPathExpr mount = %+v, %v", mounts, err)
	}
	if info, err := os.Stat(mounts[0].hostPath); err != nil || !info.IsDir() {
		t.Errorf("the subPath directory was not created: %v", err)
	}
	c.VolumeMounts[0].SubPathExpr = "../../etc"
	var ce *configError
	if _, err := mountsOf(c, map[string]string{"w": root}, nil); !errors.As(err, &ce) {
		t.Errorf("a subPath that leaves the volume: %v", err)
	}
}
