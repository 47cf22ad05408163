// SPDX-License-Identifier: Apache-2.0

// Package processnode is a stand-in for the kubelet, for tests and `make demo` only: a Node that runs
// the containers of the Pods bound to it as local processes. The machines these tests run on have no
// container runtime. It isolates nothing (no namespaces, no cgroups, no users, no seccomp) and must
// never be pointed at a real cluster; the Node carries the label LabelProcessNode so that nobody
// mistakes it for a kubelet.
//
// # What it does like a kubelet
//
//   - Registers a Node that is Ready, with capacity and allocatable (Config.Capacity), the address
//     127.0.0.1, its kubelet API port in status.daemonEndpoints, and a Lease in kube-node-lease that
//     it renews every 10 s. It removes the node.kubernetes.io/not-ready taint that the API server puts
//     on new Nodes (the node lifecycle controller would, and a test control plane may not run it).
//   - Watches the Pods bound to it (spec.nodeName) and runs each: volumes first, then the init
//     containers one at a time in order, then every main container. Each container is a process
//     (command and args, with $(VAR) references expanded) in its own process group, with the
//     container's env, in its working directory. The image is ignored, except for the pull-failure
//     pattern below and Config.ImageRoots.
//   - Env: value; valueFrom secretKeyRef, configMapKeyRef (both with optional) and fieldRef
//     (metadata.name, namespace, uid, labels['k'], annotations['k'], spec.nodeName,
//     spec.serviceAccountName, status.podIP(s), status.hostIP(s)); envFrom with prefix. A missing
//     Secret or key reports CreateContainerConfigError and is retried. PATH is the node's own (the
//     image's would be), HOME is <pod dir>/home, HOSTNAME the Pod's name, and EnvNodeName is set.
//   - Volumes (see the path rule below): emptyDir is a directory; secret, configMap, downwardAPI and
//     projected volumes (secret, configMap, downwardAPI and serviceAccountToken sources) are written
//     as files, with items, modes and optional; hostPath is the host path itself; subPath and
//     subPathExpr work. They are written once, before the first container starts.
//   - Pod status like a kubelet: phase Pending, Running, Succeeded or Failed; startTime; hostIP and
//     podIP 127.0.0.1; init and main container statuses (waiting with ContainerCreating,
//     PodInitializing, ErrImagePull, ImagePullBackOff, CreateContainerConfigError or
//     CrashLoopBackOff; running with startedAt; terminated with exitCode, Completed or Error, and
//     StartError, exit code 128, when the command cannot be executed; lastState and restartCount);
//     conditions PodReadyToStartContainers, Initialized, ContainersReady and Ready (PodScheduled is
//     the scheduler's). containerID is processnode://PID, the process's pid.
//   - restartPolicy Always, OnFailure and Never, with a back-off (Config.RestartBackoff, doubling to
//     Config.MaxBackoff; the first restart is immediate).
//   - activeDeadlineSeconds, counted from startTime: the Pod fails with reason DeadlineExceeded and
//     its processes are stopped.
//   - Deletion: when a Pod gets a deletionTimestamp, its process groups get SIGTERM, then SIGKILL
//     after the deletion's grace period (at least 2 s, as the kubelet), the Pod gets its final status,
//     and the node deletes it with grace period 0 and a UID precondition, as the kubelet does. The
//     Pod's directory (volumes, logs) is removed once the Pod is gone from the API.
//   - When a container's main process exits, whatever it left running in its process group is
//     killed, as when a container's init process ends. When the node stops (Run returns), every
//     container gets SIGTERM and then SIGKILL (Config.StopGrace); the kernel also kills them if the
//     node's process dies (PR_SET_PDEATHSIG from a dedicated thread). A process that leaves its process
//     group (setsid) escapes the first mechanism; StrayProcesses finds such leftovers.
//   - Container logs, stdout and stderr, are kept on disk like the kubelet keeps them, one file per
//     container run in the CRI log format, at Node.LogPath(podUID, container, run). The node serves
//     the kubelet API's /containerLogs/{namespace}/{pod}/{container} over HTTPS on 127.0.0.1 (with
//     follow, previous, tailLines, limitBytes, sinceSeconds, sinceTime, timestamps and stream), so
//     `kubectl logs` and client-go's GetLogs work through kube-apiserver as with a real kubelet.
//     kube-apiserver does not verify a kubelet's certificate unless --kubelet-certificate-authority is
//     set; the node does not authenticate the API server either (it listens on 127.0.0.1 only).
//   - Termination messages: the container's terminationMessagePath (/dev/termination-log by default)
//     is mapped, like a mount, to a fresh file <pod dir>/termination/<container>-<run> whose content
//     (4 KiB at most) becomes terminated.message; with FallbackToLogsOnError an empty file on a
//     failed run gives the end of its log instead (80 lines, 2 KiB at most).
//   - Events: Pulled, Created, Started, Killing, Failed, BackOff, FailedMount, DeadlineExceeded,
//     Evicted.
//
// # Failures a test provokes
//
// Without cgroups nothing runs out of memory and nothing is under pressure, so two hooks produce
// those failures on demand, reported exactly as a kubelet reports them: Node.OOMKill SIGKILLs a
// running container and reports it terminated with reason OOMKilled, exit code 137 (the restart
// policy then applies); Node.Evict fails a Pod with reason Evicted, the given message and a
// DisruptionTarget condition, and stops its containers. A lost node is the node stopped (Run
// returns): its Pods keep their last status and its Lease stops being renewed.
//
// # What it does not do
//
// No probes and no lifecycle hooks (postStart, preStop) run: a running container is ready.
// Resources are not enforced, and a process killed by SIGKILL is exit code 137 with reason Error
// (OOMKilled only through OOMKill). securityContext (users, capabilities, seccomp, read-only root)
// and runtimeClassName are not applied: processes run as the node's own user. readOnly mounts are
// writable. No Services or service environment
// variables; no exec, attach or port-forward. Sidecar init containers, persistentVolumeClaim,
// ephemeral and other volume types make the Pod fail at once with reason UnsupportedByProcessNode
// and a message naming the field (a Pod with an unbound claim is not even scheduled). Volumes are
// not refreshed when a Secret changes.
//
// # Image pull failures
//
// An image whose reference contains "invalid.example/" (FailingRegistry), or ends in ":pull-fails"
// (FailingTag), never pulls: its container shows ErrImagePull, then ImagePullBackOff between retries,
// a Warning Event "Failed" carries the message, and the Pod stays Pending (until its
// activeDeadlineSeconds, if any, fails it). Every other image "pulls" at once.
//
// # Paths: how a process finds its volumes
//
// Without a mount namespace a volume cannot appear at its mountPath, so the node rewrites the paths
// the Pod spec names. Each Pod has a directory <RootDir>/pods/<pod UID>/ holding volumes/<name>/,
// rootfs/, home/, logs/ and termination/. In a container's command, args, env values written with
// value:, and workingDir, every absolute path token (a run of letters, digits and ._-+@/ starting
// with / and not preceded by one of those) is mapped:
//
//  1. a token equal to a volumeMount's mountPath (or the terminationMessagePath), or below it,
//     becomes the same path in that volume's directory (the deepest mountPath wins, subPath
//     included): with an emptyDir "work" mounted at
//     /workspace, "cp /in/x /workspace/y" runs as "cp /in/x <pod dir>/volumes/work/y";
//  2. otherwise, when Config.ImageRoots has a directory for the container's image and that directory
//     holds the path, the token is moved into it: with ImageRoots{"operator:dev": "/tmp/img"} and the
//     file /tmp/img/runner, "/runner" becomes "/tmp/img/runner" (so an init container can copy a
//     binary "out of an image");
//  3. otherwise the token stays: /bin/sh is the host's /bin/sh.
//
// A workingDir that is not on a mount, and the default working directory, are created under
// rootfs/. Values from Secrets and ConfigMaps are never rewritten, nor are paths a program computes
// at run time (it would see the real directories, for example in $HOME or os.Getwd).
//
// # Running it
//
// In tests, testenv.StartWith(testenv.Options{ProcessNode: &processnode.Config{}}) starts
// kube-scheduler and a node in the test process (Env.Node); harness.Suite.ControlPlane does the same
// for the process-based suites. As a process (for `make demo`): go run ./test/processnode/cmd/process-node
// --kubeconfig K --root-dir D; it stops its containers on SIGTERM or SIGINT.
package processnode
