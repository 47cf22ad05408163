// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// checkMemoryPath enforces the API's path rules: it starts with "/", has 1
// to 20 non-empty segments that are not "." or "..", has no control, format
// or line/paragraph separator characters, is in NFC and is at most 1,024 bytes.
func checkMemoryPath(field, p string) *apiError {
	if !strings.HasPrefix(p, "/") {
		return errBadRequest("%s: must start with /", field)
	}
	if len(p) > 1024 {
		return errBadRequest("%s: must be at most 1024 bytes", field)
	}
	segs := strings.Split(p[1:], "/")
	if len(segs) > 20 {
		return errBadRequest("%s: must have at most 20 segments", field)
	}
	for _, seg := range segs {
		if seg == "" || seg == "." || seg == ".." {
			return errBadRequest("%s: segments must not be empty, \".\" or \"..\"", field)
		}
	}
	bad := func(r rune) bool {
		return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029'
	}
	if strings.IndexFunc(p, bad) >= 0 {
		return errBadRequest("%s: must not contain control, format or line separator characters", field)
	}
	if !norm.NFC.IsNormalString(p) {
		return errBadRequest("%s: must be in Unicode Normalization Form C", field)
	}
	return nil
}

// memoryListItem is a memory, or a memory_prefix standing for the memories
// below the requested depth.
type memoryListItem struct {
	path string
	mem  *memory // nil for a prefix
}

// listMemories lists a store's memories by path. With depth N > 0, memories
// more than N segments below path_prefix roll up into memory_prefix items.
func (s *Server) listMemories(r *http.Request) (any, *apiError) {
	q := r.URL.Query()
	full, err := parseView(q, "basic")
	if err != nil {
		return nil, err
	}
	lq, err := parseListQuery(q, 20, 100, "asc", false)
	if err != nil {
		return nil, err
	}
	if full {
		lq.limit = min(lq.limit, 20) // a full page holds at most 20 items
	}
	prefix, depth, err := memoryListScope(q)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.memoryStoreLocked(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	items := memoryItems(st, prefix, depth)
	return pageOf(items, func(it memoryListItem) string { return it.path }, lq, func(it memoryListItem) map[string]any {
		if it.mem == nil {
			return map[string]any{"type": "memory_prefix", "path": it.path}
		}
		return it.mem.render(full)
	}), nil
}

func memoryListScope(q map[string][]string) (string, int, *apiError) {
	prefix := "/"
	if v := strings.Join(q["path_prefix"], ""); v != "" {
		if !strings.HasPrefix(v, "/") || !strings.HasSuffix(v, "/") {
			return "", 0, errBadRequest("path_prefix: must start and end with /")
		}
		prefix = v
	}
	depth := 0
	if v := strings.Join(q["depth"], ""); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return "", 0, errBadRequest("depth: must be a non-negative integer")
		}
		depth = n
	}
	return prefix, depth, nil
}

// memoryItems are the list items under prefix, sorted by path.
func memoryItems(st *memoryStore, prefix string, depth int) []memoryListItem {
	var items []memoryListItem
	seen := map[string]bool{}
	for _, m := range st.memories {
		rest, ok := strings.CutPrefix(m.path, prefix)
		if !ok {
			continue
		}
		segs := strings.Split(rest, "/")
		if depth == 0 || len(segs) <= depth {
			items = append(items, memoryListItem{path: m.path, mem: m})
			continue
		}
		p := prefix + strings.Join(segs[:depth], "/") + "/"
		if !seen[p] {
			seen[p] = true
			items = append(items, memoryListItem{path: p})
		}
	}
	sort.Slice(items, func(i, j int) bool { return items[i].path < items[j].path })
	return items
}
