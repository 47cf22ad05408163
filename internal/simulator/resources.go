// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"path"
	"regexp"
	"strconv"
	"strings"
)

// This file parses the session create fields that describe what a session
// mounts and may spend: resources and budget.

var minorAmount = regexp.MustCompile(`^(0|[1-9][0-9]{0,17})$`)

// parseBudget reads {type:"limit", max_list_cost:{amount, currency:"USD"}}.
func parseBudget(v any, p string) (map[string]any, int64, *apiError) {
	o, err := asObject(v, p)
	if err != nil {
		return nil, 0, err
	}
	if err := o.only("type", "max_list_cost"); err != nil {
		return nil, 0, err
	}
	if _, _, err := o.enum("type", "limit"); err != nil {
		return nil, 0, err
	}
	mc, err := o.reqObj("max_list_cost")
	if err != nil {
		return nil, 0, err
	}
	if err := mc.only("amount", "currency"); err != nil {
		return nil, 0, err
	}
	amount, err := mc.reqStr("amount")
	if err != nil {
		return nil, 0, err
	}
	if !minorAmount.MatchString(amount) {
		return nil, 0, errBadRequest("%s: must be an integer string in minor units with no leading zeros", mc.at("amount"))
	}
	cur, ok, err := mc.enum("currency", "USD")
	if err != nil {
		return nil, 0, err
	}
	if !ok {
		return nil, 0, errBadRequest("%s: field required", mc.at("currency"))
	}
	n, _ := strconv.ParseInt(amount, 10, 64)
	return map[string]any{"type": "limit", "max_list_cost": map[string]any{"amount": amount, "currency": cur}}, n, nil
}

var githubRepo = regexp.MustCompile(`^https://github\.com/[A-Za-z0-9_.-]+/([A-Za-z0-9_.-]+?)(\.git)?/?$`)

// parsedResource is a session resource in response form (without id and
// timestamps) plus its write-only authorization token, which no response
// ever carries.
type parsedResource struct {
	res   map[string]any
	token string
}

// parseResources validates resources. Memory stores are resolved (name,
// description, mount path) against the stored ones afterwards.
func parseResources(list []any, p string) ([]parsedResource, *apiError) {
	out := make([]parsedResource, 0, len(list))
	mounts := map[string]bool{}
	for i, item := range list {
		o, err := asObject(item, index(p, i))
		if err != nil {
			return nil, err
		}
		t, ok, err := o.enum("type", "github_repository", "file", "memory_store")
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errBadRequest("%s: field required", o.at("type"))
		}
		var pr parsedResource
		switch t {
		case "github_repository":
			pr.res, pr.token, err = parseRepoResource(o)
		case "file":
			pr.res, err = parseFileResource(o)
		default:
			pr.res, err = parseMemoryStoreResource(o)
		}
		if err != nil {
			return nil, err
		}
		if mp, ok := pr.res["mount_path"].(string); ok {
			if mounts[mp] {
				return nil, errBadRequest("%s: mount path %s is used by another resource", o.at("mount_path"), mp)
			}
			mounts[mp] = true
		}
		out = append(out, pr)
	}
	return out, nil
}

func mountPath(o jobj, def string) (string, *apiError) {
	mp, ok, err := o.str("mount_path")
	if err != nil {
		return "", err
	}
	if !ok {
		return def, nil
	}
	if !strings.HasPrefix(mp, "/") || path.Clean(mp) != mp {
		return "", errBadRequest("%s: must be a clean absolute path", o.at("mount_path"))
	}
	return mp, nil
}

func parseRepoResource(o jobj) (map[string]any, string, *apiError) {
	if err := o.only("type", "url", "authorization_token", "mount_path", "checkout"); err != nil {
		return nil, "", err
	}
	u, err := o.reqStr("url")
	if err != nil {
		return nil, "", err
	}
	m := githubRepo.FindStringSubmatch(u)
	if m == nil {
		return nil, "", errBadRequest("%s: must be a https://github.com/<owner>/<repo> URL", o.at("url"))
	}
	token, _, err := secretToken(o, "authorization_token", false)
	if err != nil {
		return nil, "", err
	}
	mp, err := mountPath(o, "/workspace/"+m[1])
	if err != nil {
		return nil, "", err
	}
	checkout, err := parseCheckout(o)
	if err != nil {
		return nil, "", err
	}
	return map[string]any{"type": "github_repository", "url": u, "mount_path": mp, "checkout": checkout}, token, nil
}

func parseCheckout(o jobj) (any, *apiError) {
	var checkout any
	if c, ok, err := o.obj("checkout"); err != nil {
		return nil, err
	} else if ok {
		ct, ok, err := c.enum("type", "branch", "commit")
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errBadRequest("%s: field required", c.at("type"))
		}
		field := map[string]string{"branch": "name", "commit": "sha"}[ct]
		if err := c.only("type", field); err != nil {
			return nil, err
		}
		val, err := c.reqStr(field)
		if err != nil {
			return nil, err
		}
		checkout = map[string]any{"type": ct, field: val}
	}
	return checkout, nil
}

func parseFileResource(o jobj) (map[string]any, *apiError) {
	if err := o.only("type", "file_id", "mount_path"); err != nil {
		return nil, err
	}
	id, err := o.reqStr("file_id")
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(id, "file_") {
		return nil, errBadRequest("%s: must be a file id (file_…)", o.at("file_id"))
	}
	mp, err := mountPath(o, "/mnt/session/uploads/"+id)
	if err != nil {
		return nil, err
	}
	return map[string]any{"type": "file", "file_id": id, "mount_path": mp}, nil
}

func parseMemoryStoreResource(o jobj) (map[string]any, *apiError) {
	if err := o.only("type", "memory_store_id", "access", "instructions"); err != nil {
		return nil, err
	}
	id, err := o.reqStr("memory_store_id")
	if err != nil {
		return nil, err
	}
	access, ok, err := o.enum("access", "read_write", "read_only")
	if err != nil {
		return nil, err
	}
	if !ok {
		access = "read_write"
	}
	instr, _, err := o.strLen("instructions", 0, 4096)
	if err != nil {
		return nil, err
	}
	// name, description and mount_path come from the store (resolveMemoryStoresLocked).
	return map[string]any{"type": "memory_store", "memory_store_id": id, "access": access,
		"instructions": nullIfEmpty(instr)}, nil
}
