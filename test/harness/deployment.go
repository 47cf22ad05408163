// SPDX-License-Identifier: Apache-2.0

package harness

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
)

// Deployment reads a Deployment as the API server stores it.
func (s *Suite) Deployment(t *testing.T, namespace, name string) *appsv1.Deployment {
	t.Helper()
	var dep appsv1.Deployment
	s.KubectlJSON(t, &dep, "get", "deployment", name, "-n", namespace)
	return &dep
}

// LocalManagerArgs returns a Deployment's manager flags for a manager run as a local process, the
// way the suites run the chart's Deployment without a kubelet. The flags that only make sense in a
// pod are dropped: StartManager binds free ports on 127.0.0.1, and --leader-elect needs the pod's
// namespace file to find its Lease.
func LocalManagerArgs(dep *appsv1.Deployment) []string {
	var args []string
	for _, a := range dep.Spec.Template.Spec.Containers[0].Args {
		if strings.HasPrefix(a, "--metrics-bind-address=") || strings.HasPrefix(a, "--health-probe-bind-address=") || a == "--leader-elect" {
			continue
		}
		args = append(args, a)
	}
	return args
}
