// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// maxPatchAttempts bounds how often an append is retried when another writer got there first.
const maxPatchAttempts = 8

// patchOp is one JSON patch (RFC 6902) operation.
type patchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value"`
}

// AppendPatch builds a JSON patch that appends items to the list at path, but only if the list
// still holds exactly current (nil: the field is absent). The test operation makes the API server
// refuse the patch when another writer changed the list since it was read, so a concurrent append
// is never overwritten: the caller re-reads and tries again.
func AppendPatch(path string, current []any, items ...any) ([]byte, error) {
	var ops []patchOp
	if current == nil {
		ops = []patchOp{{Op: "test", Path: path, Value: nil}, {Op: "add", Path: path, Value: items}}
	} else {
		ops = []patchOp{{Op: "test", Path: path, Value: current}}
		for _, item := range items {
			ops = append(ops, patchOp{Op: "add", Path: path + "/-", Value: item})
		}
	}
	return json.Marshal(ops)
}

// specList reads spec.<field> of an unstructured Session exactly as stored (nil when absent).
func specList(obj *unstructured.Unstructured, field string) []any {
	list, found, err := unstructured.NestedSlice(obj.Object, "spec", field)
	if err != nil || !found {
		return nil
	}
	return list
}

// readSession reads a Session both as stored (for the patch's test) and typed (for checks).
func readSession(ctx context.Context, c client.Client, key types.NamespacedName) (*unstructured.Unstructured, *v1alpha1.Session, error) {
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(v1alpha1.GroupVersion.WithKind("Session"))
	if err := c.Get(ctx, key, obj); err != nil {
		return nil, nil, notFound(err, "session", key.Name, key.Namespace, "list sessions with `kubectl claude get` (or pass -n NAMESPACE)")
	}
	sess := &v1alpha1.Session{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, sess); err != nil {
		return nil, nil, fmt.Errorf("reading session %s: %w", key.Name, err)
	}
	return obj, sess, nil
}

// appendFunc decides, from the Session as just read, which items to append to spec.<field>.
type appendFunc func(sess *v1alpha1.Session) ([]any, error)

// appendToSpec appends the items decide returns to spec.<field>, re-reading and retrying (bounded)
// when a concurrent writer changed the list first. It returns the patched Session.
func appendToSpec(ctx context.Context, c client.Client, key types.NamespacedName, field string, decide appendFunc) (*v1alpha1.Session, error) {
	var lastErr error
	for attempt := range maxPatchAttempts {
		if attempt > 0 {
			if err := sleep(ctx, time.Duration(attempt)*50*time.Millisecond); err != nil {
				return nil, err
			}
		}
		obj, sess, err := readSession(ctx, c, key)
		if err != nil {
			return nil, err
		}
		items, err := decide(sess)
		if err != nil {
			return nil, err
		}
		data, err := AppendPatch("/spec/"+field, specList(obj, field), items...)
		if err != nil {
			return nil, err
		}
		err = c.Patch(ctx, sess, client.RawPatch(types.JSONPatchType, data))
		if err == nil {
			return sess, nil
		}
		if !isTestFailure(err) {
			return nil, err
		}
		lastErr = err
	}
	return nil, fmt.Errorf("session %s: spec.%s kept changing while appending (%d attempts): %w", key.Name, field, maxPatchAttempts, lastErr)
}

// patchRejected is how the API server words every JSON patch that does not apply: it drops the
// patch library's own message ("testing value ... failed"), so a failed test reads like this, with
// no field causes, while schema and CEL rejections name their fields.
const patchRejected = "the server rejected our request due to an error in our request"

// isTestFailure reports whether a JSON patch failed because its test operation did not hold.
func isTestFailure(err error) bool {
	if apierrors.IsConflict(err) {
		return true
	}
	if !apierrors.IsInvalid(err) {
		return false
	}
	if strings.Contains(err.Error(), "testing value") {
		return true
	}
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		return false
	}
	st := status.Status()
	return strings.HasPrefix(st.Message, patchRejected) && (st.Details == nil || len(st.Details.Causes) == 0)
}
