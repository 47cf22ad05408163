// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/anthropics/anthropic-sdk-go/v2/packages/param"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// MaxMemoryBytes is the largest memory content the API stores.
const MaxMemoryBytes = 102400

// memoryStoreName is spec.name, or the default (metadata.name) when it is empty.
func memoryStoreName(spec *v1alpha1.MemoryStoreSpec, defaultName string) string {
	if spec.Name != "" {
		return spec.Name
	}
	return defaultName
}

// NewMemoryStoreParams translates a MemoryStoreSpec into the create request. owner holds the
// operator's reserved metadata keys, merged over the user's metadata.
func NewMemoryStoreParams(spec *v1alpha1.MemoryStoreSpec, defaultName string, owner map[string]string) anthropic.BetaMemoryStoreNewParams {
	return anthropic.BetaMemoryStoreNewParams{Name: memoryStoreName(spec, defaultName), Description: optString(spec.Description),
		Metadata: mergeMetadata(spec.Metadata, owner)}
}

// UpdateMemoryStoreParams translates a MemoryStoreSpec into an update of remote. The description is
// always sent ("" clears it); metadata is a patch, so the returned options delete the remote keys that
// are no longer desired.
func UpdateMemoryStoreParams(spec *v1alpha1.MemoryStoreSpec, defaultName string, owner map[string]string, remote *MemoryStore) (anthropic.BetaMemoryStoreUpdateParams, []option.RequestOption) {
	desired := mergeMetadata(spec.Metadata, owner)
	p := anthropic.BetaMemoryStoreUpdateParams{Name: param.NewOpt(memoryStoreName(spec, defaultName)),
		Description: param.NewOpt(spec.Description), Metadata: desired}
	return p, metadataDeletes(desired, remote.Metadata)
}

// MemoryStoreDrift names the store's fields that differ from the spec: name, description, metadata.
// Memories are not compared: after seeding, the remote store is their source of truth.
func MemoryStoreDrift(spec *v1alpha1.MemoryStoreSpec, defaultName string, owner map[string]string, remote *MemoryStore) []string {
	var d drift
	d.check("name", memoryStoreName(spec, defaultName) == remote.Name)
	d.check("description", spec.Description == remote.Description)
	d.check("metadata", maps.Equal(mergeMetadata(spec.Metadata, owner), remote.Metadata))
	return d.result()
}

// SeedMemory is one memory the seed asks for.
type SeedMemory struct {
	Path    string
	Content string
}

// SeedMemories turns the seed ConfigMap's data into memories at <pathPrefix><key>, sorted by path.
// Every key must be a valid path segment and every value valid UTF-8 of at most 100 kB.
func SeedMemories(seed *v1alpha1.MemorySeed, configMaps DataSource) ([]SeedMemory, error) {
	name := seed.ConfigMapRef.Name
	data, ok := configMaps(name)
	if !ok {
		return nil, &MissingReferenceError{Field: "seed.configMapRef", Kind: "ConfigMap", Name: name}
	}
	prefix := seed.PathPrefix
	if prefix == "" {
		prefix = "/"
	}
	out := make([]SeedMemory, 0, len(data))
	for _, key := range slices.Sorted(maps.Keys(data)) {
		v := data[key]
		switch {
		case key == "." || key == "..":
			return nil, invalidSpec("seed.configMapRef", "ConfigMap %s key %q cannot be a memory path segment", name, key)
		case !utf8.Valid(v):
			return nil, invalidSpec("seed.configMapRef", "ConfigMap %s key %s is not UTF-8 text", name, key)
		case len(v) > MaxMemoryBytes:
			return nil, invalidSpec("seed.configMapRef", "ConfigMap %s key %s holds %d bytes; a memory holds at most %d", name, key, len(v), MaxMemoryBytes)
		}
		out = append(out, SeedMemory{Path: prefix + key, Content: string(v)})
	}
	return out, nil
}

// SeedHash is the SHA-256 of the seed memories (paths and contents), so that an unchanged seed costs
// no remote call.
func SeedHash(memories []SeedMemory) string {
	h := sha256.New()
	for _, m := range memories {
		fmt.Fprintf(h, "%s:%s%s:%s", strconv.Itoa(len(m.Path)), m.Path, strconv.Itoa(len(m.Content)), m.Content)
	}
	return hex.EncodeToString(h.Sum(nil))
}
