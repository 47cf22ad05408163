// SPDX-License-Identifier: Apache-2.0

package processnode_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/anthropics/managed-agents-operator/internal/testenv"
	"github.com/anthropics/managed-agents-operator/test/processnode"
)

// These tests run real Pods: a real kube-apiserver, the real kube-scheduler, and the process node,
// which runs each container as a process of this machine.

const waitTimeout = 60 * time.Second

var (
	env       *testenv.Env
	clientset kubernetes.Interface
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	logger := funcr.New(func(prefix, args string) { fmt.Fprintln(os.Stderr, "process-node:", prefix, args) }, funcr.Options{})
	imageRoot, err := fakeOperatorImage()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = os.RemoveAll(imageRoot) }()
	env, err = testenv.StartWith(testenv.Options{ProcessNode: &processnode.Config{
		NodeName:       "test-node",
		RestartBackoff: 200 * time.Millisecond,
		MaxBackoff:     time.Second,
		ImageRoots:     map[string]string{operatorImage: imageRoot},
		Logger:         logger,
	}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the control plane:", err)
		return 1
	}
	clientset = kubernetes.NewForConfigOrDie(env.Config)
	code := m.Run()
	// Stop fails when the node left any process behind (processnode.StrayProcesses).
	if err := env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping the control plane:", err)
		return 1
	}
	if strays := processnode.StrayProcesses("test-node"); len(strays) > 0 {
		fmt.Fprintln(os.Stderr, "processes left behind:", strays)
		return 1
	}
	return code
}

// newNamespace creates a namespace for one test; without kube-controller-manager it is never
// deleted, and the control plane goes away after the package anyway.
func newNamespace(t *testing.T) string {
	t.Helper()
	name := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	if len(name) > 50 {
		name = name[:50]
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: strings.TrimSuffix(name, "-") + "-"}}
	created, err := clientset.CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return created.Name
}

func createPod(t *testing.T, pod *corev1.Pod) *corev1.Pod {
	t.Helper()
	created, err := clientset.CoreV1().Pods(pod.Namespace).Create(context.Background(), pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return created
}

func shell(name, script string) corev1.Container {
	return corev1.Container{Name: name, Image: "busybox:1.36", Command: []string{"sh", "-c", script}}
}

// waitPod waits until cond holds for the Pod and returns it; a failure shows the Pod's status.
func waitPod(t *testing.T, ns, name, what string, cond func(*corev1.Pod) bool) *corev1.Pod {
	t.Helper()
	var pod *corev1.Pod
	testenv.WaitFor(t, waitTimeout, what, func() (bool, string) {
		var err error
		pod, err = clientset.CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return cond(pod), fmt.Sprintf("phase %s reason %q, init %s, containers %s", pod.Status.Phase, pod.Status.Reason,
			describe(pod.Status.InitContainerStatuses), describe(pod.Status.ContainerStatuses))
	})
	return pod
}

func describe(sts []corev1.ContainerStatus) string {
	var parts []string
	for _, st := range sts {
		switch s := st.State; {
		case s.Waiting != nil:
			parts = append(parts, fmt.Sprintf("%s=waiting(%s: %s)", st.Name, s.Waiting.Reason, s.Waiting.Message))
		case s.Running != nil:
			parts = append(parts, st.Name+"=running")
		case s.Terminated != nil:
			parts = append(parts, fmt.Sprintf("%s=terminated(%d %s %s)", st.Name, s.Terminated.ExitCode, s.Terminated.Reason, s.Terminated.Message))
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func phaseIs(phase corev1.PodPhase) func(*corev1.Pod) bool {
	return func(p *corev1.Pod) bool { return p.Status.Phase == phase }
}

// waitGone waits until the Pod no longer exists.
func waitGone(t *testing.T, ns, name string) {
	t.Helper()
	testenv.WaitFor(t, waitTimeout, "the Pod to be gone", func() (bool, string) {
		pod, err := clientset.CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, ""
		}
		if err != nil {
			return false, err.Error()
		}
		return false, fmt.Sprintf("phase %s, deletionTimestamp %v, containers %s", pod.Status.Phase, pod.DeletionTimestamp, describe(pod.Status.ContainerStatuses))
	})
}

// logs reads a container's log the way kubectl logs does: through kube-apiserver, which asks the node.
func logs(t *testing.T, ns, pod string, opts *corev1.PodLogOptions) string {
	t.Helper()
	data, err := clientset.CoreV1().Pods(ns).GetLogs(pod, opts).DoRaw(context.Background())
	if err != nil {
		t.Fatalf("logs of %s/%s %+v: %v", ns, pod, opts, err)
	}
	return string(data)
}

// pidOf reads the process id from a container status's containerID (processnode://PID).
func pidOf(t *testing.T, st corev1.ContainerStatus) int {
	t.Helper()
	pid, err := strconv.Atoi(strings.TrimPrefix(st.ContainerID, "processnode://"))
	if err != nil {
		t.Fatalf("containerID %q: %v", st.ContainerID, err)
	}
	return pid
}

// alive reports whether a process exists (a zombie counts as gone).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(stat), ')')
	return i < 0 || i+2 >= len(stat) || stat[i+2] != 'Z'
}

func condition(pod *corev1.Pod, t corev1.PodConditionType) corev1.PodCondition {
	for _, c := range pod.Status.Conditions {
		if c.Type == t {
			return c
		}
	}
	return corev1.PodCondition{}
}

// readLogStream reads a followed log until it ends or the timeout passes.
func readLogStream(t *testing.T, ns, pod string, opts *corev1.PodLogOptions) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	stream, err := clientset.CoreV1().Pods(ns).GetLogs(pod, opts).Stream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = stream.Close() }()
	data, err := io.ReadAll(stream)
	if err != nil {
		t.Fatalf("reading the followed log: %v", err)
	}
	return string(data)
}

func int64p(v int64) *int64 { return ptr.To(v) }

// operatorImage stands for an image that carries a program (like the operator's image carries the
// sandbox runner); fakeOperatorImage makes its file system.
const operatorImage = "operator.example/manager:test"

func fakeOperatorImage() (string, error) {
	root, err := os.MkdirTemp("", "processnode-image-")
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(root+"/ko-app", 0o755); err != nil {
		return "", err
	}
	script := "#!/bin/sh\necho \"runner in $(pwd) says: $*\"\n"
	return root, os.WriteFile(root+"/ko-app/sandbox-runner", []byte(script), 0o755)
}
