// SPDX-License-Identifier: Apache-2.0

package processnode

import (
	"context"
	"encoding/json"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
)

// buildStatus is base's status with everything the node owns replaced by the node's view.
func (w *podWorker) buildStatus(base *corev1.Pod) corev1.PodStatus {
	st := *base.Status.DeepCopy()
	inits, mains := statusesOf(w.inits), statusesOf(w.mains)
	st.Phase, st.Reason, st.Message = w.phase, w.reason, w.msg
	st.HostIP, st.HostIPs = nodeIP, []corev1.HostIP{{IP: nodeIP}}
	st.PodIP, st.PodIPs = nodeIP, []corev1.PodIP{{IP: nodeIP}}
	st.StartTime = ptr.To(w.startTime)
	st.InitContainerStatuses, st.ContainerStatuses = inits, mains
	if len(inits) == 0 {
		st.InitContainerStatuses = nil
	}
	ours := podConditions(base, w.phase, w.volumes != nil, inits, mains)
	if w.evicted {
		ours = append(ours, corev1.PodCondition{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue,
			Reason: "TerminationByKubelet", Message: w.msg})
	}
	st.Conditions = mergeConditions(base.Status.Conditions, ours, metav1.Now())
	return normalized(st)
}

// normalized is st as it reads back from the API server: times in whole seconds. Without this, a
// status would never compare equal to the stored one, and every sync would write it again.
func normalized(st corev1.PodStatus) corev1.PodStatus {
	data, err := json.Marshal(st)
	if err != nil {
		return st
	}
	var out corev1.PodStatus
	if json.Unmarshal(data, &out) != nil {
		return st
	}
	return out
}

// pushStatus writes the node's view of the Pod when it differs from what the API server has.
func (w *podWorker) pushStatus(ctx context.Context) {
	base := w.pod
	st := w.buildStatus(base)
	if equality.Semantic.DeepEqual(st, base.Status) || (w.lastPushed != nil && equality.Semantic.DeepEqual(st, *w.lastPushed)) {
		return
	}
	pods := w.node.client.CoreV1().Pods(base.Namespace)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		update := base.DeepCopy()
		update.Status = st
		_, err := pods.UpdateStatus(ctx, update, metav1.UpdateOptions{})
		if !apierrors.IsConflict(err) {
			return err
		}
		fresh, getErr := pods.Get(ctx, base.Name, metav1.GetOptions{})
		if getErr != nil {
			return getErr
		}
		if fresh.UID != base.UID {
			return nil // a new Pod with the same name: the informer will report this one gone
		}
		base, st = fresh, w.buildStatus(fresh)
		return err
	})
	switch {
	case err == nil:
		w.lastPushed = st.DeepCopy()
	case apierrors.IsNotFound(err), ctx.Err() != nil:
	default:
		w.log.Error(err, "Updating Pod status failed; retrying")
		w.wakeAt(time.Now().Add(retryInterval))
	}
}

// finishDeletion removes a deleted Pod from the API server once its processes are gone, with a
// zero grace period and its UID as precondition, as the kubelet does.
func (w *podWorker) finishDeletion(ctx context.Context) {
	if !w.term.deletion || w.running() > 0 || w.deleted {
		return
	}
	err := w.node.client.CoreV1().Pods(w.pod.Namespace).Delete(ctx, w.pod.Name, metav1.DeleteOptions{
		GracePeriodSeconds: ptr.To[int64](0),
		Preconditions:      metav1.NewUIDPreconditions(string(w.pod.UID)),
	})
	switch {
	case err == nil, apierrors.IsNotFound(err), apierrors.IsConflict(err): // conflict: the UID is gone already
		w.deleted = true
		w.log.V(1).Info("Deleted Pod after its containers stopped")
	case ctx.Err() != nil:
	default:
		w.log.Error(err, "Deleting Pod failed; retrying")
		w.wakeAt(time.Now().Add(retryInterval))
	}
}
