// SPDX-License-Identifier: Apache-2.0

package processnode

import (
	"fmt"
	"strings"
)

const (
	// FailingRegistry is the registry whose images never pull: an image reference that contains
	// "invalid.example/" reports ErrImagePull, then ImagePullBackOff, and its container never starts.
	FailingRegistry = "invalid.example/"
	// FailingTag is the tag whose images never pull, whatever the registry: "anything:pull-fails".
	FailingTag = ":pull-fails"
)

// imagePullFails reports whether an image matches the documented pull-failure pattern. Every other
// image "pulls" at once: the process node has no images, it runs commands on the host.
func imagePullFails(image string) bool {
	return strings.Contains(image, FailingRegistry) || strings.HasSuffix(image, FailingTag)
}

// imagePullError is the message of a failed pull, shaped like the kubelet's.
func imagePullError(image string) string {
	return fmt.Sprintf("Failed to pull image %q: the process node fails every image that contains %q or ends in %q (its documented pull-failure pattern)",
		image, FailingRegistry, FailingTag)
}
