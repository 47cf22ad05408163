// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"context"
	"encoding/json"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// SetPaused pauses a session (the operator sends it nothing but keeps following it) or resumes it,
// by setting or removing the paused annotation. It returns the session as patched and whether that
// changed anything, so that pausing a paused session can say so instead of failing.
func SetPaused(ctx context.Context, c client.Client, key types.NamespacedName, paused bool) (*v1alpha1.Session, bool, error) {
	sess, err := GetSession(ctx, c, key)
	if err != nil {
		return nil, false, err
	}
	if v1alpha1.IsPaused(sess.Annotations) == paused {
		return sess, false, nil
	}
	var value any // JSON null removes the annotation
	if paused {
		value = "true"
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]any{v1alpha1.AnnotationPaused: value}}})
	if err != nil {
		return nil, false, err
	}
	if err := c.Patch(ctx, sess, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return nil, false, err
	}
	return sess, true, nil
}

// PausedNote tells the user that what they just asked of a paused session waits for resume; it is
// empty when the session is not paused.
func PausedNote(sess *v1alpha1.Session) string {
	if !v1alpha1.IsPaused(sess.Annotations) {
		return ""
	}
	return "session " + sess.Name + " is paused: this goes out when you run `kubectl claude resume " + sess.Name + "`"
}
