// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"context"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// MemoryStore and Memory are the API's memory objects, as the SDK decodes them. MemoryListItem is a
// memory or, in depth-limited lists, a directory-like prefix.
type (
	MemoryStore    = anthropic.BetaManagedAgentsMemoryStore
	Memory         = anthropic.BetaManagedAgentsMemory
	MemoryListItem = anthropic.BetaManagedAgentsMemoryListItemUnion
)

// MemoryStoreClient is what the MemoryStore controller needs from the API. Every method returns
// errors classified as *Error and never retries on its own.
type MemoryStoreClient interface {
	CreateMemoryStore(ctx context.Context, params anthropic.BetaMemoryStoreNewParams) (*MemoryStore, error)
	GetMemoryStore(ctx context.Context, id string) (*MemoryStore, error)
	UpdateMemoryStore(ctx context.Context, id string, params anthropic.BetaMemoryStoreUpdateParams, opts ...option.RequestOption) (*MemoryStore, error)
	ArchiveMemoryStore(ctx context.Context, id string) error
	DeleteMemoryStore(ctx context.Context, id string) error
	// FindMemoryStore returns the unarchived store whose metadata carries this Kubernetes UID, or nil.
	FindMemoryStore(ctx context.Context, uid string) (*MemoryStore, error)

	// CreateMemory writes a new memory at path. A path that holds a memory already fails with a
	// Conflict (the API's memory_path_conflict_error): nothing is overwritten.
	CreateMemory(ctx context.Context, storeID, path, content string) (*Memory, error)
	// ListMemories calls fn for every memory of the store (metadata only: content_sha256 and
	// content_size_bytes, not the content), in path order, until fn returns false.
	ListMemories(ctx context.Context, storeID string, fn func(MemoryListItem) bool) error
}

var _ MemoryStoreClient = (*sdkClient)(nil)

func (c *sdkClient) CreateMemoryStore(ctx context.Context, p anthropic.BetaMemoryStoreNewParams) (*MemoryStore, error) {
	s, err := c.api.Beta.MemoryStores.New(ctx, p)
	return s, Classify(err)
}

func (c *sdkClient) GetMemoryStore(ctx context.Context, id string) (*MemoryStore, error) {
	s, err := c.api.Beta.MemoryStores.Get(ctx, id, anthropic.BetaMemoryStoreGetParams{})
	return s, Classify(err)
}

func (c *sdkClient) UpdateMemoryStore(ctx context.Context, id string, p anthropic.BetaMemoryStoreUpdateParams, opts ...option.RequestOption) (*MemoryStore, error) {
	s, err := c.api.Beta.MemoryStores.Update(ctx, id, p, opts...)
	return s, Classify(err)
}

func (c *sdkClient) ArchiveMemoryStore(ctx context.Context, id string) error {
	_, err := c.api.Beta.MemoryStores.Archive(ctx, id, anthropic.BetaMemoryStoreArchiveParams{})
	return Classify(err)
}

func (c *sdkClient) DeleteMemoryStore(ctx context.Context, id string) error {
	_, err := c.api.Beta.MemoryStores.Delete(ctx, id, anthropic.BetaMemoryStoreDeleteParams{})
	return Classify(err)
}

func (c *sdkClient) FindMemoryStore(ctx context.Context, uid string) (*MemoryStore, error) {
	pager := c.api.Beta.MemoryStores.ListAutoPaging(ctx, anthropic.BetaMemoryStoreListParams{Limit: anthropic.Int(100)})
	for pager.Next() {
		if s := pager.Current(); s.Metadata[v1alpha1.MetadataKeyUID] == uid {
			return &s, nil
		}
	}
	return nil, Classify(pager.Err())
}

func (c *sdkClient) CreateMemory(ctx context.Context, storeID, path, content string) (*Memory, error) {
	m, err := c.api.Beta.MemoryStores.Memories.New(ctx, storeID, anthropic.BetaMemoryStoreMemoryNewParams{
		Path: path, Content: anthropic.String(content)})
	return m, Classify(err)
}

func (c *sdkClient) ListMemories(ctx context.Context, storeID string, fn func(MemoryListItem) bool) error {
	pager := c.api.Beta.MemoryStores.Memories.ListAutoPaging(ctx, storeID, anthropic.BetaMemoryStoreMemoryListParams{Limit: anthropic.Int(100)})
	for pager.Next() {
		if !fn(pager.Current()) {
			return nil
		}
	}
	return Classify(pager.Err())
}
