// SPDX-License-Identifier: Apache-2.0

package processnode_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/utils/ptr"

	"github.com/anthropics/managed-agents-operator/internal/testenv"
	"github.com/anthropics/managed-agents-operator/test/processnode"
)

// TestInitContainerHandsAFileToTheMainContainer is the sandbox Pod's shape: an init container copies
// a file into an emptyDir, the main container uses it from its working directory.
func TestInitContainerHandsAFileToTheMainContainer(t *testing.T) {
	ns := newNamespace(t)
	_, err := clientset.CoreV1().ConfigMaps(ns).Create(context.Background(), &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "input"},
		Data:       map[string]string{"payload.txt": "the payload\n"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	copier := shell("copy", "cp /input/payload.txt /shared/payload.txt && echo copied")
	copier.VolumeMounts = []corev1.VolumeMount{{Name: "input", MountPath: "/input"}, {Name: "shared", MountPath: "/shared"}}
	reader := shell("read", "cat payload.txt && pwd")
	reader.WorkingDir = "/shared"
	reader.VolumeMounts = []corev1.VolumeMount{{Name: "shared", MountPath: "/shared"}}
	pod := createPod(t, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "handover", Namespace: ns},
		Spec: corev1.PodSpec{
			RestartPolicy:  corev1.RestartPolicyNever,
			InitContainers: []corev1.Container{copier},
			Containers:     []corev1.Container{reader},
			Volumes: []corev1.Volume{
				{Name: "input", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "input"}}}},
				{Name: "shared", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
			},
		},
	})
	done := waitPod(t, ns, pod.Name, "the Pod to succeed", phaseIs(corev1.PodSucceeded))
	checkSucceededStatus(t, done)
	if got := logs(t, ns, pod.Name, &corev1.PodLogOptions{Container: "copy"}); got != "copied\n" {
		t.Errorf("init container log %q", got)
	}
	out := logs(t, ns, pod.Name, &corev1.PodLogOptions{Container: "read"})
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || lines[0] != "the payload" || !strings.HasSuffix(lines[1], "/volumes/shared") {
		t.Errorf("main container log %q: want the payload, then a working directory in the emptyDir", out)
	}
	if got := logs(t, ns, pod.Name, &corev1.PodLogOptions{Container: "read", TailLines: int64p(1)}); got != lines[1]+"\n" {
		t.Errorf("tailLines=1 gave %q", got)
	}
	path := env.Node.LogPath(done.UID, "read", 0)
	if data, err := readFile(path); err != nil || !strings.Contains(data, " stdout F the payload\n") {
		t.Errorf("log file %s in the CRI format: %q %v", path, data, err)
	}
}

// TestProgramCopiedOutOfAnImage is the sandbox runner's injection (Tekton's entrypoint model): an
// init container copies a program out of its image into an emptyDir, and the main container, in
// another image, runs it. Config.ImageRoots gives the first image its files.
func TestProgramCopiedOutOfAnImage(t *testing.T) {
	ns := newNamespace(t)
	copier := corev1.Container{Name: "place-runner", Image: operatorImage,
		Command:      []string{"cp", "/ko-app/sandbox-runner", "/runner/sandbox-runner"},
		VolumeMounts: []corev1.VolumeMount{{Name: "runner", MountPath: "/runner"}}}
	sandbox := corev1.Container{Name: "sandbox", Image: "python:3.12", WorkingDir: "/workspace",
		Command: []string{"/runner/sandbox-runner"}, Args: []string{"work-item-1"},
		VolumeMounts: []corev1.VolumeMount{{Name: "runner", MountPath: "/runner"}, {Name: "workspace", MountPath: "/workspace"}}}
	pod := createPod(t, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "sandbox", Namespace: ns},
		Spec: corev1.PodSpec{
			RestartPolicy:  corev1.RestartPolicyNever,
			InitContainers: []corev1.Container{copier},
			Containers:     []corev1.Container{sandbox},
			Volumes: []corev1.Volume{
				{Name: "runner", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
				{Name: "workspace", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
			},
		},
	})
	waitPod(t, ns, pod.Name, "the Pod to succeed", phaseIs(corev1.PodSucceeded))
	out := logs(t, ns, pod.Name, &corev1.PodLogOptions{Container: "sandbox"})
	if !strings.HasPrefix(out, "runner in ") || !strings.HasSuffix(out, "/volumes/workspace says: work-item-1\n") {
		t.Errorf("runner output %q", out)
	}
}

