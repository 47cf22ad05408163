// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
)

// MaxConfigMapBytes is what one ConfigMap holds: the API server refuses one whose values add up
// to more. All the local files of one send go into one ConfigMap.
const MaxConfigMapBytes = corev1.MaxSecretSize

// AttachOptions are the attachments of one `kubectl claude send`, as the flags give them.
type AttachOptions struct {
	// Files are local files, sent through a ConfigMap the plugin creates.
	Files []string
	// URLs the API fetches.
	URLs []string
	// FileIDs of files uploaded with the Files API.
	FileIDs []string
	// Type of every URL and file id: Image or Document (no data is read to tell). Any case.
	Type string
}

// Empty reports whether nothing is to be attached.
func (o AttachOptions) Empty() bool {
	return len(o.Files) == 0 && len(o.URLs) == 0 && len(o.FileIDs) == 0
}

// LocalFile is a local file, read and checked: what it becomes and its key in the ConfigMap.
type LocalFile struct {
	Path      string
	Key       string
	Type      v1alpha1.AttachmentType
	MediaType string
	Data      []byte
}

// Attachments are the checked attachments of one message, in the order they are sent: local
// files first, then URLs, then file ids.
type Attachments struct {
	Files []LocalFile
	// Remote are the URL and file id entries; their message index is set when the message is.
	Remote []v1alpha1.MessageAttachment
}

// Count is the number of attachments.
func (a *Attachments) Count() int { return len(a.Files) + len(a.Remote) }

// PrepareAttachments reads and checks everything before anything is written: a file that is
// missing, of a type the API does not take, or too large for a ConfigMap or for the API, a URL or
// file id the Session's schema refuses, or a URL or file id without --attach-type.
func PrepareAttachments(o AttachOptions) (*Attachments, error) {
	att := &Attachments{}
	var err error
	if att.Files, err = readLocalFiles(o.Files); err != nil {
		return nil, err
	}
	if att.Remote, err = remoteAttachments(o); err != nil {
		return nil, err
	}
	if att.Count() > v1alpha1.MaxAttachments {
		return nil, fmt.Errorf("%d attachments: a Session holds at most %d", att.Count(), v1alpha1.MaxAttachments)
	}
	return att, nil
}

// readLocalFiles reads and checks every file, and their sum against what one ConfigMap holds.
func readLocalFiles(paths []string) ([]LocalFile, error) {
	files := make([]LocalFile, 0, len(paths))
	keys := map[string]bool{}
	total := 0
	for _, p := range paths {
		f, err := readLocalFile(p)
		if err != nil {
			return nil, err
		}
		f.Key = uniqueKey(configMapKey(p), keys)
		total += len(f.Data)
		files = append(files, f)
	}
	if total > MaxConfigMapBytes {
		return nil, fmt.Errorf("the attached files add up to %d bytes, over the %d bytes (1 MiB) that one ConfigMap holds: "+
			"send them in several messages, or upload large files with the Files API and attach them with --attach-file-id", total, MaxConfigMapBytes)
	}
	return files, nil
}

// readLocalFile reads one file (at most what a ConfigMap holds) and decides what it becomes.
func readLocalFile(path string) (LocalFile, error) {
	data, size, err := readAtMost(path, MaxConfigMapBytes)
	if err != nil {
		return LocalFile{}, err
	}
	if size == 0 {
		return LocalFile{}, fmt.Errorf("%s is empty: there is nothing to attach", path)
	}
	typ, mediaType, err := InferMedia(path, data)
	if err != nil {
		return LocalFile{}, err
	}
	if err := checkSize(path, typ, size); err != nil {
		return LocalFile{}, err
	}
	if mediaType == mediaTypePlainText && !utf8.Valid(data) {
		return LocalFile{}, fmt.Errorf("%s is not UTF-8 text: a text document must be (convert it, or attach it as a PDF)", path)
	}
	return LocalFile{Path: path, Type: typ, MediaType: mediaType, Data: data}, nil
}

// checkSize refuses what the API (an image over 5 MB base64-encoded) or a ConfigMap (1 MiB) would.
func checkSize(path string, typ v1alpha1.AttachmentType, size int64) error {
	if encoded := base64Len(size); typ == v1alpha1.AttachmentImage && encoded > managedagents.MaxImageBase64Bytes {
		return fmt.Errorf("%s is %d bytes, %d base64-encoded: over the API's limit of %d bytes per image; scale it down",
			path, size, encoded, managedagents.MaxImageBase64Bytes)
	}
	if size > MaxConfigMapBytes {
		return fmt.Errorf("%s is %d bytes, over the %d bytes (1 MiB) that a ConfigMap holds: "+
			"upload it with the Files API and attach it with --attach-file-id, or attach it by --attach-url", path, size, MaxConfigMapBytes)
	}
	return nil
}

