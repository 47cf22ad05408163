// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"net/http"
	"slices"
	"time"
)

// registry holds one kind of stored object by id and in creation order. Ids
// sort in creation order (see idGen), so creation order is also id order,
// which is what the keyset pagination relies on.
type registry[T any] struct {
	byID map[string]T
	ids  []string
}

func newRegistry[T any]() registry[T] { return registry[T]{byID: map[string]T{}} }

func (r *registry[T]) add(id string, v T) {
	r.byID[id] = v
	r.ids = append(r.ids, id)
}

func (r *registry[T]) get(id string) (T, bool) {
	v, ok := r.byID[id]
	return v, ok
}

func (r *registry[T]) remove(id string) {
	if _, ok := r.byID[id]; !ok {
		return
	}
	delete(r.byID, id)
	r.ids = slices.DeleteFunc(r.ids, func(x string) bool { return x == id })
}

func (r *registry[T]) len() int { return len(r.ids) }

// oldestFirst returns the objects for which keep is true (every object when
// keep is nil), in creation order.
func (r *registry[T]) oldestFirst(keep func(T) bool) []T {
	out := make([]T, 0, len(r.ids))
	for _, id := range r.ids {
		if v := r.byID[id]; keep == nil || keep(v) {
			out = append(out, v)
		}
	}
	return out
}

// newestFirst is oldestFirst in reverse, the order most lists use.
func (r *registry[T]) newestFirst(keep func(T) bool) []T {
	out := r.oldestFirst(keep)
	slices.Reverse(out)
	return out
}

// pageOf renders one page of items (already filtered and in lq.order) in the
// {"data": [...], "next_page": ...} shape shared by the cursor-paged lists.
func pageOf[T any](items []T, idOf func(T) string, lq listQuery, render func(T) map[string]any) map[string]any {
	page, next, _ := paginate(items, idOf, lq)
	data := make([]any, len(page))
	for i, v := range page {
		data[i] = render(v)
	}
	return map[string]any{"data": data, "next_page": nullIfEmpty(next)}
}

// find returns the object with id, or a 404 naming its kind.
func (r *registry[T]) find(kind, id string) (T, *apiError) {
	v, ok := r.byID[id]
	if !ok {
		return v, errNotFound("%s %s not found", kind, id)
	}
	return v, nil
}

// pathID adapts a lookup by id to one by the request's {id} path value.
func pathID[T any](find func(id string) (T, *apiError)) func(*http.Request) (T, *apiError) {
	return func(r *http.Request) (T, *apiError) { return find(r.PathValue("id")) }
}

// readOne is a GET endpoint: under the lock, find what the path names and
// render it.
func readOne[T any](s *Server, find func(*http.Request) (T, *apiError), render func(T) map[string]any) apiFunc {
	return func(r *http.Request) (any, *apiError) {
		s.mu.Lock()
		defer s.mu.Unlock()
		v, err := find(r)
		if err != nil {
			return nil, err
		}
		return render(v), nil
	}
}

// archiveOne is an archive endpoint. Archiving is idempotent.
func archiveOne[T interface{ archive(now time.Time) }](s *Server, find func(*http.Request) (T, *apiError), render func(T) map[string]any) apiFunc {
	return readOne(s, func(r *http.Request) (T, *apiError) {
		v, err := find(r)
		if err == nil {
			v.archive(s.now())
		}
		return v, err
	}, render)
}

// deleteOne is a delete endpoint for an object that nothing else holds on to.
func deleteOne[T any](s *Server, reg *registry[T], kind, deletedType string) apiFunc {
	return func(r *http.Request) (any, *apiError) {
		s.mu.Lock()
		defer s.mu.Unlock()
		id := r.PathValue("id")
		if _, err := reg.find(kind, id); err != nil {
			return nil, err
		}
		reg.remove(id)
		return map[string]any{"id": id, "type": deletedType}, nil
	}
}

// archivedListQuery reads the paging and include_archived parameters of a
// newest-first list.
func archivedListQuery(r *http.Request, maxLimit int) (listQuery, bool, *apiError) {
	q := r.URL.Query()
	lq, err := parseListQuery(q, 20, maxLimit, "desc", false)
	if err != nil {
		return lq, false, err
	}
	includeArchived, err := parseIncludeArchived(q)
	return lq, includeArchived, err
}
