// SPDX-License-Identifier: Apache-2.0

// Package crd proves the CRDs against a real kube-apiserver: samples are accepted and read back as
// written, and invalid manifests are rejected with a message that names the offending field.
package crd

import (
	"fmt"
	"os"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/anthropics/managed-agents-operator/internal/testenv"
)

var (
	k8s client.Client
	env *testenv.Env
)

func TestMain(m *testing.M) {
	var err error
	env, err = testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	k8s = env.Client
	code := m.Run()
	if err := env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping control plane:", err)
	}
	os.Exit(code)
}
