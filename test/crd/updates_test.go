// SPDX-License-Identifier: Apache-2.0

package crd

import (
	"context"
	"encoding/json"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestAllowedSessionUpdates proves that the immutability rules leave room for the edits that steer a
// session: appending messages, raising the budget, answering actions, interrupting, retitling, and
// the resource changes the API takes on a running session (files, a repository's token Secret).
func TestAllowedSessionUpdates(t *testing.T) {
	cases := []struct {
		name   string
		base   string
		update []mutation
	}{
		{"append a message", baseSession, []mutation{set("spec.messages", []any{"first", "second"})}},
		{"raise the budget", baseSession, []mutation{set("spec.budget.maxListCostUSD", "10.50")}},
		{"retitle", baseSession, []mutation{set("spec.title", "new title")}},
		{"request an interrupt", baseSession, []mutation{set("spec.interruptRequest", "2026-11-29T10:00:00Z")}},
		{"answer a confirmation", baseSession, []mutation{set("spec.toolConfirmations", yamlValue(`v: [{toolUseID: sevt_1, decision: Deny, message: "not now"}]`))}},
		{"answer a custom tool", baseSession, []mutation{set("spec.customToolResults", yamlValue(`v: [{toolUseID: sevt_2, text: done}]`))}},
		{"add a file", baseSession, []mutation{set("spec.resources", yamlValue(`v: [{file: {fileID: file_1}}]`))}},
		{"append a message with an attachment", baseSessionWithAttachments, []mutation{
			set("spec.messages", []any{"Now read the report", "And this diagram"}),
			set("spec.attachments", yamlValue(`v: [{message: 0, type: Image, configMapKeyRef: {name: charts, key: q3.png}, mediaType: image/png},
				{message: 1, type: Document, fileID: file_011, title: Q3 report}, {message: 2, type: Image, url: "https://example.com/d.png"}]`))}},
		{"first attachment with an appended message", baseSession, []mutation{
			set("spec.messages", []any{"first", "read this"}),
			set("spec.attachments", yamlValue(`v: [{message: 2, type: Document, text: "the notes", title: notes}]`))}},
		{"remove a file, add another", baseSessionWithResources, []mutation{set("spec.resources", yamlValue(
			`v: [{githubRepository: {url: "https://github.com/acme/app", tokenSecretRef: {name: github, key: token}}}, {memoryStore: {memoryStoreRef: {name: team-memory}}}, {file: {fileID: file_2}}]`))}},
		{"point a repository at another token Secret", baseSessionWithResources, []mutation{set("spec.resources", yamlValue(
			`v: [{githubRepository: {url: "https://github.com/acme/app", tokenSecretRef: {name: github-app, key: token}}}, {memoryStore: {memoryStoreRef: {name: team-memory}}}, {file: {fileID: file_1}}]`))}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testContext(t)
			obj := parseManifest(t, tc.base)
			obj.SetName(uniqueName("session"))
			if err := k8s.Create(ctx, obj); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = k8s.Delete(ctx, obj) })
			for _, m := range tc.update {
				m(obj.Object)
			}
			if err := k8s.Update(ctx, obj); err != nil {
				t.Fatalf("update rejected: %v", err)
			}
		})
	}
}