// checkSucceededStatus checks what a kubelet reports for a Pod whose containers all exited 0.
func checkSucceededStatus(t *testing.T, done *corev1.Pod) {
	t.Helper()
	if done.Spec.NodeName != "test-node" || done.Status.PodIP != "127.0.0.1" || done.Status.HostIP != "127.0.0.1" || done.Status.StartTime == nil {
		t.Errorf("node %q podIP %q hostIP %q startTime %v", done.Spec.NodeName, done.Status.PodIP, done.Status.HostIP, done.Status.StartTime)
	}
	for _, st := range append(done.Status.InitContainerStatuses, done.Status.ContainerStatuses...) {
		term := st.State.Terminated
		if term == nil || term.ExitCode != 0 || term.Reason != processnode.ReasonCompleted || term.StartedAt.IsZero() || term.FinishedAt.IsZero() {
			t.Errorf("container %s: %+v, want terminated Completed with exit code 0", st.Name, st.State)
		}
	}
	if c := condition(done, corev1.PodInitialized); c.Status != corev1.ConditionTrue {
		t.Errorf("Initialized = %+v", c)
	}
	if c := condition(done, corev1.PodReady); c.Status != corev1.ConditionFalse || c.Reason != "PodCompleted" {
		t.Errorf("Ready of a finished Pod = %+v", c)
	}
	if c := condition(done, corev1.PodScheduled); c.Status != corev1.ConditionTrue {
		t.Errorf("the scheduler's PodScheduled was lost: %+v", c)
	}
}

// TestEnvironment covers the kubelet's env sources, and the retry when a Secret is missing.
func TestEnvironment(t *testing.T) {
	ns := newNamespace(t)
	c := shell("env", `echo "token=$TOKEN name=$POD_NAME ns=$POD_NS ip=$POD_IP node=$NODE greeting=$GREETING cfg=$(cat /etc/app/key) dir=$DATA_DIR"`)
	c.Env = []corev1.EnvVar{
		{Name: "TOKEN", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}, Key: "token"}}},
		{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
		{Name: "POD_NS", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}},
		{Name: "POD_IP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"}}},
		{Name: "NODE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.nodeName"}}},
		{Name: "GREETING", Value: "hello-$(POD_NAME)"},
		{Name: "DATA_DIR", Value: "/etc/app"},
	}
	c.VolumeMounts = []corev1.VolumeMount{{Name: "cfg", MountPath: "/etc/app"}}
	pod := createPod(t, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "env", Namespace: ns},
		Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			Containers:    []corev1.Container{c},
			Volumes: []corev1.Volume{{Name: "cfg", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
				SecretName: "creds", Items: []corev1.KeyToPath{{Key: "config", Path: "key"}},
			}}}},
		},
	})
	waitPod(t, ns, pod.Name, "the missing Secret to be reported", func(p *corev1.Pod) bool {
		return p.Status.Phase == corev1.PodPending && len(p.Status.ContainerStatuses) == 1 &&
			p.Status.ContainerStatuses[0].State.Waiting != nil && p.Status.ContainerStatuses[0].State.Waiting.Reason == processnode.ReasonContainerCreating
	})
	_, err := clientset.CoreV1().Secrets(ns).Create(context.Background(), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "creds"},
		StringData: map[string]string{"token": "s3cret", "config": "from-secret-file"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	done := waitPod(t, ns, pod.Name, "the Pod to succeed once the Secret exists", phaseIs(corev1.PodSucceeded))
	out := strings.TrimSpace(logs(t, ns, pod.Name, &corev1.PodLogOptions{}))
	want := "token=s3cret name=env ns=" + ns + " ip=127.0.0.1 node=test-node greeting=hello-env cfg=from-secret-file dir="
	if !strings.HasPrefix(out, want) || !strings.HasSuffix(out, "/volumes/cfg") {
		t.Errorf("env output %q, want %q followed by the secret volume's directory", out, want)
	}
	if !hasEvent(t, ns, done.Name, "FailedMount") {
		t.Error("no FailedMount Event while the Secret was missing")
	}
}

// TestFailures covers the ways a container fails to run.
func TestFailures(t *testing.T) {
	ns := newNamespace(t)
	cases := []struct {
		reason    string
		container corev1.Container
		exitCode  int32
		termWhy   string
	}{
		{"a command that fails: Failed with its exit code", shell("fail", "echo about to fail >&2; echo disk full > /dev/termination-log; exit 3"), 3, processnode.ReasonError},
		{"a command that does not exist: StartError, exit code 128", corev1.Container{Name: "missing", Image: "x", Command: []string{"no-such-command-anywhere"}}, 128, processnode.ReasonStartError},
	}
	for i, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			pod := createPod(t, &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: "failure-" + string(rune('a'+i)), Namespace: ns},
				Spec:       corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{tc.container}},
			})
			done := waitPod(t, ns, pod.Name, "the Pod to fail", phaseIs(corev1.PodFailed))
			term := done.Status.ContainerStatuses[0].State.Terminated
			if term == nil || term.ExitCode != tc.exitCode || term.Reason != tc.termWhy {
				t.Errorf("terminated = %+v, want exit code %d reason %s", term, tc.exitCode, tc.termWhy)
			}
			if i == 0 && term != nil && term.Message != "disk full\n" {
				t.Errorf("termination message %q, want what the process wrote to /dev/termination-log", term.Message)
			}
		})
	}
	if got := logs(t, ns, "failure-a", &corev1.PodLogOptions{}); got != "about to fail\n" {
		t.Errorf("stderr of the failed container: %q", got)
	}
}

