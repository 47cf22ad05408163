// SPDX-License-Identifier: Apache-2.0

package crd

import (
	"encoding/json"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/anthropics/managed-agents-operator/internal/testenv"
)

// TestSamplesAreAcceptedAndReadBackAsWritten proves that every file in config/samples is valid and
// that no field is pruned or rewritten by the schema: the spec read back equals the spec sent.
func TestSamplesAreAcceptedAndReadBackAsWritten(t *testing.T) {
	for name, doc := range readSamples(t, testenv.RepoRoot()) {
		t.Run(name, func(t *testing.T) {
			ctx := testContext(t)
			obj := parseManifest(t, doc)
			obj.SetName(uniqueName(obj.GetName()))
			want, _, _ := unstructured.NestedMap(obj.Object, "spec")
			if err := k8s.Create(ctx, obj); err != nil {
				t.Fatalf("sample rejected: %v", err)
			}
			t.Cleanup(func() { _ = k8s.Delete(ctx, obj) })

			got := readBack(ctx, t, obj)
			gotSpec, _, _ := unstructured.NestedMap(got.Object, "spec")
			// Compare as JSON: YAML numbers decode as float64, the API server's as int64.
			gotJSON, _ := json.Marshal(gotSpec)
			wantJSON, _ := json.Marshal(want)
			if string(gotJSON) != string(wantJSON) {
				t.Errorf("spec changed on the way through the API server:\n got: %s\nwant: %s", gotJSON, wantJSON)
			}
		})
	}
}
