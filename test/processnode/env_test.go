// SPDX-License-Identifier: Apache-2.0

package processnode

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestExpand(t *testing.T) {
	vars := lookupIn(map[string]string{"A": "alpha", "EMPTY": ""})
	cases := []struct {
		name, in, want string
	}{
		{"a defined variable is replaced", "x-$(A)-y", "x-alpha-y"},
		{"an empty variable is replaced by nothing", "[$(EMPTY)]", "[]"},
		{"an undefined variable stays as written", "$(NOPE)/$(A)", "$(NOPE)/alpha"},
		{"$$ escapes a reference", "$$(A)", "$(A)"},
		{"a lone $ stays", "cost: 5$ or $", "cost: 5$ or $"},
		{"an unterminated reference stays", "$(A", "$(A"},
		{"shell variables are not Kubernetes references", "echo $HOME ${A}", "echo $HOME ${A}"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := expand(tc.in, vars); got != tc.want {
				t.Errorf("expand(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestPodFieldValue(t *testing.T) {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", UID: "u-1", Labels: map[string]string{"b": "2", "a": "1"}},
		Spec:       corev1.PodSpec{NodeName: "n1", ServiceAccountName: "sa"},
	}
	cases := []struct {
		path, want string
		wantErr    bool
	}{
		{path: "metadata.name", want: "p"},
		{path: "metadata.namespace", want: "ns"},
		{path: "metadata.uid", want: "u-1"},
		{path: "metadata.labels['b']", want: "2"},
		{path: "metadata.labels", want: "a=\"1\"\nb=\"2\""},
		{path: "spec.nodeName", want: "n1"},
		{path: "spec.serviceAccountName", want: "sa"},
		{path: "status.podIP", want: "127.0.0.1"},
		{path: "status.hostIP", want: "127.0.0.1"},
		{path: "spec.unknown", wantErr: true},
	}
	for _, tc := range cases {
		got, err := podFieldValue(pod, tc.path)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("podFieldValue(%q) = %q, %v; want %q (error %v)", tc.path, got, err, tc.want, tc.wantErr)
		}
	}
}