// TestRestartOnFailure checks restarts: the first run fails, the second succeeds, and the first run's
// log is the previous log.
func TestRestartOnFailure(t *testing.T) {
	ns := newNamespace(t)
	c := shell("flaky", "if [ -f /state/ran ]; then echo second run; exit 0; fi; touch /state/ran; echo first run; exit 1")
	c.VolumeMounts = []corev1.VolumeMount{{Name: "state", MountPath: "/state"}}
	pod := createPod(t, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "flaky", Namespace: ns},
		Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyOnFailure,
			Containers:    []corev1.Container{c},
			Volumes:       []corev1.Volume{{Name: "state", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
		},
	})
	done := waitPod(t, ns, pod.Name, "the Pod to succeed on its second run", phaseIs(corev1.PodSucceeded))
	st := done.Status.ContainerStatuses[0]
	if st.RestartCount != 1 || st.LastTerminationState.Terminated == nil || st.LastTerminationState.Terminated.ExitCode != 1 {
		t.Errorf("restartCount %d lastState %+v, want one restart after exit code 1", st.RestartCount, st.LastTerminationState)
	}
	if got := logs(t, ns, pod.Name, &corev1.PodLogOptions{}); got != "second run\n" {
		t.Errorf("current log %q", got)
	}
	if got := logs(t, ns, pod.Name, &corev1.PodLogOptions{Previous: true}); got != "first run\n" {
		t.Errorf("previous log %q", got)
	}
}

// TestImagePullFailure checks the documented pull-failure pattern: the container never starts, and
// the Pod stays Pending until it is deleted.
func TestImagePullFailure(t *testing.T) {
	ns := newNamespace(t)
	c := shell("sandbox", "echo must never run")
	c.Image = "invalid.example/team/sandbox:1.0"
	pod := createPod(t, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "no-image", Namespace: ns},
		Spec:       corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{c}},
	})
	pullFailing := func(p *corev1.Pod) bool {
		if len(p.Status.ContainerStatuses) != 1 || p.Status.ContainerStatuses[0].State.Waiting == nil {
			return false
		}
		r := p.Status.ContainerStatuses[0].State.Waiting.Reason
		return p.Status.Phase == corev1.PodPending && (r == processnode.ReasonErrImagePull || r == processnode.ReasonImagePullBackOff)
	}
	waitPod(t, ns, pod.Name, "ErrImagePull", func(p *corev1.Pod) bool {
		return pullFailing(p) && p.Status.ContainerStatuses[0].State.Waiting.Reason == processnode.ReasonErrImagePull
	})
	waitPod(t, ns, pod.Name, "ImagePullBackOff", func(p *corev1.Pod) bool {
		return pullFailing(p) && p.Status.ContainerStatuses[0].State.Waiting.Reason == processnode.ReasonImagePullBackOff
	})
	time.Sleep(2 * time.Second)
	still := waitPod(t, ns, pod.Name, "the Pod to stay Pending", pullFailing)
	if still.Status.ContainerStatuses[0].Started != nil && *still.Status.ContainerStatuses[0].Started {
		t.Error("a container whose image cannot be pulled was started")
	}
	if !hasEvent(t, ns, pod.Name, "Failed") {
		t.Error("no Failed Event for the image pull")
	}
	if _, err := clientset.CoreV1().Pods(ns).GetLogs(pod.Name, &corev1.PodLogOptions{}).Stream(context.Background()); err == nil ||
		!strings.Contains(err.Error(), "is waiting to start") {
		t.Errorf("logs of a container that never started: %#v", err)
	}
	if err := clientset.CoreV1().Pods(ns).Delete(context.Background(), pod.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitGone(t, ns, pod.Name)
}