// fullSelfHostedEnvironment sets every field of the self-hosted block, so that a pruned or renamed
// field shows up as a difference after the round trip through the API server.
const fullSelfHostedEnvironment = `
apiVersion: claude.anthropic.com/v1alpha1
kind: Environment
metadata: {name: sandboxes-full}
spec:
  type: SelfHosted
  deletionPolicy: Delete
  selfHosted:
    environmentKeySecretRef: {name: environment-key, key: key}
    maxConcurrentSandboxes: 5
    activeDeadlineSeconds: 3600
    idleTimeoutSeconds: 30
    workspace:
      mountPath: /work
      volumeClaimTemplate:
        metadata: {labels: {team: platform}}
        spec: {accessModes: [ReadWriteOnce], storageClassName: fast, resources: {requests: {storage: 10Gi}}}
    sandboxTemplate:
      metadata: {labels: {team: platform}, annotations: {example.com/owner: platform}}
      image: ghcr.io/example/toolchain:1.2
      imagePullPolicy: IfNotPresent
      imagePullSecrets: [{name: registry}]
      resources: {requests: {cpu: 500m, memory: 1Gi}, limits: {memory: 2Gi}}
      env:
      - {name: GOFLAGS, value: -mod=mod}
      - name: TOKEN
        valueFrom: {secretKeyRef: {name: tokens, key: token}}
      envFrom: [{configMapRef: {name: settings}}]
      volumes: [{name: cache, emptyDir: {sizeLimit: 1Gi}}]
      volumeMounts: [{name: cache, mountPath: /cache}]
      securityContext: {readOnlyRootFilesystem: true}
      podSecurityContext: {runAsUser: 1000, fsGroup: 1000}
      nodeSelector: {pool: sandboxes}
      tolerations: [{key: sandboxes, operator: Exists, effect: NoSchedule}]
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms: [{matchExpressions: [{key: arch, operator: In, values: [amd64]}]}]
      runtimeClassName: gvisor
      priorityClassName: low
      serviceAccountName: sandbox
      automountServiceAccountToken: false
`

// TestSelfHostedEnvironmentSchema proves that a fully specified self-hosted block reads back as
// written (nothing pruned), that a minimal one gets its documented defaults, and that the sandbox
// template and limits stay editable while the type does not.
func TestSelfHostedEnvironmentSchema(t *testing.T) {
	ctx := testContext(t)
	t.Run("every field survives the round trip", func(t *testing.T) {
		obj := parseManifest(t, fullSelfHostedEnvironment)
		want, _, _ := unstructured.NestedMap(obj.Object, "spec")
		if err := k8s.Create(ctx, obj); err != nil {
			t.Fatalf("rejected: %v", err)
		}
		t.Cleanup(func() { _ = k8s.Delete(ctx, obj) })
		got := readBack(ctx, t, obj)
		gotSpec, _, _ := unstructured.NestedMap(got.Object, "spec")
		gotJSON, _ := json.Marshal(gotSpec)
		wantJSON, _ := json.Marshal(want)
		if string(gotJSON) != string(wantJSON) {
			t.Errorf("spec changed on the way through the API server:\n got: %s\nwant: %s", gotJSON, wantJSON)
		}
	})
	t.Run("defaults and allowed edits", func(t *testing.T) {
		obj := parseManifest(t, baseSelfHostedEnvironment)
		obj.SetName(uniqueName("sandboxes"))
		if err := k8s.Create(ctx, obj); err != nil {
			t.Fatalf("rejected: %v", err)
		}
		t.Cleanup(func() { _ = k8s.Delete(ctx, obj) })
		got := readBack(ctx, t, obj)
		for path, want := range map[string]int64{"maxConcurrentSandboxes": 10, "idleTimeoutSeconds": 60} {
			if v, _, _ := unstructured.NestedInt64(got.Object, "spec", "selfHosted", path); v != want {
				t.Errorf("spec.selfHosted.%s defaulted to %d, want %d", path, v, want)
			}
		}
		for _, m := range []mutation{
			set("spec.selfHosted.sandboxTemplate.image", "debian:trixie"),
			set("spec.selfHosted.maxConcurrentSandboxes", 3),
			set("spec.selfHosted.workspace", yamlValue(`v: {emptyDir: {medium: Memory}}`)),
		} {
			m(got.Object)
		}
		if err := k8s.Update(ctx, got); err != nil {
			t.Fatalf("editing the sandbox template and limits was rejected: %v", err)
		}
	})
}

func readBack(ctx context.Context, t *testing.T, obj *unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	got := &unstructured.Unstructured{}
	got.SetGroupVersionKind(obj.GroupVersionKind())
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(obj), got); err != nil {
		t.Fatal(err)
	}
	return got
}
