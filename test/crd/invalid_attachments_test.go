// SPDX-License-Identifier: Apache-2.0

package crd

// baseSessionWithAttachments has an image on the prompt and a document on its one message.
const baseSessionWithAttachments = `
apiVersion: claude.anthropic.com/v1alpha1
kind: Session
metadata: {name: session-attachments}
spec:
  agentRef: {name: coder}
  environmentRef: {name: python-dev}
  prompt: What does the chart show?
  messages: ["Now read the report"]
  attachments:
  - {message: 0, type: Image, configMapKeyRef: {name: charts, key: q3.png}, mediaType: image/png}
  - {message: 1, type: Document, fileID: file_011, title: Q3 report}
`

// attachmentCases covers spec.attachments: one source each, media types per type, the message index,
// and append-only in step with spec.messages.
func attachmentCases() []invalidCase {
	attach := func(doc string) mutation { return set("spec.attachments", yamlValue("v: "+doc)) }
	return []invalidCase{
		{name: "attachment with two sources", why: "one block has one source", base: baseSession,
			create:    []mutation{attach(`[{message: 0, type: Image, fileID: file_1, url: "https://example.com/a.png"}]`)},
			wantField: "each spec.attachments entry must set exactly one of configMapKeyRef, fileID, url or text"},
		{name: "attachment without a source", why: "a block without data means nothing", base: baseSession,
			create:    []mutation{attach(`[{message: 0, type: Image}]`)},
			wantField: "each spec.attachments entry must set exactly one of configMapKeyRef, fileID, url or text"},
		{name: "configMap attachment without mediaType", why: "the API needs the type of inline data", base: baseSession,
			create:    []mutation{attach(`[{message: 0, type: Image, configMapKeyRef: {name: c, key: k}}]`)},
			wantField: "spec.attachments[].mediaType is required with configMapKeyRef"},
		{name: "mediaType with a fileID", why: "a file carries its own type; a mediaType there would be ignored", base: baseSession,
			create:    []mutation{attach(`[{message: 0, type: Image, fileID: file_1, mediaType: image/png}]`)},
			wantField: "spec.attachments[].mediaType is required with configMapKeyRef and only allowed with it"},
		{name: "image declared as a PDF", why: "images are JPEG, PNG, GIF or WebP", base: baseSession,
			create:    []mutation{attach(`[{message: 0, type: Image, configMapKeyRef: {name: c, key: k}, mediaType: application/pdf}]`)},
			wantField: "spec.attachments[].mediaType must be image/jpeg, image/png, image/gif or image/webp for an Image"},
		{name: "document declared as an image", why: "documents are PDFs or plain text", base: baseSession,
			create:    []mutation{attach(`[{message: 0, type: Document, configMapKeyRef: {name: c, key: k}, mediaType: image/png}]`)},
			wantField: "application/pdf or text/plain for a Document"},
		{name: "inline text on an image", why: "only a document has a text source", base: baseSession,
			create:    []mutation{attach(`[{message: 0, type: Image, text: hello}]`)},
			wantField: "spec.attachments[].text, title and context are only allowed on a Document"},
		{name: "title on an image", why: "the API's image block has no title", base: baseSession,
			create:    []mutation{attach(`[{message: 0, type: Image, fileID: file_1, title: x}]`)},
			wantField: "spec.attachments[].text, title and context are only allowed on a Document"},
		{name: "unknown attachment type", why: "blocks are images or documents", base: baseSession,
			create: []mutation{attach(`[{message: 0, type: Video, fileID: file_1}]`)}, wantField: "spec.attachments[0].type"},
		{name: "attachment fileID with wrong prefix", why: "Files API ids start with file_", base: baseSession,
			create: []mutation{attach(`[{message: 0, type: Image, fileID: img_1}]`)}, wantField: "spec.attachments[0].fileID"},
		{name: "attachment url not http", why: "the API fetches http(s) URLs", base: baseSession,
			create: []mutation{attach(`[{message: 0, type: Image, url: "ftp://example.com/a.png"}]`)}, wantField: "spec.attachments[0].url"},
		{name: "attachment to a message that does not exist", why: "message 2 would be spec.messages[1]; there is one message", base: baseSession,
			create:    []mutation{attach(`[{message: 2, type: Image, fileID: file_1}]`)},
			wantField: "spec.attachments[].message must be 0 (spec.prompt) or the position of an entry of spec.messages"},
		{name: "attachment to a missing prompt", why: "message 0 is the prompt", base: baseSession,
			create:    []mutation{del("spec.prompt"), attach(`[{message: 0, type: Image, fileID: file_1}]`)},
			wantField: "spec.attachments[].message 0 attaches to spec.prompt, which is not set"},
		{name: "attachments on a followed session", why: "a session followed by externalID takes text messages only", base: baseSession,
			create:    []mutation{set("spec.externalID", "sesn_1"), del("spec.prompt"), del("spec.budget"), attach(`[{message: 1, type: Image, fileID: file_1}]`)},
			wantField: "spec.attachments cannot be set with spec.externalID"},
		{name: "attachment added to the sent prompt", why: "the prompt went out with the create", base: baseSession,
			update:    []mutation{attach(`[{message: 0, type: Image, fileID: file_1}]`)},
			wantField: "spec.attachments: the attachments of spec.prompt and of messages already in spec.messages cannot be added, changed or removed"},
		{name: "attachment added to an existing message", why: "the message may have been sent", base: baseSession,
			update:    []mutation{attach(`[{message: 1, type: Image, fileID: file_1}]`)},
			wantField: "spec.attachments: the attachments of spec.prompt"},
		{name: "attachment changed", why: "what was sent cannot be changed", base: baseSessionWithAttachments,
			update: []mutation{attach(`[{message: 0, type: Image, configMapKeyRef: {name: charts, key: q3.png}, mediaType: image/png},
				{message: 1, type: Document, fileID: file_011, title: Q4 report}]`)},
			wantField: "spec.attachments: the attachments of spec.prompt"},
		{name: "attachment removed", why: "what was sent cannot be unsent", base: baseSessionWithAttachments,
			update:    []mutation{attach(`[{message: 1, type: Document, fileID: file_011, title: Q3 report}]`)},
			wantField: "spec.attachments: the attachments of spec.prompt"},
		{name: "attachment index past the appended messages", why: "the index is checked on update too", base: baseSessionWithAttachments,
			update: []mutation{set("spec.messages", []any{"Now read the report", "more"}), attach(`[{message: 0, type: Image, configMapKeyRef: {name: charts, key: q3.png}, mediaType: image/png},
				{message: 1, type: Document, fileID: file_011, title: Q3 report}, {message: 3, type: Image, fileID: file_2}]`)},
			wantField: "spec.attachments[].message must be 0"},
	}
}
