// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// Smallest files of each type that http.DetectContentType recognizes, as the API's own checks would.
var (
	pngData  = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")
	jpegData = []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00")
	pdfData  = []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
)

func mustEvent(e anthropic.BetaManagedAgentsEventParamsUnion, err error) anthropic.BetaManagedAgentsEventParamsUnion {
	if err != nil {
		panic(err)
	}
	return e
}

func cmRef(name, key string) *v1alpha1.ConfigMapKeyReference {
	return &v1alpha1.ConfigMapKeyReference{Name: name, Key: key}
}

// TestMessageContentWireJSON checks each source of each attachment type against the API's
// user.message content (managed-agents-api.md §8): blocks of the named message only, in spec order,
// before the text.
func TestMessageContentWireJSON(t *testing.T) {
	png64 := base64.StdEncoding.EncodeToString(pngData)
	pdf64 := base64.StdEncoding.EncodeToString(pdfData)
	spec := &v1alpha1.SessionSpec{
		Prompt:   "Describe the chart",
		Messages: []string{"Now read the report", "And the notes"},
		Attachments: []v1alpha1.MessageAttachment{
			{Message: 0, Type: v1alpha1.AttachmentImage, ConfigMapKeyRef: cmRef("charts", "q3.png"), MediaType: "image/png"},
			{Message: 1, Type: v1alpha1.AttachmentDocument, FileID: "file_011", Title: "Q3 report", Context: "from finance"},
			{Message: 0, Type: v1alpha1.AttachmentImage, URL: "https://example.com/a.jpg"},
			{Message: 0, Type: v1alpha1.AttachmentImage, FileID: "file_012"},
			{Message: 2, Type: v1alpha1.AttachmentDocument, Text: "meeting notes"},
			{Message: 2, Type: v1alpha1.AttachmentDocument, ConfigMapKeyRef: cmRef("docs", "notes.txt"), MediaType: "text/plain"},
			{Message: 2, Type: v1alpha1.AttachmentDocument, ConfigMapKeyRef: cmRef("docs", "spec.pdf"), MediaType: "application/pdf"},
			{Message: 2, Type: v1alpha1.AttachmentDocument, URL: "https://example.com/b.pdf"},
		},
	}
	data := map[int][]byte{0: pngData, 5: []byte("plain notes é"), 6: pdfData}
	cases := []struct {
		name, why string
		n         int
		text      string
		want      string
	}{
		{"prompt", "the prompt's three images, in spec order, then its text; other messages' attachments stay out", 0, spec.Prompt, `[
			{"type":"image","source":{"type":"base64","media_type":"image/png","data":"` + png64 + `"}},
			{"type":"image","source":{"type":"url","url":"https://example.com/a.jpg"}},
			{"type":"image","source":{"type":"file","file_id":"file_012"}},
			{"type":"text","text":"Describe the chart"}]`},
		{"document by file id", "title and context go with the document", 1, "Now read the report", `[
			{"type":"document","source":{"type":"file","file_id":"file_011"},"title":"Q3 report","context":"from finance"},
			{"type":"text","text":"Now read the report"}]`},
		{"documents of every other source", "inline text and a text/plain ConfigMap go as text sources; a PDF as base64", 2, "And the notes", `[
			{"type":"document","source":{"type":"text","media_type":"text/plain","data":"meeting notes"}},
			{"type":"document","source":{"type":"text","media_type":"text/plain","data":"plain notes é"}},
			{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"` + pdf64 + `"}},
			{"type":"document","source":{"type":"url","url":"https://example.com/b.pdf"}},
			{"type":"text","text":"And the notes"}]`},
		{"no attachments", "a message without attachments is one text block, as before attachments existed", 1, "plain", ``},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := spec
			want := tc.want
			if want == "" {
				s, want = &v1alpha1.SessionSpec{Messages: []string{"plain"}}, `[{"type":"text","text":"plain"}]`
			}
			ev, err := MessageEvent(s, tc.n, tc.text, data)
			if err != nil {
				t.Fatal(err)
			}
			got := fields(t, ev)
			if string(got["type"]) != `"user.message"` || !jsonEqual(t, got["content"], []byte(want)) {
				t.Errorf("%s:\ngot  %s\nwant %s", tc.why, got["content"], want)
			}
		})
	}
}

