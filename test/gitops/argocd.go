// SPDX-License-Identifier: Apache-2.0

// Package gitops runs the Argo CD health checks that docs/argocd ships for every kind, the way Argo
// CD runs a custom check, so that tests can hold them against the objects the operator writes.
package gitops

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	lua "github.com/yuin/gopher-lua"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The health statuses an Argo CD check may return; anything else Argo CD shows as Unknown.
const (
	Healthy     = "Healthy"
	Progressing = "Progressing"
	Degraded    = "Degraded"
	Suspended   = "Suspended"
	Missing     = "Missing"
	Unknown     = "Unknown"
)

// Health is what a check returned.
type Health struct {
	Status  string
	Message string
}

// Kinds lists every kind that docs/argocd/health.lua checks. A kind added to the API gets a line
// here and a key in docs/gitops.md; TestDocsMatchScripts fails until they agree with the CRDs.
var Kinds = []string{"Agent", "Environment", "Vault", "Skill", "MemoryStore", "AgentDeployment", "Session"}

// Group is the API group of every kind.
const Group = "claude.anthropic.com"

// ScriptFile is the check, relative to the repository's root.
const ScriptFile = "docs/argocd/health.lua"

// ConfigMapKey is the argocd-cm key of a kind's health check.
func ConfigMapKey(kind string) string {
	return "resource.customizations.health." + Group + "_" + kind
}

// ScriptFor reads the check of a kind.
func ScriptFor(kind string) (string, error) {
	if !slices.Contains(Kinds, kind) {
		return "", fmt.Errorf("no Argo CD health check for kind %q", kind)
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(ScriptFile)))
	return string(b), err
}

// RepoRoot is the directory of the module's go.mod, found from the working directory up.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// scriptTimeout is how long Argo CD lets a check run.
const scriptTimeout = time.Second

// ArgoHealth runs a check against an object as Argo CD does: a VM with only the package, base and
// table libraries (no string, os or io: a check that needs them fails here as it would there), the
// object as the global obj, one second to run, and a table with status and message as the result.
func ArgoHealth(script string, obj *unstructured.Unstructured) (Health, error) {
	L := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer L.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.LoadLibName, lua.OpenPackage}, {lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}} {
		if err := L.CallByParam(lua.P{Fn: L.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			return Health{}, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	L.SetContext(ctx)
	L.SetGlobal("obj", toLua(L, obj.Object))
	if err := L.DoString(script); err != nil {
		return Health{}, err
	}
	table, ok := L.Get(-1).(*lua.LTable)
	if !ok {
		return Health{}, fmt.Errorf("the check returned %s, want a table", L.Get(-1).Type())
	}
	h := Health{Status: lua.LVAsString(table.RawGetString("status")), Message: lua.LVAsString(table.RawGetString("message"))}
	switch h.Status {
	case Healthy, Progressing, Degraded, Suspended, Missing, Unknown:
		return h, nil
	}
	return Health{}, fmt.Errorf("the check returned status %q, which Argo CD shows as Unknown", h.Status)
}

// toLua converts a JSON-shaped value as Argo CD hands objects to checks: maps and lists become
// tables, every number a Lua number.
func toLua(L *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case map[string]any:
		t := L.CreateTable(0, len(v))
		for k, item := range v {
			t.RawSetString(k, toLua(L, item))
		}
		return t
	case []any:
		t := L.CreateTable(len(v), 0)
		for _, item := range v {
			t.Append(toLua(L, item))
		}
		return t
	case string:
		return lua.LString(v)
	case bool:
		return lua.LBool(v)
	case int64:
		return lua.LNumber(v)
	case int:
		return lua.LNumber(v)
	case float64:
		return lua.LNumber(v)
	}
	return lua.LNil
}
