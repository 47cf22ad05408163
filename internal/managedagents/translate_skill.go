// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strconv"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// MaxSkillBytes bounds the files of one skill version, all together.
const MaxSkillBytes = 8 << 20

// SkillUploadFiles reads a Skill's files from its ConfigMap and places them in the upload: every file
// at <directory>/<path>, where path is an item's path or, without items, the key itself. The
// ConfigMap must exist, every item's key must be in it, and SKILL.md must be among the files.
func SkillUploadFiles(spec *v1alpha1.SkillSpec, directory string, configMaps DataSource) (map[string][]byte, error) {
	name := spec.Files.ConfigMapRef.Name
	data, ok := configMaps(name)
	if !ok {
		return nil, &MissingReferenceError{Field: "files.configMapRef", Kind: "ConfigMap", Name: name}
	}
	out := map[string][]byte{}
	if len(spec.Files.Items) == 0 {
		if _, ok := data["SKILL.md"]; !ok {
			return nil, &MissingReferenceError{Field: "files.configMapRef", Kind: "ConfigMap", Name: name, Key: "SKILL.md"}
		}
		for k, v := range data {
			out[directory+"/"+k] = v
		}
	}
	for i, item := range spec.Files.Items {
		v, err := lookupKey(configMaps, "ConfigMap", fmt.Sprintf("files.items[%d]", i), name, item.Key)
		if err != nil {
			return nil, err
		}
		out[directory+"/"+item.Path] = v
	}
	size := 0
	for _, v := range out {
		size += len(v)
	}
	if size > MaxSkillBytes {
		return nil, invalidSpec("files", "the files of ConfigMap %s add up to %d bytes; a skill holds at most %d", name, size, MaxSkillBytes)
	}
	return out, nil
}

// SkillContentHash is the SHA-256 of an upload: every path and content, in path order, each with its
// length so that no two different uploads hash alike.
func SkillContentHash(files map[string][]byte) string {
	h := sha256.New()
	for _, p := range slices.Sorted(maps.Keys(files)) {
		for _, part := range [][]byte{[]byte(p), files[p]} {
			h.Write([]byte(strconv.Itoa(len(part)) + ":"))
			h.Write(part)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}
