// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"encoding/base64"
	"net/http"
	"strings"
)

// Image and document content blocks (of user.message and of tool results), validated like the API:
// the source types each block takes, the media types of inline data, base64 that decodes, inline
// image data that is what its media type says, and the API's 5 MB limit per image.

// maxImageBase64Bytes is the API's limit on one image's base64 data.
const maxImageBase64Bytes = 5 << 20

var (
	imageMediaTypes    = []string{"image/jpeg", "image/png", "image/gif", "image/webp"}
	documentMediaTypes = []string{"application/pdf"}
)

// parseImageBlock validates an image block: {type, source: base64 | url | file}.
func parseImageBlock(b jobj) *apiError {
	if err := b.only("type", "source"); err != nil {
		return err
	}
	src, err := b.reqObj("source")
	if err != nil {
		return err
	}
	t, err := src.reqType("base64", "url", "file")
	if err != nil {
		return err
	}
	return parseSource(src, t, imageMediaTypes)
}

// parseDocumentBlock validates a document block: {type, source: base64 | text | url | file,
// title?, context?}.
func parseDocumentBlock(b jobj) *apiError {
	if err := b.only("type", "source", "title", "context"); err != nil {
		return err
	}
	for _, k := range []string{"title", "context"} {
		if _, _, err := b.str(k); err != nil {
			return err
		}
	}
	src, err := b.reqObj("source")
	if err != nil {
		return err
	}
	t, err := src.reqType("base64", "text", "url", "file")
	if err != nil {
		return err
	}
	if t == "text" {
		return parsePlainTextSource(src)
	}
	return parseSource(src, t, documentMediaTypes)
}

// parseSource validates a base64, url or file source; inline data must be of one of mediaTypes.
func parseSource(src jobj, t string, mediaTypes []string) *apiError {
	switch t {
	case "url":
		if err := src.only("type", "url"); err != nil {
			return err
		}
		u, err := src.reqStr("url")
		if err == nil && !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			err = errBadRequest("%s: must be an http or https URL", src.at("url"))
		}
		return err
	case "file":
		if err := src.only("type", "file_id"); err != nil {
			return err
		}
		id, err := src.reqStr("file_id")
		if err == nil && !strings.HasPrefix(id, "file_") {
			err = errBadRequest("%s: must be a file id (file_…)", src.at("file_id"))
		}
		return err
	}
	return parseBase64Source(src, mediaTypes)
}

func parseBase64Source(src jobj, mediaTypes []string) *apiError {
	if err := src.only("type", "media_type", "data"); err != nil {
		return err
	}
	mediaType, ok, err := src.enum("media_type", mediaTypes...)
	if err != nil {
		return err
	}
	if !ok {
		return errBadRequest("%s: field required", src.at("media_type"))
	}
	data, err := src.reqStr("data")
	if err != nil {
		return err
	}
	image := strings.HasPrefix(mediaType, "image/")
	if image && len(data) > maxImageBase64Bytes {
		return errBadRequest("%s: image exceeds 5 MB maximum: %d bytes > %d bytes", src.at("data"), len(data), maxImageBase64Bytes)
	}
	raw, decodeErr := base64.StdEncoding.DecodeString(data)
	if decodeErr != nil {
		return errBadRequest("%s: invalid base64 data", src.at("data"))
	}
	if image && http.DetectContentType(raw) != mediaType {
		return errBadRequest("%s: image does not match the provided media type %s", src.at("data"), mediaType)
	}
	return nil
}

func parsePlainTextSource(src jobj) *apiError {
	if err := src.only("type", "media_type", "data"); err != nil {
		return err
	}
	if _, ok, err := src.enum("media_type", "text/plain"); err != nil || !ok {
		if err == nil {
			err = errBadRequest("%s: field required", src.at("media_type"))
		}
		return err
	}
	_, err := src.reqStr("data")
	return err
}
