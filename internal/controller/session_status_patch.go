// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/metrics"
)

// statusPatcher writes Session status with a merge patch built from status alone, and does not
// decode the answer. Both matter under a stream of events (bench/, docs/performance.md): building
// the patch with client.MergeFrom encodes and decodes the whole object twice, and the client decodes
// every answer into the object, which nothing reads after a status write (the next reconcile reads
// the cache). Together they were a sixth of the manager's CPU.
type statusPatcher struct {
	rest rest.Interface
}

func newStatusPatcher(mgr ctrl.Manager) (*statusPatcher, error) {
	gvk := v1alpha1.GroupVersion.WithKind("Session")
	rc, err := apiutil.RESTClientForGVK(gvk, true, false, mgr.GetConfig(), serializer.NewCodecFactory(mgr.GetScheme()), mgr.GetHTTPClient())
	if err != nil {
		return nil, fmt.Errorf("status client for sessions: %w", err)
	}
	return &statusPatcher{rest: rc}, nil
}

// patch sends the status change from original to sess, failing with a conflict on a stale
// resourceVersion (see statusPatch). Errors are the API server's, not-found included.
func (p *statusPatcher) patch(ctx context.Context, original, sess *v1alpha1.Session) error {
	data, err := statusMergePatch(original, sess)
	if err != nil {
		return err
	}
	metrics.StatusPatchBytes.Observe(float64(len(data)))
	return p.rest.Patch(types.MergePatchType).Namespace(sess.Namespace).Resource("sessions").Name(sess.Name).
		SubResource("status").Body(data).Do(ctx).Error()
}

// statusField is one top-level field of SessionStatus.
type statusField struct {
	index int
	name  string // JSON name, quoted
}

// statusFields lists SessionStatus's fields, every one of them omitempty (checked at start-up).
var statusFields = func() []statusField {
	t := reflect.TypeFor[v1alpha1.SessionStatus]()
	out := make([]statusField, 0, t.NumField())
	for i := range t.NumField() {
		name, opts, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" || !strings.Contains(opts, "omitempty") {
			panic("SessionStatus." + t.Field(i).Name + " must have a JSON name and omitempty for statusMergePatch")
		}
		quoted, _ := json.Marshal(name)
		out = append(out, statusField{index: i, name: string(quoted)})
	}
	return out
}()

// statusMergePatch is the JSON merge patch (RFC 7386) that turns original's status into sess's,
// with sess's resourceVersion as a precondition: what statusPatch sends to the status subresource,
// built field by field. An unchanged field costs one comparison; a changed one is encoded alone, an
// emptied one becomes null, and a changed object is diffed key by key so that its emptied keys
// become nulls too. Lists are replaced whole, as merge patches do.
func statusMergePatch(original, sess *v1alpha1.Session) ([]byte, error) {
	var b bytes.Buffer
	rv, err := json.Marshal(sess.ResourceVersion)
	if err != nil {
		return nil, err
	}
	b.WriteString(`{"metadata":{"resourceVersion":`)
	b.Write(rv)
	b.WriteString(`},"status":{`)
	before, after := reflect.ValueOf(&original.Status).Elem(), reflect.ValueOf(&sess.Status).Elem()
	first := true
	for _, f := range statusFields {
		o, n := before.Field(f.index), after.Field(f.index)
		if o.IsZero() && n.IsZero() || equality.Semantic.DeepEqual(o.Interface(), n.Interface()) {
			continue
		}
		value := []byte("null")
		if !n.IsZero() {
			if value, err = json.Marshal(n.Interface()); err != nil {
				return nil, err
			}
			if !o.IsZero() && isJSONObject(value) {
				old, err := json.Marshal(o.Interface())
				if err != nil {
					return nil, err
				}
				if value, err = mergeDiff(old, value); err != nil {
					return nil, err
				}
			}
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.WriteString(f.name)
		b.WriteByte(':')
		b.Write(value)
	}
	b.WriteString("}}")
	return b.Bytes(), nil
}

// mergeDiff returns the merge patch from JSON object a to JSON object b, comparing values as raw
// JSON (json.Marshal's output is canonical) and recursing into objects.
func mergeDiff(a, b []byte) ([]byte, error) {
	var am, bm map[string]json.RawMessage
	if err := json.Unmarshal(a, &am); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &bm); err != nil {
		return nil, err
	}
	out := make(map[string]json.RawMessage, len(bm))
	for k, bv := range bm {
		av, ok := am[k]
		switch {
		case ok && bytes.Equal(av, bv):
		case ok && isJSONObject(av) && isJSONObject(bv):
			sub, err := mergeDiff(av, bv)
			if err != nil {
				return nil, err
			}
			out[k] = sub
		default:
			out[k] = bv
		}
	}
	for k := range am {
		if _, ok := bm[k]; !ok {
			out[k] = json.RawMessage("null")
		}
	}
	return json.Marshal(out)
}

func isJSONObject(raw []byte) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && raw[0] == '{'
}