// TestActiveDeadline checks that activeDeadlineSeconds fails the Pod and stops its process.
func TestActiveDeadline(t *testing.T) {
	ns := newNamespace(t)
	pod := createPod(t, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "slow", Namespace: ns},
		Spec: corev1.PodSpec{
			RestartPolicy:                 corev1.RestartPolicyNever,
			ActiveDeadlineSeconds:         int64p(3),
			TerminationGracePeriodSeconds: int64p(2),
			Containers:                    []corev1.Container{shell("sleep", "sleep 600")},
		},
	})
	running := waitPod(t, ns, pod.Name, "the Pod to run", phaseIs(corev1.PodRunning))
	pid := pidOf(t, running.Status.ContainerStatuses[0])
	done := waitPod(t, ns, pod.Name, "the deadline to fail the Pod", func(p *corev1.Pod) bool {
		return p.Status.Phase == corev1.PodFailed && p.Status.ContainerStatuses[0].State.Terminated != nil
	})
	if done.Status.Reason != processnode.ReasonDeadlineExceeded {
		t.Errorf("reason %q message %q", done.Status.Reason, done.Status.Message)
	}
	if term := done.Status.ContainerStatuses[0].State.Terminated; term.ExitCode != 128+15 {
		t.Errorf("the process ended with %d, want SIGTERM's 143", term.ExitCode)
	}
	if alive(pid) {
		t.Errorf("process %d still runs after the deadline", pid)
	}
}

// TestDeleteRunningPod checks graceful deletion: SIGTERM to the container's process group, SIGKILL
// after the grace period for a process that ignores it, then the Pod is removed from the API.
func TestDeleteRunningPod(t *testing.T) {
	ns := newNamespace(t)
	cases := []struct {
		reason, script string
		grace          int64
		minWait        time.Duration
	}{
		{"a process that exits on SIGTERM goes at once", `trap 'echo got TERM; exit 0' TERM; echo started; while true; do sleep 0.1; done`, 30, 0},
		{"a process that ignores SIGTERM is killed after the grace period", `trap '' TERM; echo started; while true; do sleep 0.1; done`, 3, 3 * time.Second},
	}
	for i, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			name := "victim-" + string(rune('a'+i))
			createPod(t, &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
				Spec: corev1.PodSpec{
					RestartPolicy:                 corev1.RestartPolicyAlways,
					TerminationGracePeriodSeconds: ptr.To(tc.grace),
					Containers:                    []corev1.Container{shell("loop", tc.script)},
				},
			})
			running := waitPod(t, ns, name, "the Pod to run", func(p *corev1.Pod) bool {
				return p.Status.Phase == corev1.PodRunning && condition(p, corev1.PodReady).Status == corev1.ConditionTrue
			})
			pid := pidOf(t, running.Status.ContainerStatuses[0])
			testenv.WaitFor(t, waitTimeout, "the trap to be set", func() (bool, string) {
				out := logs(t, ns, name, &corev1.PodLogOptions{})
				return strings.Contains(out, "started"), out
			})
			start := time.Now()
			if err := clientset.CoreV1().Pods(ns).Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
			waitGone(t, ns, name)
			if took := time.Since(start); took < tc.minWait || took > tc.minWait+15*time.Second {
				t.Errorf("deletion took %s, want at least %s and not much more", took, tc.minWait)
			}
			if alive(pid) {
				t.Errorf("process %d still runs after its Pod was deleted", pid)
			}
		})
	}
}

// TestFollowLogs follows a running container's log through the API server until the container ends.
func TestFollowLogs(t *testing.T) {
	ns := newNamespace(t)
	pod := createPod(t, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "talker", Namespace: ns},
		Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			Containers:    []corev1.Container{shell("talk", "for i in 1 2 3 4 5; do echo line $i; sleep 0.3; done")},
		},
	})
	waitPod(t, ns, pod.Name, "the Pod to run", phaseIs(corev1.PodRunning))
	got := readLogStream(t, ns, pod.Name, &corev1.PodLogOptions{Follow: true})
	if got != "line 1\nline 2\nline 3\nline 4\nline 5\n" {
		t.Errorf("followed log %q", got)
	}
}

// TestUnsupportedPodIsRejected checks that a Pod the node cannot run fails at once with a reason
// that names the field, instead of running wrongly.
func TestUnsupportedPodIsRejected(t *testing.T) {
	ns := newNamespace(t)
	pod := createPod(t, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "nfs", Namespace: ns},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{shell("main", "true")},
			Volumes: []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{
				NFS: &corev1.NFSVolumeSource{Server: "nfs.invalid", Path: "/export"},
			}}},
		},
	})
	done := waitPod(t, ns, pod.Name, "the Pod to be rejected", phaseIs(corev1.PodFailed))
	if done.Status.Reason != processnode.ReasonUnsupported || !strings.Contains(done.Status.Message, `volume "data"`) {
		t.Errorf("reason %q message %q", done.Status.Reason, done.Status.Message)
	}
}

// hasEvent reports whether the Pod got an Event with reason, waiting up to 10 s for it: Events are
// written asynchronously.
func hasEvent(t *testing.T, ns, pod, reason string) bool {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		list, err := clientset.CoreV1().Events(ns).List(context.Background(), metav1.ListOptions{
			FieldSelector: fields.Set{"involvedObject.name": pod, "reason": reason}.String(),
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Items) > 0 {
			return true
		}
	}
	return false
}

func readFile(path string) (string, error) {
	data, err := os.ReadFile(path)
	return string(data), err
}
