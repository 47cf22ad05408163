// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilrand "k8s.io/apimachinery/pkg/util/rand"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// maxNameAttempts bounds how often a run with files picks another Session name when the one it
// picked is taken.
const maxNameAttempts = 5

// generatedSuffixLength and maxGeneratedNameLength are what the API server's generateName uses.
const (
	generatedSuffixLength  = 5
	maxGeneratedNameLength = 63 - generatedSuffixLength
)

// createWithAttachments creates a Session whose prompt (message 0) carries att. The attachments are
// part of the create, since those of the prompt cannot be added later. With local files, the
// Session's name is chosen here so that its attachments can name the ConfigMap (named after the
// Session) before it exists; the operator holds the launch (AttachmentsResolved=False) until the
// ConfigMap, created next and owned by the Session, appears. If that create fails, the Session is
// deleted, so that nothing launches half-built.
func createWithAttachments(ctx context.Context, c client.Client, sess *v1alpha1.Session, att *Attachments) (*Sent, error) {
	if len(att.Files) == 0 {
		sess.Spec.Attachments = attachmentEntries(att, 0, "")
		if err := c.Create(ctx, sess); err != nil {
			return nil, fmt.Errorf("creating the session: %w", err)
		}
		return &Sent{Session: sess}, nil
	}
	cmName, err := createNamedSession(ctx, c, sess, att)
	if err != nil {
		return nil, err
	}
	if _, err := createAttachmentConfigMap(ctx, c, sess, att.Files, cmName); err != nil {
		return nil, withSessionCleanup(err, c, sess, cmName)
	}
	return &Sent{Session: sess, ConfigMap: cmName}, nil
}

// createNamedSession creates sess under a name chosen as generateName would (its prefix and five
// random characters), with attachments naming the ConfigMap "<session>-attach-<five more>". A name
// that is taken is replaced (bounded). It returns the ConfigMap's name.
func createNamedSession(ctx context.Context, c client.Client, sess *v1alpha1.Session, att *Attachments) (string, error) {
	prefix := sess.GenerateName
	if len(prefix) > maxGeneratedNameLength {
		prefix = prefix[:maxGeneratedNameLength]
	}
	sess.GenerateName = ""
	var err error
	for range maxNameAttempts {
		sess.Name = prefix + utilrand.String(generatedSuffixLength)
		cmName := attachmentConfigMapPrefix(sess.Name) + utilrand.String(generatedSuffixLength)
		sess.Spec.Attachments = attachmentEntries(att, 0, cmName)
		if err = c.Create(ctx, sess); err == nil {
			return cmName, nil
		}
		if !apierrors.IsAlreadyExists(err) {
			break
		}
	}
	return "", fmt.Errorf("creating the session: %w", err)
}

// withSessionCleanup deletes a Session whose prompt's ConfigMap could not be created (best effort,
// even when ctx was canceled; only that Session, by UID) and says so in the error.
func withSessionCleanup(err error, c client.Client, sess *v1alpha1.Session, cmName string) error {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	delErr := c.Delete(ctx, sess, client.Preconditions{UID: &sess.UID})
	if delErr != nil && !apierrors.IsNotFound(delErr) {
		return fmt.Errorf("%w; session %s, created first, could not be deleted (%v): it waits for ConfigMap %s (AttachmentsResolved=False); "+
			"delete it with `kubectl delete csession %s -n %s`", err, sess.Name, delErr, cmName, sess.Name, sess.Namespace)
	}
	return fmt.Errorf("%w; session %s, created first, was deleted so that it does not start without its attachments", err, sess.Name)
}
