// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// cursor is the decoded form of an opaque page token. Pages are keyset-based
// on ids (which sort in creation order), so a page stays correct while items
// are created or deleted between requests.
type cursor struct {
	After  string `json:"a,omitempty"` // items strictly after this id, in list order
	Before string `json:"b,omitempty"` // items strictly before this id, in list order
	Order  string `json:"o,omitempty"` // the order the cursor was produced with
}

func encodeCursor(c cursor) string {
	b, _ := json.Marshal(c)
	return "page_" + base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, *apiError) {
	var c cursor
	raw, ok := strings.CutPrefix(s, "page_")
	if !ok {
		return c, errBadRequest("page: invalid page cursor")
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil || json.Unmarshal(b, &c) != nil || (c.After == "" && c.Before == "") {
		return c, errBadRequest("page: invalid page cursor")
	}
	return c, nil
}

// listQuery is the parsed paging part of a list request.
type listQuery struct {
	limit int
	order string // "asc" or "desc"
	cur   *cursor
}

// parseListQuery reads limit, page and (if orderable) order. A cursor
// remembers its order; asking for the other order with it is a 400, as in the
// hosted API.
func parseListQuery(q url.Values, defLimit, maxLimit int, defOrder string, orderable bool) (listQuery, *apiError) {
	lq := listQuery{limit: defLimit, order: defOrder}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return lq, errBadRequest("limit: must be an integer between 1 and %d", maxLimit)
		}
		lq.limit = n
	}
	explicitOrder := ""
	if orderable {
		if v := q.Get("order"); v != "" {
			if v != "asc" && v != "desc" {
				return lq, errBadRequest("order: input should be \"asc\" or \"desc\"")
			}
			explicitOrder = v
			lq.order = v
		}
	}
	if v := q.Get("page"); v != "" {
		c, err := decodeCursor(v)
		if err != nil {
			return lq, err
		}
		if c.Order != "" {
			if explicitOrder != "" && explicitOrder != c.Order {
				return lq, errBadRequest("page: this cursor was produced with order=%s and cannot be used with order=%s", c.Order, explicitOrder)
			}
			lq.order = c.Order
		}
		lq.cur = &c
	}
	return lq, nil
}

// inOrderBefore reports whether id a comes before id b in the list order.
func inOrderBefore(a, b, order string) bool {
	if order == "desc" {
		return a > b
	}
	return a < b
}

// paginate cuts one page out of items, which are already filtered and sorted
// in lq.order. It returns the page and the next/previous cursors ("" if none).
func paginate[T any](items []T, idOf func(T) string, lq listQuery) (page []T, next, prev string) {
	start, end := pageBounds(items, idOf, lq)
	page = items[start:end]
	if len(page) == 0 {
		return page, "", ""
	}
	if end < len(items) {
		next = encodeCursor(cursor{After: idOf(page[len(page)-1]), Order: lq.order})
	}
	if start > 0 {
		prev = encodeCursor(cursor{Before: idOf(page[0]), Order: lq.order})
	}
	return page, next, prev
}

// pageBounds is the index range of the page lq asks for: up to lq.limit items
// just before the cursor's Before id, just after its After id, or from the start.
func pageBounds[T any](items []T, idOf func(T) string, lq listQuery) (start, end int) {
	switch {
	case lq.cur != nil && lq.cur.Before != "":
		for end < len(items) && inOrderBefore(idOf(items[end]), lq.cur.Before, lq.order) {
			end++
		}
		return max(0, end-lq.limit), end
	case lq.cur != nil:
		for start < len(items) && !inOrderBefore(lq.cur.After, idOf(items[start]), lq.order) {
			start++
		}
		return start, min(len(items), start+lq.limit)
	default:
		return 0, min(len(items), lq.limit)
	}
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// timeFilter is a created_at[gt|gte|lt|lte] filter set.
type timeFilter struct {
	gt, gte, lt, lte *time.Time
}

// parseCreatedAt reads the created_at[gt|gte|lt|lte] filters.
func parseCreatedAt(q url.Values) (timeFilter, *apiError) {
	const name = "created_at"
	var f timeFilter
	for op, dst := range map[string]**time.Time{"gt": &f.gt, "gte": &f.gte, "lt": &f.lt, "lte": &f.lte} {
		key := name + "[" + op + "]"
		v := q.Get(key)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return f, errBadRequest("%s: input should be a valid RFC 3339 datetime", key)
		}
		*dst = &t
	}
	return f, nil
}

func (f timeFilter) match(t time.Time) bool {
	return (f.gt == nil || t.After(*f.gt)) &&
		(f.gte == nil || !t.Before(*f.gte)) &&
		(f.lt == nil || t.Before(*f.lt)) &&
		(f.lte == nil || !t.After(*f.lte))
}

// parseIncludeArchived reads include_archived.
func parseIncludeArchived(q url.Values) (bool, *apiError) {
	const key = "include_archived"
	v := q.Get(key)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, errBadRequest("%s: input should be a valid boolean", key)
	}
	return b, nil
}

// queryList reads an array query parameter in either bracket form
// (types[]=a&types[]=b, what the SDK sends) or repeated plain form.
func queryList(q url.Values, key string) []string {
	return append(q[key+"[]"], q[key]...)
}