// base64Len is the length of n bytes base64-encoded (with padding).
func base64Len(n int64) int64 { return (n + 2) / 3 * 4 }

// readAtMost reads up to limit+1 bytes of a file and returns them with the file's size (its real
// size when it is a regular file, else what was read).
func readAtMost(path string, limit int64) ([]byte, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, 0, fmt.Errorf("%s: no such file to attach", path)
		}
		return nil, 0, fmt.Errorf("reading %s: %w", path, err)
	}
	defer func() { _ = f.Close() }()
	info, err := f.Stat()
	if err != nil {
		return nil, 0, fmt.Errorf("reading %s: %w", path, err)
	}
	if info.IsDir() {
		return nil, 0, fmt.Errorf("%s is a directory: attach files, one --attach each", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, 0, fmt.Errorf("reading %s: %w", path, err)
	}
	size := int64(len(data))
	if info.Mode().IsRegular() && info.Size() > size {
		size = info.Size()
	}
	return data, size, nil
}

// notKeyChars are the characters a ConfigMap key cannot hold.
var notKeyChars = regexp.MustCompile(`[^-._a-zA-Z0-9]+`)

// maxKeyLength is the longest ConfigMap key.
const maxKeyLength = 253

// configMapKey is a file's base name made a valid ConfigMap key.
func configMapKey(path string) string {
	key := notKeyChars.ReplaceAllString(filepath.Base(path), "_")
	if strings.Trim(key, ".") == "" {
		key = "file"
	}
	return truncateKey(key, maxKeyLength)
}

// truncateKey keeps the end of a long key, where its extension is.
func truncateKey(key string, limit int) string {
	if len(key) > limit {
		return key[len(key)-limit:]
	}
	return key
}

// uniqueKey is key, or key with a number in front when another file took it (two screen.png from
// different folders).
func uniqueKey(key string, taken map[string]bool) string {
	candidate := key
	for n := 2; taken[candidate]; n++ {
		prefix := fmt.Sprintf("%d-", n)
		candidate = prefix + truncateKey(key, maxKeyLength-len(prefix))
	}
	taken[candidate] = true
	return candidate
}

// Patterns and bounds of the CRD's url and fileID fields, checked before anything is written.
var fileIDPattern = regexp.MustCompile(`^file_[A-Za-z0-9]+$`)

const (
	maxURLLength    = 2048
	maxFileIDLength = 128
)

// remoteAttachments are the URL and file id attachments, of --attach-type.
func remoteAttachments(o AttachOptions) ([]v1alpha1.MessageAttachment, error) {
	if len(o.URLs) == 0 && len(o.FileIDs) == 0 {
		if o.Type != "" {
			return nil, fmt.Errorf("--attach-type applies to --attach-url and --attach-file-id: the type of a local file is read from the file")
		}
		return nil, nil
	}
	typ, err := ParseAttachmentType(o.Type)
	if err != nil {
		return nil, err
	}
	var out []v1alpha1.MessageAttachment
	for _, u := range o.URLs {
		if err := checkURL(u); err != nil {
			return nil, err
		}
		out = append(out, v1alpha1.MessageAttachment{Type: typ, URL: u})
	}
	for _, id := range o.FileIDs {
		if !fileIDPattern.MatchString(id) || len(id) > maxFileIDLength {
			return nil, fmt.Errorf("--attach-file-id %q is not a Files API id (file_ and letters or digits)", id)
		}
		out = append(out, v1alpha1.MessageAttachment{Type: typ, FileID: id})
	}
	return out, nil
}

// ParseAttachmentType reads --attach-type: Image or Document, in any case.
func ParseAttachmentType(s string) (v1alpha1.AttachmentType, error) {
	for _, t := range []v1alpha1.AttachmentType{v1alpha1.AttachmentImage, v1alpha1.AttachmentDocument} {
		if strings.EqualFold(s, string(t)) {
			return t, nil
		}
	}
	if s == "" {
		return "", fmt.Errorf("pass --attach-type Image or Document with --attach-url and --attach-file-id: no data is read to tell")
	}
	return "", fmt.Errorf("--attach-type %q: use Image or Document", s)
}

// checkURL refuses what the API cannot fetch: not http(s), no host, or longer than the CRD allows.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--attach-url %q is not an http or https URL", raw)
	}
	if len(raw) > maxURLLength {
		return fmt.Errorf("--attach-url is %d characters, over the %d a Session takes", len(raw), maxURLLength)
	}
	return nil
}
