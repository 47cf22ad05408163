// SPDX-License-Identifier: Apache-2.0

package processnode

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// pathMapper rewrites the absolute paths a container names (in its command, args, env values and
// working directory) to the directories that stand in for them on this node. A process here has no
// mount namespace, so a volume mounted at /workspace is a plain directory somewhere under the node's
// root directory, and the process can only find it if the path it was given says so.
//
// The rule, applied to every path token (a run of letters, digits and ._-+@/ that starts with / and
// is not preceded by one of those characters):
//  1. a token equal to a volume mount's path, or below it, is moved onto the volume's directory
//     (the longest matching mount path wins, as with real mounts);
//  2. otherwise, when the container's image has a root directory configured (Config.ImageRoots) and
//     that root holds the token's path, the token is moved into the image root;
//  3. otherwise the token is left alone, so /bin/sh is the node's own /bin/sh.
//
// Paths that a program computes at run time (not written in the Pod spec) are not rewritten.
type pathMapper struct {
	// mounts is sorted by descending mount path length, so that the deepest mount wins.
	mounts []mountMapping
	// imageRoot is the directory standing in for the image's filesystem, or "".
	imageRoot string
}

// mountMapping is one volume mount: the path the container asked for and the directory on the node.
type mountMapping struct {
	mountPath string
	hostPath  string
}

func newPathMapper(mounts []mountMapping, imageRoot string) *pathMapper {
	sorted := make([]mountMapping, 0, len(mounts))
	for _, m := range mounts {
		mp := filepath.Clean(m.mountPath)
		if mp == "/" || !filepath.IsAbs(mp) {
			continue // a mount over / cannot be honored by rewriting, and relative paths never match
		}
		sorted = append(sorted, mountMapping{mountPath: mp, hostPath: m.hostPath})
	}
	sort.SliceStable(sorted, func(i, j int) bool { return len(sorted[i].mountPath) > len(sorted[j].mountPath) })
	return &pathMapper{mounts: sorted, imageRoot: imageRoot}
}

// isPathChar reports whether c can be part of a path token.
func isPathChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("._-+@/", c) >= 0
}

// Rewrite returns s with every path token mapped by the rule above.
func (m *pathMapper) Rewrite(s string) string {
	if !strings.Contains(s, "/") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '/' || (i > 0 && isPathChar(s[i-1])) {
			b.WriteByte(s[i])
			i++
			continue
		}
		end := i
		for end < len(s) && isPathChar(s[end]) {
			end++
		}
		b.WriteString(m.mapToken(s[i:end]))
		i = end
	}
	return b.String()
}

// RewriteAll rewrites each string of a list.
func (m *pathMapper) RewriteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = m.Rewrite(s)
	}
	return out
}

// mapToken maps one absolute path token.
func (m *pathMapper) mapToken(token string) string {
	for _, mount := range m.mounts {
		if token == mount.mountPath {
			return mount.hostPath
		}
		if rest, ok := strings.CutPrefix(token, mount.mountPath+"/"); ok {
			return filepath.Join(mount.hostPath, rest) + trailingSlash(token)
		}
	}
	if m.imageRoot != "" && token != "/" {
		candidate := filepath.Join(m.imageRoot, token)
		if _, err := os.Lstat(candidate); err == nil {
			return candidate + trailingSlash(token)
		}
	}
	return token
}

// trailingSlash keeps a token's trailing slash, which filepath.Join drops (cp -r dir/ means something).
func trailingSlash(token string) string {
	if len(token) > 1 && strings.HasSuffix(token, "/") {
		return "/"
	}
	return ""
}

// MapsUnder reports whether an absolute path lies on a volume mount, and where that is on the node.
func (m *pathMapper) MapsUnder(path string) (string, bool) {
	clean := filepath.Clean(path)
	for _, mount := range m.mounts {
		if clean == mount.mountPath {
			return mount.hostPath, true
		}
		if rest, ok := strings.CutPrefix(clean, mount.mountPath+"/"); ok {
			return filepath.Join(mount.hostPath, rest), true
		}
	}
	return "", false
}
