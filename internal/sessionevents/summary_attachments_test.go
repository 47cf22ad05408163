// SPDX-License-Identifier: Apache-2.0

package sessionevents

import (
	"strings"
	"testing"
)

// TestUserMessageSummaryCountsAttachments: a user message's Event and recentEvents entry say what
// was attached, by kind and count, and never carry the attachment's data or source.
func TestUserMessageSummaryCountsAttachments(t *testing.T) {
	const secret = "iVBORw0KGgoSECRETDATA"
	image := `{"type":"image","source":{"type":"base64","media_type":"image/png","data":"` + secret + `"}}`
	doc := `{"type":"document","title":"Q3","source":{"type":"url","url":"https://example.com/` + secret + `.pdf"}}`
	text := `{"type":"text","text":"what is this?"}`
	cases := []struct {
		why, content, want string
		cut                bool // the text is truncated: want is the start of the message
	}{
		{"text alone reads as before", text, "what is this?", false},
		{"one image before the text", image + "," + text, "[1 image] what is this?", false},
		{"images and a document, counted by kind", image + "," + image + "," + doc + "," + text, "[2 images, 1 document] what is this?", false},
		{"attachments without text still say what was sent", doc, "[1 document]", false},
		{"a long text is cut, what was attached is not", image + `,{"type":"text","text":"` + strings.Repeat("x", 2*MaxMessageBytes) + `"}`, "[1 image] xxx", true},
		{"an unknown block kind is not named", `{"type":"container_upload"},` + text, "what is this?", false},
	}
	for _, tc := range cases {
		ev := decodeAll(t, `{"type":"user.message","id":"sevt_9","content":[`+tc.content+`]}`)[0]
		sum := Summarize(&ev)
		matches := sum.Message == tc.want || (tc.cut && strings.HasPrefix(sum.Message, tc.want) && len(sum.Message) <= MaxMessageBytes)
		if sum.Reason != ReasonUserMessage || !matches {
			t.Errorf("%s: got %q (%s), want %q", tc.why, sum.Message, sum.Reason, tc.want)
		}
		if strings.Contains(sum.Message, secret) {
			t.Errorf("%s: the summary carries the attachment's data", tc.why)
		}
	}
	var st State
	for _, ev := range decodeAll(t, `{"type":"user.message","id":"sevt_1","content":[`+image+","+text+`]}`) {
		st.Apply(&ev)
	}
	if n := len(st.Recent); n != 1 || st.Recent[0].Summary != "[1 image] what is this?" {
		t.Errorf("recent events %+v, want the message with its image counted", st.Recent)
	}
}
