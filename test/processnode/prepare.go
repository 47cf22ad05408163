// SPDX-License-Identifier: Apache-2.0

package processnode

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// EnvNodeName is set in every container's environment to the node's name, so that a test can find
// any process a node left behind (see StrayProcesses). A container cannot override it.
const EnvNodeName = "PROCESS_NODE_NAME"

// fallbackPath is the PATH when neither the container nor the node has one.
const fallbackPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// createError is a container the node can never create as specified (CreateContainerError).
type createError struct{ msg string }

func (e *createError) Error() string { return e.msg }

// startError is a process that could not be executed: that run ends with StartError, exit code 128.
type startError struct{ msg string }

func (e *startError) Error() string { return e.msg }

// prepare resolves a container's run on this node: environment, volume paths, command, working
// directory and log file.
func (w *podWorker) prepare(ctx context.Context, c *container) (runSpec, error) {
	env, literal, err := w.node.objects.containerEnv(ctx, w.pod, c.spec)
	if err != nil {
		return runSpec{}, asConfigError(err)
	}
	if len(c.spec.Command) == 0 {
		return runSpec{}, &createError{msg: "the process node cannot read an image's entrypoint: the container needs a command"}
	}
	mounts, err := mountsOf(c.spec, w.volumes, env)
	if err != nil {
		return runSpec{}, asConfigError(err)
	}
	if msgFile, err := w.terminationFile(c); err != nil {
		return runSpec{}, &createError{msg: err.Error()}
	} else if msgFile.mountPath != "" {
		mounts = append(mounts, msgFile)
	}
	mapper := newPathMapper(mounts, w.node.cfg.ImageRoots[c.spec.Image])
	for name, isLiteral := range literal {
		if isLiteral {
			env[name] = mapper.Rewrite(env[name])
		}
	}
	lookup := lookupIn(env)
	argv := make([]string, 0, len(c.spec.Command)+len(c.spec.Args))
	for _, a := range append(append([]string{}, c.spec.Command...), c.spec.Args...) {
		argv = append(argv, mapper.Rewrite(expand(a, lookup)))
	}
	dir, err := w.workingDir(c.spec.WorkingDir, mapper)
	if err != nil {
		return runSpec{}, &createError{msg: err.Error()}
	}
	procEnv := w.processEnv(env)
	path, err := lookPath(argv[0], procEnv["PATH"], dir)
	if err != nil {
		return runSpec{}, &startError{msg: err.Error()}
	}
	log, err := newLogWriter(containerLogPath(w.dir, c.spec.Name, c.status.RestartCount))
	if err != nil {
		return runSpec{}, &createError{msg: err.Error()}
	}
	return runSpec{path: path, argv: argv, env: envList(procEnv), dir: dir, log: log}, nil
}

// asConfigError keeps a configError as it is and makes any other failure (an API error while
// reading a Secret) one too: both are retried.
func asConfigError(err error) error {
	var ce *configError
	if errors.As(err, &ce) {
		return err
	}
	return &configError{msg: err.Error()}
}

// workingDir maps the container's workingDir: onto its volume when it lies on a mount, else into
// the Pod's stand-in root filesystem (<pod dir>/rootfs), which is also the default.
func (w *podWorker) workingDir(wd string, mapper *pathMapper) (string, error) {
	dir := filepath.Join(w.dir, "rootfs")
	if wd != "" {
		if host, ok := mapper.MapsUnder(wd); ok {
			dir = host
		} else {
			dir = filepath.Join(dir, filepath.Clean("/"+wd))
		}
	}
	return dir, os.MkdirAll(dir, 0o755)
}

// processEnv is the process's whole environment: PATH (the node's, standing in for the image's),
// HOSTNAME and HOME, then the container's variables, then EnvNodeName.
func (w *podWorker) processEnv(env map[string]string) map[string]string {
	out := map[string]string{
		"PATH":     os.Getenv("PATH"),
		"HOSTNAME": w.pod.Name,
		"HOME":     filepath.Join(w.dir, "home"),
	}
	if out["PATH"] == "" {
		out["PATH"] = fallbackPath
	}
	for k, v := range env {
		out[k] = v
	}
	out[EnvNodeName] = w.node.cfg.NodeName
	return out
}

func envList(env map[string]string) []string {
	list := make([]string, 0, len(env))
	for k, v := range env {
		list = append(list, k+"="+v)
	}
	sort.Strings(list)
	return list
}

// lookPath finds the executable as a container runtime would: a name with a slash is a path (relative
// ones from the working directory), any other name is searched in PATH.
func lookPath(file, pathList, dir string) (string, error) {
	if strings.Contains(file, "/") {
		if !filepath.IsAbs(file) {
			file = filepath.Join(dir, file)
		}
		if err := executable(file); err != nil {
			return "", fmt.Errorf("exec: %q: %w", file, err)
		}
		return file, nil
	}
	for _, d := range filepath.SplitList(pathList) {
		if d == "" {
			d = dir
		}
		candidate := filepath.Join(d, file)
		if executable(candidate) == nil {
			return candidate, nil
		}
	}
	return "", fmt.Errorf("exec: %q: executable file not found in $PATH", file)
}

func executable(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if info.IsDir() || info.Mode()&0o111 == 0 {
		return errors.New("permission denied")
	}
	return nil
}

// terminationMessageLimit is how much of a termination message file the kubelet reads.
const terminationMessageLimit = 4096

// terminationFile creates the (empty) file that stands in for the container's
// terminationMessagePath (/dev/termination-log by default) in this run, and maps that path to it, as
// the kubelet mounts a file there. It is <pod dir>/termination/<container>-<run>.
func (w *podWorker) terminationFile(c *container) (mountMapping, error) {
	path := c.spec.TerminationMessagePath
	if path == "" {
		path = corev1.TerminationMessagePathDefault
	}
	file := w.terminationFilePath(c)
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return mountMapping{}, err
	}
	if err := os.WriteFile(file, nil, 0o666); err != nil {
		return mountMapping{}, err
	}
	return mountMapping{mountPath: path, hostPath: file}, nil
}

func (w *podWorker) terminationFilePath(c *container) string {
	return filepath.Join(w.dir, "termination", fmt.Sprintf("%s-%d", c.spec.Name, c.status.RestartCount))
}

// terminationMessage is what the kubelet reports as a run's terminated.message: the termination
// message file, else, for a failed run with FallbackToLogsOnError, the end of its log.
func (w *podWorker) terminationMessage(c *container, exitCode int32) string {
	if data, err := os.ReadFile(w.terminationFilePath(c)); err == nil && len(data) > 0 {
		return string(data[:min(len(data), terminationMessageLimit)])
	}
	if exitCode != 0 && c.spec.TerminationMessagePolicy == corev1.TerminationMessageFallbackToLogsOnError {
		return logTail(containerLogPath(w.dir, c.spec.Name, c.status.RestartCount))
	}
	return ""
}
