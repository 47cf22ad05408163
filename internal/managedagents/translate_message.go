// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"unicode/utf8"

	"github.com/anthropics/anthropic-sdk-go/v2"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// Bounds of the data that attachments carry inside one message, so that a message the API would
// refuse for its size is never sent (and never half-built in memory for nothing).
const (
	// MaxImageBase64Bytes is the API's documented limit on one image: 5 MB of base64 data (it answers
	// 400 "image exceeds 5 MB maximum: N bytes > 5242880 bytes").
	MaxImageBase64Bytes = 5 << 20
	// MaxMessageInlineBytes bounds the inline data (base64 and plain text) of all the attachments of
	// one message. The API takes requests of at most 32 MB; 30 MiB leaves room for the message's text,
	// the JSON around it and, for the prompt, the rest of the create request.
	MaxMessageInlineBytes = 30 << 20
)

// mediaTypes are the media types the API takes inline, per attachment type.
var mediaTypes = map[v1alpha1.AttachmentType][]string{
	v1alpha1.AttachmentImage:    {"image/jpeg", "image/png", "image/gif", "image/webp"},
	v1alpha1.AttachmentDocument: {"application/pdf", "text/plain"},
}

// AttachmentError says why an attachment cannot be sent. Its message names the field and, for a
// ConfigMap, the ConfigMap and key; never the data.
type AttachmentError struct {
	// Index in spec.attachments.
	Index int
	// TooLarge says the data is over a size bound; otherwise it is not what its mediaType says.
	TooLarge bool
	Message  string
}

func (e *AttachmentError) Error() string {
	return fmt.Sprintf("spec.attachments[%d]: %s", e.Index, e.Message)
}

// MessageContent is the content of user message n (0: spec.prompt, n: spec.messages[n-1]): the
// blocks of its attachments in the order of spec.attachments, then its text. data holds the bytes
// of each ConfigMap attachment of the message, by index in spec.attachments.
func MessageContent(spec *v1alpha1.SessionSpec, n int, text string, data map[int][]byte) ([]anthropic.BetaManagedAgentsUserMessageEventParamsContentUnion, error) {
	var content []anthropic.BetaManagedAgentsUserMessageEventParamsContentUnion
	inline := 0
	for i := range spec.Attachments {
		a := &spec.Attachments[i]
		if int(a.Message) != n {
			continue
		}
		block, size, err := attachmentBlock(a, i, data)
		if err != nil {
			return nil, err
		}
		if inline += size; inline > MaxMessageInlineBytes {
			return nil, &AttachmentError{Index: i, TooLarge: true, Message: fmt.Sprintf(
				"the attachments of this message carry %d bytes inline, over the %d that one request leaves room for (the API takes 32 MB); upload large files with the Files API and attach them by fileID", inline, MaxMessageInlineBytes)}
		}
		content = append(content, block)
	}
	if text != "" {
		content = append(content, anthropic.BetaManagedAgentsUserMessageEventParamsContentUnion{OfText: &anthropic.BetaManagedAgentsTextBlockParam{Text: text}})
	}
	return content, nil
}

// MessageEvent is the user.message event of message n (see MessageContent).
func MessageEvent(spec *v1alpha1.SessionSpec, n int, text string, data map[int][]byte) (anthropic.BetaManagedAgentsEventParamsUnion, error) {
	content, err := MessageContent(spec, n, text, data)
	if err != nil {
		return anthropic.BetaManagedAgentsEventParamsUnion{}, err
	}
	return anthropic.BetaManagedAgentsEventParamsUnion{OfUserMessage: &anthropic.BetaManagedAgentsUserMessageEventParams{Content: content}}, nil
}

// attachmentBlock is the content block of spec.attachments[i] and the bytes it carries inline.
func attachmentBlock(a *v1alpha1.MessageAttachment, i int, data map[int][]byte) (anthropic.BetaManagedAgentsUserMessageEventParamsContentUnion, int, error) {
	var u anthropic.BetaManagedAgentsUserMessageEventParamsContentUnion
	if a.Type == v1alpha1.AttachmentImage {
		src, size, err := imageSource(a, i, data)
		if err != nil {
			return u, 0, err
		}
		u.OfImage = &anthropic.BetaManagedAgentsImageBlockParam{Source: src}
		return u, size, nil
	}
	src, size, err := documentSource(a, i, data)
	if err != nil {
		return u, 0, err
	}
	u.OfDocument = &anthropic.BetaManagedAgentsDocumentBlockParam{Source: src, Title: optString(a.Title), Context: optString(a.Context)}
	return u, size, nil
}

