// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// TestMessagePatch proves the one update of a send with attachments: it carries the resourceVersion
// it was computed from, keeps the stored lists as they were (even fields this plugin does not know),
// and appends the message and its attachments, which name the new message's position.
func TestMessagePatch(t *testing.T) {
	stored := []any{map[string]any{"message": int64(1), "type": "Document", "text": "old", "fieldFromANewerCRD": "kept"}}
	att := &Attachments{
		Files:  []LocalFile{{Key: "screen.png", Type: v1alpha1.AttachmentImage, MediaType: "image/png"}, {Key: "spec.pdf", Type: v1alpha1.AttachmentDocument, MediaType: "application/pdf"}},
		Remote: []v1alpha1.MessageAttachment{{Type: v1alpha1.AttachmentDocument, URL: "https://example.com/a.pdf"}},
	}
	data, err := messagePatch("42", []any{"first"}, stored, "second", attachmentEntries(att, 2, "s-attach-x1"))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	var want map[string]any
	if err := json.Unmarshal([]byte(`{
	  "metadata": {"resourceVersion": "42"},
	  "spec": {
	    "messages": ["first", "second"],
	    "attachments": [
	      {"message": 1, "type": "Document", "text": "old", "fieldFromANewerCRD": "kept"},
	      {"message": 2, "type": "Image", "mediaType": "image/png", "configMapKeyRef": {"name": "s-attach-x1", "key": "screen.png"}},
	      {"message": 2, "type": "Document", "mediaType": "application/pdf", "configMapKeyRef": {"name": "s-attach-x1", "key": "spec.pdf"}, "title": "spec.pdf"},
	      {"message": 2, "type": "Document", "url": "https://example.com/a.pdf"}
	    ]
	  }
	}`), &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("patch:\n%s\nwant the equivalent of:\n%v", data, want)
	}
}

// TestCheckSendable proves which Sessions take a message with attachments.
func TestCheckSendable(t *testing.T) {
	full := make([]v1alpha1.MessageAttachment, 99)
	cases := []struct {
		reason string
		sess   v1alpha1.Session
		extra  int
		want   string
	}{
		{"a live session takes attachments", v1alpha1.Session{}, 1, ""},
		{"a terminated session takes nothing", v1alpha1.Session{Status: v1alpha1.SessionStatus{Phase: v1alpha1.SessionTerminated}}, 0, "is Terminated and takes no more messages"},
		{"a followed session takes text", v1alpha1.Session{Spec: v1alpha1.SessionSpec{ExternalID: "sesn_1"}}, 0, ""},
		{"a followed session takes no attachments", v1alpha1.Session{Spec: v1alpha1.SessionSpec{ExternalID: "sesn_1"}}, 1, "takes text messages only"},
		{"the 100th attachment fits", v1alpha1.Session{Spec: v1alpha1.SessionSpec{Attachments: full}}, 1, ""},
		{"the 101st does not", v1alpha1.Session{Spec: v1alpha1.SessionSpec{Attachments: full}}, 2, "has 99 attachments; 2 more would exceed the 100"},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			err := checkSendable(&tc.sess, tc.extra)
			if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// TestCheckText proves that a message the Session's schema would refuse is refused before anything
// (a ConfigMap of attached files) is written, with what to do instead.
func TestCheckText(t *testing.T) {
	for _, tc := range []struct {
		reason, text, want string
	}{
		{"a message", "hello", ""},
		{"the longest message, counted in characters as the schema counts them", strings.Repeat("é", 8192), ""},
		{"an empty message", " \n", "the message is empty"},
		{"a message longer than a Session takes", strings.Repeat("a", 8193), "the message is 8193 characters, over the 8192 a Session takes: attach long text as a file (--attach FILE)"},
	} {
		t.Run(tc.reason, func(t *testing.T) {
			err := checkText(tc.text)
			if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}
