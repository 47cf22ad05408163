// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
)

// Sample data of each kind, as real encoders write it.
func pngData(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func jpegData(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewRGBA(image.Rect(0, 0, 2, 2)), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gifData(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := gif.Encode(&b, image.NewPaletted(image.Rect(0, 0, 2, 2), color.Palette{color.Black}), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var (
	webpData = []byte("RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x000\x01\x00\x9d\x01\x2a\x01\x00\x01\x00")
	pdfData  = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	zipData  = []byte("PK\x03\x04\x14\x00\x00\x00\x08\x00rest of a zip archive")
)

// TestInferMedia proves what each kind of local file becomes, and what is refused, by name and data.
func TestInferMedia(t *testing.T) {
	png, jpg := pngData(t), jpegData(t)
	cases := []struct {
		reason    string
		name      string
		data      []byte
		typ       v1alpha1.AttachmentType
		mediaType string
		refusal   string
	}{
		{reason: "a PNG by its extension", name: "screen.png", data: png, typ: v1alpha1.AttachmentImage, mediaType: "image/png"},
		{reason: "extensions in any case", name: "PHOTO.JPG", data: jpg, typ: v1alpha1.AttachmentImage, mediaType: "image/jpeg"},
		{reason: "a GIF", name: "anim.gif", data: gifData(t), typ: v1alpha1.AttachmentImage, mediaType: "image/gif"},
		{reason: "a WebP", name: "shot.webp", data: webpData, typ: v1alpha1.AttachmentImage, mediaType: "image/webp"},
		{reason: "a JPEG named .png goes as what its data is (the operator checks the data against the media type)", name: "screen.png", data: jpg, typ: v1alpha1.AttachmentImage, mediaType: "image/jpeg"},
		{reason: "no extension: the data tells", name: "capture", data: png, typ: v1alpha1.AttachmentImage, mediaType: "image/png"},
		{reason: "an unknown extension: the data tells", name: "capture.dat", data: png, typ: v1alpha1.AttachmentImage, mediaType: "image/png"},
		{reason: "a PDF is a Document", name: "spec.pdf", data: pdfData, typ: v1alpha1.AttachmentDocument, mediaType: "application/pdf"},
		{reason: "plain text is a Document", name: "notes.txt", data: []byte("hello"), typ: v1alpha1.AttachmentDocument, mediaType: "text/plain"},
		{reason: "any text/* goes as text/plain, the one text type the API takes", name: "README.md", data: []byte("# Title\n"), typ: v1alpha1.AttachmentDocument, mediaType: "text/plain"},
		{reason: "CSV is text", name: "rows.csv", data: []byte("a,b\n1,2\n"), typ: v1alpha1.AttachmentDocument, mediaType: "text/plain"},
		{reason: "source code (an extension with no type) is text by its data", name: "main.go", data: []byte("package main\n"), typ: v1alpha1.AttachmentDocument, mediaType: "text/plain"},
		{reason: "JSON (application/json by name) is text by its data", name: "config.json", data: []byte(`{"a": 1}`), typ: v1alpha1.AttachmentDocument, mediaType: "text/plain"},
		{reason: "an SVG is an image the API does not take", name: "logo.svg", data: []byte("<svg xmlns='http://www.w3.org/2000/svg'/>"), refusal: "logo.svg is image/svg+xml, which cannot be attached"},
		{reason: "a BMP is an image the API does not take", name: "old.bmp", data: []byte("BM\x00\x00"), refusal: "old.bmp is image/bmp, which cannot be attached"},
		{reason: "an archive is not a document", name: "bundle.zip", data: zipData, refusal: "bundle.zip is application/zip, which cannot be attached"},
		{reason: "binary data under an unknown extension", name: "report.docx", data: zipData, refusal: "cannot be attached: attach JPEG, PNG, GIF or WebP images"},
		{reason: "a .png that is not an image", name: "screen.png", data: []byte("just text"), refusal: "screen.png: named like image/png but its data is text/plain"},
		{reason: "a .pdf that is not a PDF", name: "spec.pdf", data: png, refusal: "spec.pdf: named like a PDF but its data is image/png"},
		{reason: "a .txt that is binary", name: "notes.txt", data: zipData, refusal: "notes.txt: named like text (text/plain) but its data is application/zip"},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			typ, mt, err := InferMedia(tc.name, tc.data)
			if tc.refusal != "" {
				if err == nil || !strings.Contains(err.Error(), tc.refusal) {
					t.Fatalf("want a refusal containing %q, got %v (%s %s)", tc.refusal, err, typ, mt)
				}
				return
			}
			if err != nil || typ != tc.typ || mt != tc.mediaType {
				t.Fatalf("got %s %s %v, want %s %s", typ, mt, err, tc.typ, tc.mediaType)
			}
		})
	}
}

// writeFile writes a file of a test's temporary folder and returns its path.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// padded is data followed by zeros up to n bytes: a file of the right kind and size.
func padded(data []byte, n int) []byte {
	out := make([]byte, n)
	copy(out, data)
	return out
}

// TestPrepareAttachmentsRefusesBeforeWriting proves that everything the operator, the API or the
// API server would refuse is refused while reading the flags, naming the file or flag and saying
// what to do instead.
func TestPrepareAttachmentsRefusesBeforeWriting(t *testing.T) {
	dir := t.TempDir()
	png := pngData(t)
	small := writeFile(t, dir, "small.png", png)
	// 4 MiB raw is 5.3 MiB base64: over the API's per-image limit.
	huge := writeFile(t, dir, "huge.png", padded(png, 4<<20))
	big := writeFile(t, dir, "big.pdf", padded(pdfData, MaxConfigMapBytes+1))
	half := writeFile(t, dir, "half.pdf", padded(pdfData, MaxConfigMapBytes/2+1))
	latin1 := writeFile(t, dir, "latin1.txt", []byte("caf\xe9 au lait"))
	empty := writeFile(t, dir, "empty.txt", nil)
	cases := []struct {
		reason  string
		opts    AttachOptions
		refusal string
	}{
		{"a missing file", AttachOptions{Files: []string{filepath.Join(dir, "nope.png")}}, "nope.png: no such file to attach"},
		{"a directory", AttachOptions{Files: []string{dir}}, "is a directory"},
		{"an empty file", AttachOptions{Files: []string{empty}}, "empty.txt is empty"},
		{"an image over the API's 5 MB of base64", AttachOptions{Files: []string{huge}}, "5592408 base64-encoded: over the API's limit of 5242880 bytes per image"},
		{"a file over what a ConfigMap holds", AttachOptions{Files: []string{big}}, "big.pdf is 1048577 bytes, over the 1048576 bytes (1 MiB) that a ConfigMap holds"},
		{"files that add up to more than a ConfigMap holds", AttachOptions{Files: []string{half, half}}, "the attached files add up to 1048578 bytes"},
		{"text that is not UTF-8", AttachOptions{Files: []string{latin1}}, "latin1.txt is not UTF-8 text"},
		{"a URL without a type", AttachOptions{URLs: []string{"https://example.com/a.png"}}, "pass --attach-type Image or Document"},
		{"a file id without a type", AttachOptions{FileIDs: []string{"file_abc"}}, "pass --attach-type Image or Document"},
		{"an unknown type", AttachOptions{URLs: []string{"https://example.com/a.png"}, Type: "video"}, `--attach-type "video": use Image or Document`},
		{"a type with nothing it applies to", AttachOptions{Files: []string{small}, Type: "Image"}, "--attach-type applies to --attach-url and --attach-file-id"},
		{"a URL that is not http(s)", AttachOptions{URLs: []string{"ftp://example.com/a.png"}, Type: "Image"}, `--attach-url "ftp://example.com/a.png" is not an http or https URL`},
		{"a URL without a host", AttachOptions{URLs: []string{"https://"}, Type: "Image"}, "is not an http or https URL"},
		{"a URL longer than the CRD takes", AttachOptions{URLs: []string{"https://example.com/" + strings.Repeat("a", 2048)}, Type: "Image"}, "over the 2048 a Session takes"},
		{"a file id that is not one", AttachOptions{FileIDs: []string{"abc"}, Type: "Document"}, `--attach-file-id "abc" is not a Files API id`},
		{"more attachments than a Session holds", AttachOptions{URLs: repeat("https://example.com/a.png", 101), Type: "Image"}, "101 attachments: a Session holds at most 100"},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			att, err := PrepareAttachments(tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.refusal) {
				t.Fatalf("want a refusal containing %q, got %v (%+v)", tc.refusal, err, att)
			}
		})
	}
	if base64Len(4<<20) <= managedagents.MaxImageBase64Bytes {
		t.Fatal("the huge image is not over the API's limit: the case proves nothing")
	}
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// TestPrepareAttachments proves what a valid set of flags becomes: files with their types and
// unique ConfigMap keys in order, then URLs and file ids of --attach-type (in any case).
func TestPrepareAttachments(t *testing.T) {
	dir := t.TempDir()
	png := pngData(t)
	a := writeFile(t, dir, "a/screen.png", png)
	b := writeFile(t, dir, "b/screen.png", png)
	spaced := writeFile(t, dir, "my notes (v2).txt", []byte("remember"))
	pdf := writeFile(t, dir, "spec.pdf", pdfData)
	att, err := PrepareAttachments(AttachOptions{
		Files: []string{a, b, spaced, pdf}, URLs: []string{"https://example.com/diagram.png"}, FileIDs: []string{"file_011CNha"}, Type: "image",
	})
	if err != nil {
		t.Fatal(err)
	}
	wantFiles := []struct {
		key, mediaType string
		typ            v1alpha1.AttachmentType
	}{
		{"screen.png", "image/png", v1alpha1.AttachmentImage},
		{"2-screen.png", "image/png", v1alpha1.AttachmentImage},
		{"my_notes_v2_.txt", "text/plain", v1alpha1.AttachmentDocument},
		{"spec.pdf", "application/pdf", v1alpha1.AttachmentDocument},
	}
	if len(att.Files) != len(wantFiles) {
		t.Fatalf("files: %+v", att.Files)
	}
	for i, w := range wantFiles {
		f := att.Files[i]
		if f.Key != w.key || f.MediaType != w.mediaType || f.Type != w.typ || len(f.Data) == 0 {
			t.Errorf("file %d: got %s %s %s (%d bytes), want %s %s %s", i, f.Key, f.MediaType, f.Type, len(f.Data), w.key, w.mediaType, w.typ)
		}
	}
	want := []v1alpha1.MessageAttachment{
		{Type: v1alpha1.AttachmentImage, URL: "https://example.com/diagram.png"},
		{Type: v1alpha1.AttachmentImage, FileID: "file_011CNha"},
	}
	if len(att.Remote) != 2 || att.Remote[0] != want[0] || att.Remote[1] != want[1] {
		t.Errorf("remote attachments: got %+v, want %+v", att.Remote, want)
	}
	if att.Count() != 6 {
		t.Errorf("count %d, want 6", att.Count())
	}
}

// TestConfigMapKey proves that any file name becomes a valid ConfigMap key that keeps its extension.
func TestConfigMapKey(t *testing.T) {
	for path, want := range map[string]string{
		"/tmp/screen.png":                 "screen.png",
		"Bildschirmfoto äöü.png":          "Bildschirmfoto_.png",
		"..":                              "file",
		strings.Repeat("x", 300) + ".pdf": strings.Repeat("x", 249) + ".pdf",
	} {
		if got := configMapKey(path); got != want {
			t.Errorf("configMapKey(%q) = %q, want %q", path, got, want)
		}
	}
}
