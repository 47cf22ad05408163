// SPDX-License-Identifier: Apache-2.0

package simulator_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

var (
	pngBytes = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
	png64    = base64.StdEncoding.EncodeToString([]byte(pngBytes))
	pdf64    = base64.StdEncoding.EncodeToString([]byte("%PDF-1.7\n"))
)

// withContent is a user.message whose content blocks are given as raw JSON values, so that a test
// can send what the SDK's types would not let it build.
func withContent(blocks ...any) option.RequestOption {
	return option.WithJSONSet("events", []any{map[string]any{"type": "user.message", "content": blocks}})
}

func image(source map[string]any) map[string]any {
	return map[string]any{"type": "image", "source": source}
}

func document(source map[string]any) map[string]any {
	return map[string]any{"type": "document", "source": source}
}

// TestUserMessageImagesAndDocuments: a user.message with an image and a document of every source
// the API takes is accepted and stored as sent, so that tests can read back what arrived.
func TestUserMessageImagesAndDocuments(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	s := h.session(ctx, anthropic.BetaSessionNewParams{})
	content := []anthropic.BetaManagedAgentsUserMessageEventParamsContentUnion{
		{OfImage: &anthropic.BetaManagedAgentsImageBlockParam{Source: anthropic.BetaManagedAgentsImageBlockSourceUnionParam{
			OfBase64: &anthropic.BetaManagedAgentsBase64ImageSourceParam{Data: png64, MediaType: "image/png"}}}},
		{OfImage: &anthropic.BetaManagedAgentsImageBlockParam{Source: anthropic.BetaManagedAgentsImageBlockSourceUnionParam{
			OfURL: &anthropic.BetaManagedAgentsURLImageSourceParam{URL: "https://example.com/a.jpg"}}}},
		{OfImage: &anthropic.BetaManagedAgentsImageBlockParam{Source: anthropic.BetaManagedAgentsImageBlockSourceUnionParam{
			OfFile: &anthropic.BetaManagedAgentsFileImageSourceParam{FileID: "file_1"}}}},
		{OfDocument: &anthropic.BetaManagedAgentsDocumentBlockParam{Title: anthropic.String("spec"), Context: anthropic.String("v2"),
			Source: anthropic.BetaManagedAgentsDocumentBlockSourceUnionParam{OfBase64: &anthropic.BetaManagedAgentsBase64DocumentSourceParam{Data: pdf64, MediaType: "application/pdf"}}}},
		{OfDocument: &anthropic.BetaManagedAgentsDocumentBlockParam{Source: anthropic.BetaManagedAgentsDocumentBlockSourceUnionParam{
			OfText: &anthropic.BetaManagedAgentsPlainTextDocumentSourceParam{Data: "notes"}}}},
		{OfDocument: &anthropic.BetaManagedAgentsDocumentBlockParam{Source: anthropic.BetaManagedAgentsDocumentBlockSourceUnionParam{
			OfURL: &anthropic.BetaManagedAgentsURLDocumentSourceParam{URL: "https://example.com/b.pdf"}}}},
		{OfDocument: &anthropic.BetaManagedAgentsDocumentBlockParam{Source: anthropic.BetaManagedAgentsDocumentBlockSourceUnionParam{
			OfFile: &anthropic.BetaManagedAgentsFileDocumentSourceParam{FileID: "file_2"}}}},
		{OfText: &anthropic.BetaManagedAgentsTextBlockParam{Text: "what do these say?"}},
	}
	h.send(ctx, s.ID, anthropic.BetaManagedAgentsEventParamsUnion{OfUserMessage: &anthropic.BetaManagedAgentsUserMessageEventParams{Content: content}})
	history, err := h.sim.Events(s.ID)
	if err != nil || len(history) == 0 {
		t.Fatalf("history: %v (%d events)", err, len(history))
	}
	var stored struct {
		Type    string            `json:"type"`
		Content []json.RawMessage `json:"content"`
	}
	if err := json.Unmarshal(history[0], &stored); err != nil {
		t.Fatal(err)
	}
	if stored.Type != "user.message" || len(stored.Content) != len(content) {
		t.Fatalf("stored %s with %d blocks, want user.message with %d", stored.Type, len(stored.Content), len(content))
	}
	for i, block := range content {
		sent, _ := json.Marshal(block)
		if !jsonEq(t, sent, stored.Content[i]) {
			t.Errorf("block %d stored as %s, sent %s", i, stored.Content[i], sent)
		}
	}
}

// TestUserMessageContentErrors: blocks the API refuses get a 400 naming the field, and nothing is stored.
func TestUserMessageContentErrors(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	s := h.session(ctx, anthropic.BetaSessionNewParams{})
	jpeg64 := base64.StdEncoding.EncodeToString([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"))
	huge := base64.StdEncoding.EncodeToString([]byte(pngBytes + strings.Repeat("\x00", 4<<20)))
	cases := []struct {
		name, why string
		block     any
		msg       string
	}{
		{"image media type", "images are JPEG, PNG, GIF or WebP", image(map[string]any{"type": "base64", "media_type": "image/bmp", "data": png64}),
			"events[0].content[0].source.media_type: input should be"},
		{"pdf as an image", "a document type is not an image type", image(map[string]any{"type": "base64", "media_type": "application/pdf", "data": pdf64}),
			"events[0].content[0].source.media_type"},
		{"document media type", "inline documents are PDFs (text goes as a text source)", document(map[string]any{"type": "base64", "media_type": "text/html", "data": pdf64}),
			"events[0].content[0].source.media_type"},
		{"text source media type", "a text source is text/plain", document(map[string]any{"type": "text", "media_type": "text/markdown", "data": "x"}),
			"events[0].content[0].source.media_type"},
		{"text source on an image", "images have no text source", image(map[string]any{"type": "text", "media_type": "text/plain", "data": "x"}),
			"events[0].content[0].source.type"},
		{"bad base64", "the data must decode", image(map[string]any{"type": "base64", "media_type": "image/png", "data": "not base64!"}),
			"events[0].content[0].source.data: invalid base64 data"},
		{"image not of its media type", "the API checks the bytes against the declared type", image(map[string]any{"type": "base64", "media_type": "image/png", "data": jpeg64}),
			"image does not match the provided media type image/png"},
		{"image over 5 MB", "the API's per-image limit", image(map[string]any{"type": "base64", "media_type": "image/png", "data": huge}),
			"image exceeds 5 MB maximum"},
		{"image without source", "source is required", map[string]any{"type": "image"}, "events[0].content[0].source: field required"},
		{"url that is not http", "the API fetches http(s) URLs", image(map[string]any{"type": "url", "url": "ftp://x"}), "events[0].content[0].source.url"},
		{"file id of another kind", "file sources name Files API ids", document(map[string]any{"type": "file", "file_id": "doc_1"}), "events[0].content[0].source.file_id"},
		{"title on an image", "only documents carry a title", map[string]any{"type": "image", "title": "x", "source": map[string]any{"type": "file", "file_id": "file_1"}},
			"events[0].content[0].title: extra inputs"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.client.Beta.Sessions.Events.Send(ctx, s.ID, anthropic.BetaSessionEventSendParams{}, withContent(tc.block))
			wantAPIError(t, err, 400, "invalid_request_error", tc.msg)
		})
	}
	if history, _ := h.sim.Events(s.ID); len(history) != 0 {
		t.Fatalf("rejected messages stored %d events", len(history))
	}
}

// jsonEq compares two JSON documents by value.
func jsonEq(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	return string(ja) == string(jb)
}
