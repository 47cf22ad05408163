// SPDX-License-Identifier: Apache-2.0

package processnode

import (
	"context"
	"fmt"
	"runtime"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
)

const (
	// leaseInterval is how often the node renews its Lease in kube-node-lease, the kubelet's default.
	leaseInterval = 10 * time.Second
	// leaseDuration is the Lease's duration, the kubelet's default.
	leaseDuration = 40
	// statusEvery is how many lease renewals pass between two node status heartbeats (one a minute).
	statusEvery = 6
	// taintNotReady is the taint the API server's TaintNodesByCondition admission puts on every new
	// Node; the node lifecycle controller removes it once the Node is Ready. A test control plane
	// may not run that controller, so the process node removes it itself.
	taintNotReady = "node.kubernetes.io/not-ready"
)

// register creates or updates the Node, makes it Ready and schedulable, and takes its Lease.
func (n *Node) register(ctx context.Context) error {
	nodes := n.client.CoreV1().Nodes()
	node, err := nodes.Get(ctx, n.cfg.NodeName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		node, err = nodes.Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n.cfg.NodeName, Labels: n.labels()}}, metav1.CreateOptions{})
	}
	if err != nil {
		return fmt.Errorf("processnode: registering node %s: %w", n.cfg.NodeName, err)
	}
	if err := n.updateNodeStatus(ctx, node.Name); err != nil {
		return err
	}
	if err := n.untaint(ctx); err != nil {
		return err
	}
	if err := n.renewLease(ctx, node); err != nil {
		return err
	}
	n.log.Info("Registered node", "capacity", n.cfg.Capacity)
	return nil
}

func (n *Node) labels() map[string]string {
	labels := map[string]string{
		"kubernetes.io/hostname": n.cfg.NodeName,
		"kubernetes.io/os":       runtime.GOOS,
		"kubernetes.io/arch":     runtime.GOARCH,
		LabelProcessNode:         "true",
	}
	for k, v := range n.cfg.Labels {
		labels[k] = v
	}
	return labels
}

// untaint removes the API server's not-ready taint, adds the configured taints and sets the
// configured labels; taints that others put on the Node stay.
func (n *Node) untaint(ctx context.Context) error {
	nodes := n.client.CoreV1().Nodes()
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		node, err := nodes.Get(ctx, n.cfg.NodeName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		node.Spec.Taints = withTaints(node.Spec.Taints, n.cfg.Taints)
		if node.Labels == nil {
			node.Labels = map[string]string{}
		}
		for k, v := range n.labels() {
			node.Labels[k] = v
		}
		_, err = nodes.Update(ctx, node, metav1.UpdateOptions{})
		return err
	})
}

// updateNodeStatus writes capacity, conditions (Ready, no pressure), the address and the kubelet
// API's port, with fresh heartbeat times.
func (n *Node) updateNodeStatus(ctx context.Context, name string) error {
	version := "v0.0.0-process-node"
	if info, err := n.client.Discovery().ServerVersion(); err == nil {
		version = info.GitVersion // a kubelet runs the control plane's version
	}
	nodes := n.client.CoreV1().Nodes()
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		node, err := nodes.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		node.Status = n.nodeStatus(node.Status, version)
		_, err = nodes.UpdateStatus(ctx, node, metav1.UpdateOptions{})
		return err
	})
}

func (n *Node) nodeStatus(old corev1.NodeStatus, version string) corev1.NodeStatus {
	now := metav1.Now()
	cond := func(t corev1.NodeConditionType, s corev1.ConditionStatus, reason, msg string) corev1.NodeCondition {
		c := corev1.NodeCondition{Type: t, Status: s, Reason: reason, Message: msg, LastHeartbeatTime: now, LastTransitionTime: now}
		for _, o := range old.Conditions {
			if o.Type == t && o.Status == s {
				c.LastTransitionTime = o.LastTransitionTime
			}
		}
		return c
	}
	return corev1.NodeStatus{
		Capacity:    n.cfg.Capacity.DeepCopy(),
		Allocatable: n.cfg.Capacity.DeepCopy(),
		Phase:       corev1.NodeRunning,
		Conditions: []corev1.NodeCondition{
			cond(corev1.NodeMemoryPressure, corev1.ConditionFalse, "KubeletHasSufficientMemory", "process node: memory is not tracked"),
			cond(corev1.NodeDiskPressure, corev1.ConditionFalse, "KubeletHasNoDiskPressure", "process node: disk is not tracked"),
			cond(corev1.NodePIDPressure, corev1.ConditionFalse, "KubeletHasSufficientPID", "process node: PIDs are not tracked"),
			cond(corev1.NodeReady, corev1.ConditionTrue, "KubeletReady", "process node (a stand-in for the kubelet that runs containers as local processes) is posting ready status"),
		},
		Addresses:       []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: nodeIP}},
		DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: int32(n.KubeletPort())}},
		NodeInfo: corev1.NodeSystemInfo{
			KubeletVersion:          version,
			OperatingSystem:         runtime.GOOS,
			Architecture:            runtime.GOARCH,
			ContainerRuntimeVersion: "process-node://" + version,
			OSImage:                 "process node (containers run as local processes)",
		},
	}
}

// renewLease creates or renews the node's Lease, which is how the node lifecycle controller tells
// that a node is alive.
func (n *Node) renewLease(ctx context.Context, node *corev1.Node) error {
	leases := n.client.CoordinationV1().Leases(corev1.NamespaceNodeLease)
	now := metav1.NewMicroTime(time.Now())
	lease, err := leases.Get(ctx, n.cfg.NodeName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = leases.Create(ctx, &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{
				Name: n.cfg.NodeName, Namespace: corev1.NamespaceNodeLease,
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: node.Name, UID: node.UID}},
			},
			Spec: coordinationv1.LeaseSpec{
				HolderIdentity: ptr.To(n.cfg.NodeName), LeaseDurationSeconds: ptr.To[int32](leaseDuration), RenewTime: &now,
			},
		}, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	lease.Spec.HolderIdentity, lease.Spec.LeaseDurationSeconds, lease.Spec.RenewTime = ptr.To(n.cfg.NodeName), ptr.To[int32](leaseDuration), &now
	_, err = leases.Update(ctx, lease, metav1.UpdateOptions{})
	return err
}

// heartbeat renews the Lease every leaseInterval and the Node's status conditions every minute.
func (n *Node) heartbeat(ctx context.Context) {
	ticker := time.NewTicker(leaseInterval)
	defer ticker.Stop()
	for tick := 1; ; tick++ {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		node, err := n.client.CoreV1().Nodes().Get(ctx, n.cfg.NodeName, metav1.GetOptions{})
		if err == nil {
			err = n.renewLease(ctx, node)
		}
		if err == nil && tick%statusEvery == 0 {
			err = n.updateNodeStatus(ctx, n.cfg.NodeName)
		}
		if err != nil && ctx.Err() == nil {
			n.log.Error(err, "Node heartbeat failed; retrying at the next interval")
		}
	}
}

// withTaints is existing without the not-ready taint, plus every wanted taint it lacks.
func withTaints(existing, wanted []corev1.Taint) []corev1.Taint {
	out := make([]corev1.Taint, 0, len(existing)+len(wanted))
	for _, t := range existing {
		if t.Key != taintNotReady {
			out = append(out, t)
		}
	}
	for _, w := range wanted {
		found := false
		for _, t := range out {
			found = found || t.MatchTaint(&w)
		}
		if !found {
			out = append(out, w)
		}
	}
	return out
}