// TestNewSessionParamsSendsThePromptsAttachments: the prompt's attachments travel in the create
// request's initial event, with the data the controller read.
func TestNewSessionParamsSendsThePromptsAttachments(t *testing.T) {
	spec := &v1alpha1.SessionSpec{Prompt: "What is this?", Attachments: []v1alpha1.MessageAttachment{
		{Message: 0, Type: v1alpha1.AttachmentImage, ConfigMapKeyRef: cmRef("img", "a.jpg"), MediaType: "image/jpeg"},
	}}
	in := SessionInputs{AgentID: "agent_1", EnvironmentID: "env_1", PromptAttachments: map[int][]byte{0: jpegData}}
	p, err := NewSessionParams(spec, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"type":"user.message","content":[{"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"` +
		base64.StdEncoding.EncodeToString(jpegData) + `"}},{"type":"text","text":"What is this?"}]}]`
	checkFields(t, fields(t, p), map[string]string{"initial_events": want}, nil)
}

// TestMessageContentRefusesWhatTheAPIWould: data the API would refuse never leaves: each error
// names the attachment and its ConfigMap, says whether size is the problem, and never holds the data.
func TestMessageContentRefusesWhatTheAPIWould(t *testing.T) {
	image := func(mediaType string) v1alpha1.MessageAttachment {
		return v1alpha1.MessageAttachment{Type: v1alpha1.AttachmentImage, ConfigMapKeyRef: cmRef("pics", "big"), MediaType: mediaType}
	}
	pdf := v1alpha1.MessageAttachment{Type: v1alpha1.AttachmentDocument, ConfigMapKeyRef: cmRef("docs", "r.pdf"), MediaType: "application/pdf"}
	// Just over 5 MiB once encoded: 3,932,163 bytes encode to 5,242,884.
	bigPNG := append(bytes.Clone(pngData), make([]byte, 3932163-len(pngData))...)
	// About 4 MiB each once encoded: seven fit in one message, the eighth goes over.
	bigPDF := append(bytes.Clone(pdfData), make([]byte, 3<<20)...)
	cases := []struct {
		name, why   string
		attachments []v1alpha1.MessageAttachment
		data        map[int][]byte
		tooLarge    bool
		wantIndex   int
		wantText    string
	}{
		{name: "image over 5 MB", why: "the API refuses images over 5 MB of base64",
			attachments: []v1alpha1.MessageAttachment{image("image/png")}, data: map[int][]byte{0: bigPNG},
			tooLarge: true, wantText: "ConfigMap pics key big: the image is 5242884 bytes base64-encoded"},
		{name: "message over the request size", why: "each PDF fits, eight of them do not fit in one 32 MB request",
			attachments: repeat(pdf, 8), data: repeatData(bigPDF, 8),
			tooLarge: true, wantIndex: 7, wantText: "over the 31457280 that one request leaves room for"},
		{name: "data not of its media type", why: "a JPEG declared as PNG is refused by the API; say which ConfigMap",
			attachments: []v1alpha1.MessageAttachment{image("image/png")}, data: map[int][]byte{0: jpegData},
			wantText: "ConfigMap pics key big: the data is image/jpeg, not image/png"},
		{name: "media type the API does not take", why: "admission checks this too; the translation does not trust it",
			attachments: []v1alpha1.MessageAttachment{image("image/bmp")}, data: map[int][]byte{0: pngData},
			wantText: `mediaType "image/bmp" is not one the API takes for Image`},
		{name: "text/plain that is not text", why: "the API's text source takes UTF-8 text",
			attachments: []v1alpha1.MessageAttachment{{Type: v1alpha1.AttachmentDocument, ConfigMapKeyRef: cmRef("docs", "n.txt"), MediaType: "text/plain"}},
			data:        map[int][]byte{0: {0xff, 0xfe, 0x00}}, wantText: "ConfigMap docs key n.txt: the data is not UTF-8 text"},
		{name: "data not read", why: "the controller must read every ConfigMap first; a gap is an error, not an empty image",
			attachments: []v1alpha1.MessageAttachment{image("image/png")}, wantText: "no data was read"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spec := &v1alpha1.SessionSpec{Prompt: "p", Attachments: tc.attachments}
			_, err := MessageContent(spec, 0, "p", tc.data)
			var ae *AttachmentError
			if !errors.As(err, &ae) {
				t.Fatalf("%s: err = %v, want an AttachmentError", tc.why, err)
			}
			if ae.Index != tc.wantIndex || ae.TooLarge != tc.tooLarge || !strings.Contains(err.Error(), tc.wantText) {
				t.Errorf("%s: got index %d tooLarge %v %q; want index %d tooLarge %v and %q", tc.why, ae.Index, ae.TooLarge, err, tc.wantIndex, tc.tooLarge, tc.wantText)
			}
			if len(err.Error()) > 512 {
				t.Errorf("the error is %d bytes long: it must name the problem, never carry the data", len(err.Error()))
			}
		})
	}
}

func repeat(a v1alpha1.MessageAttachment, n int) []v1alpha1.MessageAttachment {
	out := make([]v1alpha1.MessageAttachment, n)
	for i := range out {
		out[i] = a
	}
	return out
}

func repeatData(b []byte, n int) map[int][]byte {
	out := map[int][]byte{}
	for i := range n {
		out[i] = b
	}
	return out
}
