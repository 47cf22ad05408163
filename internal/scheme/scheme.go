// SPDX-License-Identifier: Apache-2.0

// Package scheme builds the runtime.Scheme shared by the manager, the plugin and tests.
package scheme

import (
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	claudev1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// New returns a scheme with the built-in Kubernetes types and the claude.anthropic.com types.
func New() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(claudev1alpha1.AddToScheme(s))
	return s
}
