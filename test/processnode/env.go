// SPDX-License-Identifier: Apache-2.0

package processnode

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"
)

// nodeIP is every Pod's IP and the node's own address: all processes share the host's network.
const nodeIP = "127.0.0.1"

// configError is a container configuration the node cannot resolve yet (a missing Secret or key).
// The kubelet reports it as CreateContainerConfigError and retries, and so does the process node.
type configError struct{ msg string }

func (e *configError) Error() string { return e.msg }

func configErrorf(format string, args ...any) error {
	return &configError{msg: fmt.Sprintf(format, args...)}
}

// objectSource reads the Secrets and ConfigMaps that env vars and volumes refer to.
type objectSource struct {
	client kubernetes.Interface
}

// configMap returns a ConfigMap's text and binary data, nil when it does not exist.
func (s objectSource) configMap(ctx context.Context, ns, name string) (map[string][]byte, error) {
	cm, err := s.client.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	data := make(map[string][]byte, len(cm.Data)+len(cm.BinaryData))
	for k, v := range cm.Data {
		data[k] = []byte(v)
	}
	for k, v := range cm.BinaryData {
		data[k] = v
	}
	return data, nil
}

// secret returns a Secret's data, nil when it does not exist.
func (s objectSource) secret(ctx context.Context, ns, name string) (map[string][]byte, error) {
	sec, err := s.client.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if sec.Data == nil {
		sec.Data = map[string][]byte{}
	}
	return sec.Data, nil
}

// keyedData returns the data of the ConfigMap or Secret kind/name, with optional saying whether a
// missing object is fine (nil data, no error).
func (s objectSource) keyedData(ctx context.Context, kind, ns, name string, optional *bool) (map[string][]byte, error) {
	var data map[string][]byte
	var err error
	if kind == "Secret" {
		data, err = s.secret(ctx, ns, name)
	} else {
		data, err = s.configMap(ctx, ns, name)
	}
	if err != nil {
		return nil, err
	}
	if data == nil && !isTrue(optional) {
		return nil, configErrorf("%s %q not found", strings.ToLower(kind), name)
	}
	return data, nil
}

func isTrue(b *bool) bool { return b != nil && *b }

// containerEnv resolves a container's environment the way the kubelet does: envFrom first, then env
// in order, each value expanded with $(VAR) references to the variables before it. Service links
// (FOO_SERVICE_HOST) are not set: Services do not route to processes here. literal names the
// variables whose value is written in the spec (value:), the only ones whose paths are rewritten:
// the content of a Secret or ConfigMap is passed on untouched.
func (s objectSource) containerEnv(ctx context.Context, pod *corev1.Pod, c *corev1.Container) (env map[string]string, literal map[string]bool, err error) {
	env, literal = map[string]string{}, map[string]bool{}
	for _, from := range c.EnvFrom {
		if err := s.addEnvFrom(ctx, pod.Namespace, from, env); err != nil {
			return nil, nil, err
		}
	}
	for _, e := range c.Env {
		value, skip, err := s.envValue(ctx, pod, e, env)
		if err != nil {
			return nil, nil, err
		}
		if !skip {
			env[e.Name] = value
			literal[e.Name] = e.ValueFrom == nil
		}
	}
	return env, literal, nil
}

func (s objectSource) addEnvFrom(ctx context.Context, ns string, from corev1.EnvFromSource, env map[string]string) error {
	var data map[string][]byte
	var err error
	switch {
	case from.ConfigMapRef != nil:
		data, err = s.keyedData(ctx, "ConfigMap", ns, from.ConfigMapRef.Name, from.ConfigMapRef.Optional)
	case from.SecretRef != nil:
		data, err = s.keyedData(ctx, "Secret", ns, from.SecretRef.Name, from.SecretRef.Optional)
	default:
		return configErrorf("envFrom: only configMapRef and secretRef are supported by the process node")
	}
	if err != nil {
		return err
	}
	for k, v := range data {
		name := from.Prefix + k
		if len(validation.IsEnvVarName(name)) > 0 {
			continue // the kubelet skips invalid names too
		}
		env[name] = string(v)
	}
	return nil
}

// envValue resolves one env entry; skip is true for an optional reference that resolves to nothing.
func (s objectSource) envValue(ctx context.Context, pod *corev1.Pod, e corev1.EnvVar, env map[string]string) (string, bool, error) {
	if e.ValueFrom == nil {
		return expand(e.Value, lookupIn(env)), false, nil
	}
	from := e.ValueFrom
	var kind, name, key string
	var optional *bool
	switch {
	case from.FieldRef != nil:
		v, err := podFieldValue(pod, from.FieldRef.FieldPath)
		return v, false, err
	case from.SecretKeyRef != nil:
		kind, name, key, optional = "Secret", from.SecretKeyRef.Name, from.SecretKeyRef.Key, from.SecretKeyRef.Optional
	case from.ConfigMapKeyRef != nil:
		kind, name, key, optional = "ConfigMap", from.ConfigMapKeyRef.Name, from.ConfigMapKeyRef.Key, from.ConfigMapKeyRef.Optional
	default:
		return "", false, configErrorf("env %s: only fieldRef, secretKeyRef and configMapKeyRef are supported by the process node", e.Name)
	}
	data, err := s.keyedData(ctx, kind, pod.Namespace, name, optional)
	if err != nil {
		return "", false, err
	}
	v, ok := data[key]
	if !ok {
		if isTrue(optional) {
			return "", true, nil
		}
		return "", false, configErrorf("couldn't find key %s in %s %s/%s", key, kind, pod.Namespace, name)
	}
	return string(v), false, nil
}

// podFieldValue is the value of a downward API field path.
func podFieldValue(pod *corev1.Pod, path string) (string, error) {
	if key, ok := subscript(path, "metadata.labels"); ok {
		return pod.Labels[key], nil
	}
	if key, ok := subscript(path, "metadata.annotations"); ok {
		return pod.Annotations[key], nil
	}
	switch path {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return string(pod.UID), nil
	case "metadata.labels":
		return formatMap(pod.Labels), nil
	case "metadata.annotations":
		return formatMap(pod.Annotations), nil
	case "spec.nodeName":
		return pod.Spec.NodeName, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs":
		return nodeIP, nil
	}
	return "", configErrorf("field path %q is not supported by the process node", path)
}

// subscript parses prefix['key'].
func subscript(path, prefix string) (string, bool) {
	rest, ok := strings.CutPrefix(path, prefix+"['")
	if !ok {
		return "", false
	}
	return strings.CutSuffix(rest, "']")
}

// formatMap renders labels or annotations as the downward API does: key="value" lines, sorted.
func formatMap(m map[string]string) string {
	lines := make([]string, 0, len(m))
	for k, v := range m {
		lines = append(lines, fmt.Sprintf("%s=%q", k, v))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func lookupIn(env map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	}
}

// expand replaces $(VAR) references as Kubernetes does for env values, command and args: a defined
// variable is replaced by its value, an undefined one is left as written, and $$ escapes a $.
func expand(input string, lookup func(string) (string, bool)) string {
	if !strings.Contains(input, "$") {
		return input
	}
	var b strings.Builder
	for i := 0; i < len(input); i++ {
		if input[i] != '$' || i+1 == len(input) {
			b.WriteByte(input[i])
			continue
		}
		switch input[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(input[i+2:], ')')
			if end < 0 {
				b.WriteString(input[i:])
				return b.String()
			}
			ref := input[i : i+3+end]
			if v, ok := lookup(input[i+2 : i+2+end]); ok {
				b.WriteString(v)
			} else {
				b.WriteString(ref)
			}
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}