func imageSource(a *v1alpha1.MessageAttachment, i int, data map[int][]byte) (anthropic.BetaManagedAgentsImageBlockSourceUnionParam, int, error) {
	var src anthropic.BetaManagedAgentsImageBlockSourceUnionParam
	switch {
	case a.FileID != "":
		src.OfFile = &anthropic.BetaManagedAgentsFileImageSourceParam{FileID: a.FileID}
	case a.URL != "":
		src.OfURL = &anthropic.BetaManagedAgentsURLImageSourceParam{URL: a.URL}
	default:
		encoded, err := encodedData(a, i, data)
		if err != nil {
			return src, 0, err
		}
		if len(encoded) > MaxImageBase64Bytes {
			return src, 0, &AttachmentError{Index: i, TooLarge: true, Message: fmt.Sprintf(
				"%s: the image is %d bytes base64-encoded, over the API's limit of %d per image", configMapKey(a), len(encoded), MaxImageBase64Bytes)}
		}
		src.OfBase64 = &anthropic.BetaManagedAgentsBase64ImageSourceParam{Data: encoded, MediaType: a.MediaType}
		return src, len(encoded), nil
	}
	return src, 0, nil
}

func documentSource(a *v1alpha1.MessageAttachment, i int, data map[int][]byte) (anthropic.BetaManagedAgentsDocumentBlockSourceUnionParam, int, error) {
	var src anthropic.BetaManagedAgentsDocumentBlockSourceUnionParam
	switch {
	case a.FileID != "":
		src.OfFile = &anthropic.BetaManagedAgentsFileDocumentSourceParam{FileID: a.FileID}
	case a.URL != "":
		src.OfURL = &anthropic.BetaManagedAgentsURLDocumentSourceParam{URL: a.URL}
	case a.ConfigMapKeyRef == nil:
		src.OfText = &anthropic.BetaManagedAgentsPlainTextDocumentSourceParam{Data: a.Text}
		return src, len(a.Text), nil
	case a.MediaType == "text/plain":
		raw, err := configMapData(a, i, data)
		if err != nil {
			return src, 0, err
		}
		if !utf8.Valid(raw) {
			return src, 0, &AttachmentError{Index: i, Message: configMapKey(a) + ": the data is not UTF-8 text, as mediaType text/plain says"}
		}
		src.OfText = &anthropic.BetaManagedAgentsPlainTextDocumentSourceParam{Data: string(raw)}
		return src, len(raw), nil
	default:
		encoded, err := encodedData(a, i, data)
		if err != nil {
			return src, 0, err
		}
		src.OfBase64 = &anthropic.BetaManagedAgentsBase64DocumentSourceParam{Data: encoded, MediaType: a.MediaType}
		return src, len(encoded), nil
	}
	return src, 0, nil
}

// encodedData is a ConfigMap attachment's data, checked against its media type and base64-encoded.
func encodedData(a *v1alpha1.MessageAttachment, i int, data map[int][]byte) (string, error) {
	raw, err := configMapData(a, i, data)
	if err != nil {
		return "", err
	}
	if !slices.Contains(mediaTypes[a.Type], a.MediaType) {
		return "", &AttachmentError{Index: i, Message: fmt.Sprintf("mediaType %q is not one the API takes for %s: %v", a.MediaType, a.Type, mediaTypes[a.Type])}
	}
	// The API refuses data that is not of its declared type; saying so here names the ConfigMap.
	if sniffed := http.DetectContentType(raw); sniffed != a.MediaType {
		return "", &AttachmentError{Index: i, Message: fmt.Sprintf("%s: the data is %s, not %s as mediaType says", configMapKey(a), sniffed, a.MediaType)}
	}
	return base64.StdEncoding.EncodeToString(raw), nil
}

func configMapData(a *v1alpha1.MessageAttachment, i int, data map[int][]byte) ([]byte, error) {
	raw, ok := data[i]
	if !ok || a.ConfigMapKeyRef == nil {
		return nil, &AttachmentError{Index: i, Message: "no data was read for this attachment"}
	}
	return raw, nil
}

// configMapKey names an attachment's ConfigMap and key, for messages.
func configMapKey(a *v1alpha1.MessageAttachment) string {
	if ref := a.ConfigMapKeyRef; ref != nil {
		return fmt.Sprintf("ConfigMap %s key %s", ref.Name, ref.Key)
	}
	return "inline data"
}
