// SPDX-License-Identifier: Apache-2.0

package crd

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// nameSeq keeps object names unique across cases that share the namespace.
var nameSeq atomic.Int64

func uniqueName(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, nameSeq.Add(1))
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// parseManifest turns one YAML document into an unstructured object in the default namespace.
func parseManifest(t *testing.T, doc string) *unstructured.Unstructured {
	t.Helper()
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(doc), &obj.Object); err != nil {
		t.Fatalf("parsing manifest: %v", err)
	}
	obj.SetNamespace("default")
	return obj
}

// readSamples returns every document of every file in config/samples and its subfolders (the
// self-hosted samples live in one, so that `kubectl apply -f config/samples` leaves them out).
func readSamples(t *testing.T, root string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, "config", "samples", "*.yaml"))
	nested, nestedErr := filepath.Glob(filepath.Join(root, "config", "samples", "*", "*.yaml"))
	if err != nil || nestedErr != nil || len(files) == 0 || len(nested) == 0 {
		t.Fatalf("no samples found: %v %v", err, nestedErr)
	}
	files = append(files, nested...)
	docs := map[string]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range strings.Split(string(data), "\n---") {
			if strings.TrimSpace(doc) != "" {
				rel, _ := filepath.Rel(filepath.Join(root, "config", "samples"), f)
				docs[fmt.Sprintf("%s#%d", rel, i)] = doc
			}
		}
	}
	return docs
}

// setPath sets a dotted path (spec.model.id) in an object, creating maps on the way.
func setPath(obj map[string]any, path string, value any) {
	keys := strings.Split(path, ".")
	for _, k := range keys[:len(keys)-1] {
		next, ok := obj[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			obj[k] = next
		}
		obj = next
	}
	obj[keys[len(keys)-1]] = value
}

// deletePath removes a dotted path from an object.
func deletePath(obj map[string]any, path string) {
	keys := strings.Split(path, ".")
	for _, k := range keys[:len(keys)-1] {
		next, ok := obj[k].(map[string]any)
		if !ok {
			return
		}
		obj = next
	}
	delete(obj, keys[len(keys)-1])
}
