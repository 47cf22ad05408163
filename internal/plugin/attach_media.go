// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"fmt"
	"mime"
	"net/http"
	"path/filepath"
	"slices"
	"strings"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// The media types the API takes inline (and so the CRD admits with configMapKeyRef), per type.
var (
	imageMediaTypes    = []string{"image/jpeg", "image/png", "image/gif", "image/webp"}
	mediaTypePDF       = "application/pdf"
	mediaTypePlainText = "text/plain"
)

// extensionTypes are the extensions whose type is known here, so that inference does not depend
// on the mime.types files of the machine the plugin runs on.
var extensionTypes = map[string]string{
	".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp",
	".pdf": mediaTypePDF, ".txt": mediaTypePlainText, ".text": mediaTypePlainText, ".md": "text/markdown",
	".markdown": "text/markdown", ".csv": "text/csv", ".log": mediaTypePlainText,
}

// unsupportedAdvice says what can be attached, for refusals.
const unsupportedAdvice = "attach JPEG, PNG, GIF or WebP images and PDF or plain-text documents; " +
	"other files can go to the Files API and be attached with --attach-file-id"

// InferMedia decides what a local file becomes: its attachment type and the media type it is sent
// as. The extension names the type, the data (its first 512 bytes suffice) when the extension says
// nothing. Inline data must be what its media type says (the operator and the API check it), so
// an image whose data is another supported image type (a JPEG named .png) goes as what it is, and a
// file whose data contradicts its extension is refused. Text of any text/* type, or text data under
// an unknown extension (.go, .json, .yaml), goes as a text/plain Document.
func InferMedia(name string, head []byte) (v1alpha1.AttachmentType, string, error) {
	byName := extensionType(name)
	sniffed := baseType(http.DetectContentType(head))
	declared := byName
	if declared == "" || declared == "application/octet-stream" {
		declared = sniffed
	}
	switch {
	case strings.HasPrefix(declared, "image/"):
		return inferImage(name, declared, sniffed)
	case declared == mediaTypePDF:
		if sniffed != mediaTypePDF {
			return "", "", fmt.Errorf("%s: named like a PDF but its data is %s", name, sniffed)
		}
		return v1alpha1.AttachmentDocument, mediaTypePDF, nil
	case strings.HasPrefix(declared, "text/"), strings.HasPrefix(sniffed, "text/"):
		if !strings.HasPrefix(sniffed, "text/") {
			return "", "", fmt.Errorf("%s: named like text (%s) but its data is %s", name, declared, sniffed)
		}
		return v1alpha1.AttachmentDocument, mediaTypePlainText, nil
	}
	return "", "", fmt.Errorf("%s is %s, which cannot be attached: %s", name, declared, unsupportedAdvice)
}

// inferImage checks an image file: a supported type whose data is a supported image.
func inferImage(name, declared, sniffed string) (v1alpha1.AttachmentType, string, error) {
	if !slices.Contains(imageMediaTypes, declared) {
		return "", "", fmt.Errorf("%s is %s, which cannot be attached: %s", name, declared, unsupportedAdvice)
	}
	if !slices.Contains(imageMediaTypes, sniffed) {
		return "", "", fmt.Errorf("%s: named like %s but its data is %s", name, declared, sniffed)
	}
	return v1alpha1.AttachmentImage, sniffed, nil
}

// extensionType is the media type a file name's extension names, without parameters ("" if none).
func extensionType(name string) string {
	ext := strings.ToLower(filepath.Ext(name))
	if ext == "" {
		return ""
	}
	if t, ok := extensionTypes[ext]; ok {
		return t
	}
	return baseType(mime.TypeByExtension(ext))
}

// baseType drops a media type's parameters ("text/plain; charset=utf-8" is text/plain).
func baseType(t string) string {
	base, _, _ := strings.Cut(t, ";")
	return strings.TrimSpace(strings.ToLower(base))
}
