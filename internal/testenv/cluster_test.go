// SPDX-License-Identifier: Apache-2.0

package testenv_test

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/anthropics/managed-agents-operator/internal/testenv"
	"github.com/anthropics/managed-agents-operator/test/processnode"
)

// TestFullControlPlane starts every optional component and checks what each one is there for:
// the garbage collector deletes a Secret owned by a deleted Pod, and deleting a namespace deletes a
// running Pod (the process node stops it) so that the namespace goes away.
func TestFullControlPlane(t *testing.T) {
	env, err := testenv.StartWith(testenv.Options{ControllerManager: true, ProcessNode: &processnode.Config{NodeName: "full-node"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Error(err)
		}
	})
	cs := kubernetes.NewForConfigOrDie(env.Config)
	ctx := context.Background()
	ns, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "doomed"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	runPod := func(name string) *corev1.Pod {
		pod, err := cs.CoreV1().Pods(ns.Name).Create(ctx, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: corev1.PodSpec{
				TerminationGracePeriodSeconds: new(int64(5)),
				Containers:                    []corev1.Container{{Name: "main", Image: "busybox", Command: []string{"sleep", "600"}}},
			},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		testenv.WaitFor(t, time.Minute, "the Pod to run", func() (bool, string) {
			got, err := cs.CoreV1().Pods(ns.Name).Get(ctx, name, metav1.GetOptions{})
			return err == nil && got.Status.Phase == corev1.PodRunning, string(got.Status.Phase)
		})
		return pod
	}

	owner := runPod("owner")
	_, err = cs.CoreV1().Secrets(ns.Name).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{
		Name:            "owned",
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Pod", Name: owner.Name, UID: owner.UID}},
	}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := cs.CoreV1().Pods(ns.Name).Delete(ctx, owner.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, time.Minute, "the garbage collector to delete the owned Secret", func() (bool, string) {
		_, err := cs.CoreV1().Secrets(ns.Name).Get(ctx, "owned", metav1.GetOptions{})
		return apierrors.IsNotFound(err), "err: " + errString(err)
	})

	runPod("tenant")
	if err := cs.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, time.Minute, "the namespace to be gone", func() (bool, string) {
		got, err := cs.CoreV1().Namespaces().Get(ctx, ns.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, ""
		}
		if err != nil {
			return false, err.Error()
		}
		return false, string(got.Status.Phase)
	})
}

func errString(err error) string {
	if err == nil {
		return "none"
	}
	return err.Error()
}
