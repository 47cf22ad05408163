// SPDX-License-Identifier: Apache-2.0

package processnode

import (
	"errors"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Config says how a process node registers and where it keeps its files.
type Config struct {
	// NodeName is the Node object's name; DefaultNodeName when empty.
	NodeName string
	// RootDir holds one directory per Pod: its volumes, its stand-in root filesystem, its home
	// directory and its container logs. Required; it is created when missing.
	RootDir string
	// Capacity is the Node's capacity and allocatable resources; DefaultCapacity when empty. The
	// scheduler counts requests against it, nothing enforces limits (there are no cgroups).
	Capacity corev1.ResourceList
	// Labels are added to the Node, next to kubernetes.io/hostname, kubernetes.io/os,
	// kubernetes.io/arch and LabelProcessNode.
	Labels map[string]string
	// Taints are put on the Node, for tests of tolerations and dedicated node pools. The
	// node.kubernetes.io/not-ready taint that the API server adds to new Nodes is removed.
	Taints []corev1.Taint
	// ImageRoots maps an image reference, exactly as Pods write it, to a directory that stands in
	// for that image's filesystem (see the path rule in the package documentation). Images without
	// an entry have no files of their own: their containers see the host.
	ImageRoots map[string]string
	// ListenAddress is where the kubelet API (container logs) is served over HTTPS; 127.0.0.1:0
	// (a free port) when empty. Its port is published in the Node's status.daemonEndpoints.
	ListenAddress string
	// RestartBackoff is the first pause before a failed container restarts or a failed image pull
	// is retried; it doubles on each failure up to MaxBackoff. 1s and 30s when zero (the kubelet
	// uses 10s and 5m, which would only slow tests down).
	RestartBackoff, MaxBackoff time.Duration
	// StopGrace bounds how long containers get between SIGTERM and SIGKILL when the node itself
	// stops; 5s when zero.
	StopGrace time.Duration
	// Logger receives the node's own log lines; discarded when unset.
	Logger logr.Logger
}

const (
	// DefaultNodeName is the Node's name when Config.NodeName is empty.
	DefaultNodeName = "process-node"
	// LabelProcessNode marks a Node that is a process node, so that nobody mistakes it for a kubelet.
	LabelProcessNode = "test.claude.anthropic.com/process-node"
)

// DefaultCapacity is generous so that the scheduler never runs out of room in a test.
func DefaultCapacity() corev1.ResourceList {
	return corev1.ResourceList{
		corev1.ResourceCPU:              resource.MustParse("32"),
		corev1.ResourceMemory:           resource.MustParse("64Gi"),
		corev1.ResourceEphemeralStorage: resource.MustParse("100Gi"),
		corev1.ResourcePods:             resource.MustParse("250"),
	}
}

// withDefaults returns the config with every empty field set to its default.
func (c Config) withDefaults() (Config, error) {
	if c.RootDir == "" {
		return c, errors.New("processnode: Config.RootDir is required")
	}
	if c.NodeName == "" {
		c.NodeName = DefaultNodeName
	}
	if len(c.Capacity) == 0 {
		c.Capacity = DefaultCapacity()
	}
	if c.ListenAddress == "" {
		c.ListenAddress = "127.0.0.1:0"
	}
	if c.RestartBackoff <= 0 {
		c.RestartBackoff = time.Second
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 30 * time.Second
	}
	if c.StopGrace <= 0 {
		c.StopGrace = 5 * time.Second
	}
	if c.Logger.GetSink() == nil {
		c.Logger = logr.Discard()
	}
	return c, nil
}
