// SPDX-License-Identifier: Apache-2.0

package v1alpha1

// AttachmentType is the kind of content block an attachment becomes.
// +kubebuilder:validation:Enum=Image;Document
type AttachmentType string

const (
	// AttachmentImage is an image block: JPEG, PNG, GIF or WebP.
	AttachmentImage AttachmentType = "Image"
	// AttachmentDocument is a document block: a PDF or plain text.
	AttachmentDocument AttachmentType = "Document"
)

// MaxAttachments bounds spec.attachments. The API takes at most 100 images in one request.
const MaxAttachments = 100

// MessageAttachment is an image or a document sent with one user message: the prompt or an entry
// of spec.messages. Its blocks go before the message's text, in the order of spec.attachments
// (Claude reads images and documents best when they come before the question). Set exactly one
// source: configMapKeyRef, fileID, url or (documents only) text. A ConfigMap is read when the message
// is sent; later changes of it are not sent again.
// +kubebuilder:validation:XValidation:rule="[has(self.configMapKeyRef), has(self.fileID), has(self.url), has(self.text)].filter(x, x).size() == 1",message="each spec.attachments entry must set exactly one of configMapKeyRef, fileID, url or text"
// +kubebuilder:validation:XValidation:rule="has(self.configMapKeyRef) == has(self.mediaType)",message="spec.attachments[].mediaType is required with configMapKeyRef and only allowed with it (a fileID or url carries its own type, text is text/plain)"
// +kubebuilder:validation:XValidation:rule="!has(self.mediaType) || (self.type == 'Image' ? self.mediaType in ['image/jpeg', 'image/png', 'image/gif', 'image/webp'] : self.mediaType in ['application/pdf', 'text/plain'])",message="spec.attachments[].mediaType must be image/jpeg, image/png, image/gif or image/webp for an Image, and application/pdf or text/plain for a Document"
// +kubebuilder:validation:XValidation:rule="self.type == 'Document' || (!has(self.text) && !has(self.title) && !has(self.context))",message="spec.attachments[].text, title and context are only allowed on a Document"
type MessageAttachment struct {
	// Message is the user message this attaches to: 0 is spec.prompt, n is spec.messages[n-1]. An
	// attachment must be added in the same update that adds its message: the attachments of a message
	// that exists already cannot be added, changed or removed, since it may have been sent.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	Message int32 `json:"message"`

	// Type is Image or Document.
	Type AttachmentType `json:"type"`

	// ConfigMapKeyRef names a key of a ConfigMap in this namespace (in its data or binaryData) that
	// holds the file; it is sent base64-encoded (a text/plain document as text). A ConfigMap holds at
	// most 1 MiB. While the ConfigMap or key is missing, the message waits (condition
	// AttachmentsResolved) and is sent once it appears. Requires mediaType.
	// +optional
	ConfigMapKeyRef *ConfigMapKeyReference `json:"configMapKeyRef,omitempty"`

	// MediaType of the ConfigMap's data: image/jpeg, image/png, image/gif or image/webp for an Image;
	// application/pdf or text/plain for a Document. Only with configMapKeyRef.
	// +kubebuilder:validation:MaxLength=32
	// +optional
	MediaType string `json:"mediaType,omitempty"`

	// FileID of a file uploaded with the Files API (file_...).
	// +kubebuilder:validation:Pattern=`^file_[A-Za-z0-9]+$`
	// +kubebuilder:validation:MaxLength=128
	// +optional
	FileID string `json:"fileID,omitempty"`

	// URL the API fetches the image or document from.
	// +kubebuilder:validation:Pattern=`^https?://.+`
	// +kubebuilder:validation:MaxLength=2048
	// +optional
	URL string `json:"url,omitempty"`

	// Text is the content of a plain-text Document, inline.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=65536
	// +optional
	Text string `json:"text,omitempty"`

	// Title of a Document, shown to the model.
	// +kubebuilder:validation:MaxLength=500
	// +optional
	Title string `json:"title,omitempty"`

	// Context about a Document for the model, such as where it comes from.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	Context string `json:"context,omitempty"`
}
