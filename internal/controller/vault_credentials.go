// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
)

// credentialActionKind is what a credential needs.
type credentialActionKind string

const (
	// actCreate: the spec has it, the vault does not.
	actCreate credentialActionKind = "create"
	// actUpdate: a secret value or an updatable field changed.
	actUpdate credentialActionKind = "update"
	// actReplace: a field the API cannot change on a credential changed (its type, server URL,
	// variable name, refresh client): delete and create again.
	actReplace credentialActionKind = "replace"
	// actDelete: the vault has it, the spec no longer does.
	actDelete credentialActionKind = "delete"
	// actBlocked: its Secret or key is missing; the remote credential is left as it is.
	actBlocked credentialActionKind = "blocked"
)

// credentialAction is one step of bringing the credentials in line.
type credentialAction struct {
	name    string
	kind    credentialActionKind
	desired *desiredCredential        // nil for actDelete
	remote  *managedagents.Credential // nil for actCreate
	// changed names the secret fields to send (actUpdate); fields the other fields that differ.
	changed, fields []string
}

// ownedCredentials sorts the vault's credentials: those this Vault made, by the credential name in
// their metadata (a second one with the same name is a stray left by a lost create answer), and the
// strays. Credentials someone else put in the vault are left alone.
func (c *vaultConnection) ownedCredentials(creds []managedagents.Credential) (map[string]*managedagents.Credential, []*managedagents.Credential) {
	owned := map[string]*managedagents.Credential{}
	var strays []*managedagents.Credential
	for i := range creds {
		cr := &creds[i]
		if cr.Metadata[v1alpha1.MetadataKeyUID] != string(c.vault.UID) {
			continue
		}
		name := cr.Metadata[v1alpha1.MetadataKeyCredential]
		if prev, ok := owned[name]; !ok {
			owned[name] = cr
		} else if st := c.statusFor(name); st != nil && st.ID == cr.ID {
			owned[name], strays = cr, append(strays, prev)
		} else {
			strays = append(strays, cr)
		}
	}
	return owned, strays
}

// planCredentials compares each spec credential with the remote one of its name, and lists the
// remote ones that no spec credential claims.
func (c *vaultConnection) planCredentials(owned map[string]*managedagents.Credential, strays []*managedagents.Credential) []credentialAction {
	var plan []credentialAction
	wanted := map[string]bool{}
	for i := range c.creds {
		d := &c.creds[i]
		name := d.spec.Name
		wanted[name] = true
		remote := owned[name]
		if a, ok := c.planOne(d, remote); ok {
			plan = append(plan, a)
		}
	}
	for name, cr := range owned {
		if !wanted[name] {
			plan = append(plan, credentialAction{name: name, kind: actDelete, remote: cr})
		}
	}
	for _, cr := range strays {
		plan = append(plan, credentialAction{name: cr.Metadata[v1alpha1.MetadataKeyCredential], kind: actDelete, remote: cr})
	}
	return plan
}

func (c *vaultConnection) planOne(d *desiredCredential, remote *managedagents.Credential) (credentialAction, bool) {
	a := credentialAction{name: d.spec.Name, desired: d, remote: remote}
	owner := managedagents.CredentialOwner(string(c.vault.UID), d.spec.Name)
	switch {
	case d.readErr != nil:
		a.kind = actBlocked
	case remote == nil:
		a.kind = actCreate
	default:
		update, replace := managedagents.CredentialDrift(d.spec, owner, remote)
		if len(replace) > 0 {
			a.kind, a.fields = actReplace, replace
			break
		}
		// What was sent is known only for the credential that status records; for any other (status
		// lost), every secret is sent again.
		var sent map[string]string
		if st := c.statusFor(d.spec.Name); st != nil && st.ID == remote.ID {
			sent = st.SecretHashes
		}
		a.changed, a.fields = managedagents.ChangedSecrets(sent, d.hashes), update
		if len(a.changed) == 0 && len(a.fields) == 0 {
			return a, false
		}
		a.kind = actUpdate
	}
	return a, true
}

// apply carries out one action and records its outcome in snap and in the credential's status.
func (c *vaultConnection) apply(ctx context.Context, snap *vaultSnapshot, a credentialAction) error {
	switch a.kind {
	case actBlocked:
		return a.desired.readErr
	case actDelete:
		return c.deleteCredential(ctx, snap, a)
	case actReplace:
		if err := c.deleteCredential(ctx, snap, a); err != nil {
			return err
		}
		return c.createCredential(ctx, snap, a.desired, ReasonCredentialReplaced, fmt.Sprintf("(%s cannot change)", strings.Join(a.fields, ", ")))
	case actCreate:
		return c.createCredential(ctx, snap, a.desired, ReasonCredentialCreated, "")
	default:
		return c.updateCredential(ctx, snap, a)
	}
}

func (c *vaultConnection) createCredential(ctx context.Context, snap *vaultSnapshot, d *desiredCredential, reason Reason, why string) error {
	owner := managedagents.CredentialOwner(string(c.vault.UID), d.spec.Name)
	params, err := managedagents.NewCredentialParams(d.spec, d.secrets, owner)
	if err != nil {
		return err
	}
	cr, err := c.api.CreateCredential(ctx, snap.vault.ID, params)
	if err != nil {
		return err
	}
	snap.owned[d.spec.Name] = cr
	c.noteSent(d, cr, true)
	c.event(ctx, reason, d.spec.Name, cr.ID, strings.TrimSpace(fmt.Sprintf("%s %s", verbFor(reason), why)))
	return nil
}

func (c *vaultConnection) updateCredential(ctx context.Context, snap *vaultSnapshot, a credentialAction) error {
	owner := managedagents.CredentialOwner(string(c.vault.UID), a.name)
	params, opts := managedagents.UpdateCredentialParams(a.desired.spec, a.desired.secrets, a.changed, owner, a.remote)
	cr, err := c.api.UpdateCredential(ctx, snap.vault.ID, a.remote.ID, params, opts...)
	if err != nil {
		return err
	}
	snap.owned[a.name] = cr
	c.noteSent(a.desired, cr, len(a.changed) > 0)
	if len(a.changed) > 0 {
		// The fields are named, never their values.
		c.event(ctx, ReasonCredentialRotated, a.name, cr.ID, "rotated "+strings.Join(a.changed, ", "))
	} else {
		c.event(ctx, ReasonCredentialUpdated, a.name, cr.ID, "updated "+strings.Join(a.fields, ", "))
	}
	return nil
}

func (c *vaultConnection) deleteCredential(ctx context.Context, snap *vaultSnapshot, a credentialAction) error {
	if err := c.api.DeleteCredential(ctx, snap.vault.ID, a.remote.ID); err != nil && !managedagents.IsNotFound(err) {
		return err
	}
	if snap.owned[a.name] == a.remote {
		delete(snap.owned, a.name)
	}
	if a.kind == actDelete {
		c.event(ctx, ReasonCredentialDeleted, a.name, a.remote.ID, "deleted")
	}
	return nil
}

// event logs a credential change and emits its Event.
func (c *vaultConnection) event(ctx context.Context, reason Reason, name, id, what string) {
	logf.FromContext(ctx).Info("Changed remote credential", "credential", name, "credentialID", id, "reason", reason)
	c.recorder.Eventf(c.vault, nil, corev1.EventTypeNormal, string(reason), "Sync", "Credential %s (%s): %s", name, id, what)
}

func verbFor(reason Reason) string {
	if reason == ReasonCredentialReplaced {
		return "created again"
	}
	return "created"
}

// credentialFailure is one credential that could not be brought in line.
type credentialFailure struct {
	name string
	err  error
}

// joinCredentialFailures turns the failed credentials into the one error the driver shows. A
// transient API failure is returned as it is, so that the driver backs off (or honors retry-after);
// otherwise the failures are terminal until a Secret or the spec changes, and the error names each
// credential: a missing Secret or key, or the API's own message for a value it rejects.
func joinCredentialFailures(failed []credentialFailure) error {
	if len(failed) == 0 {
		return nil
	}
	reason := ReasonSecretNotFound
	msgs := make([]string, 0, len(failed))
	for _, f := range failed {
		var apiErr *managedagents.Error
		var specErr *managedagents.InvalidSpecError
		switch {
		case errors.As(f.err, &apiErr) && apiErr.Kind != managedagents.KindTerminal && apiErr.Kind != managedagents.KindConflict:
			return f.err
		case errors.As(f.err, &apiErr):
			reason = ReasonCredentialRejected
		case errors.As(f.err, &specErr) && reason == ReasonSecretNotFound:
			reason = ReasonInvalidSpec
		}
		msgs = append(msgs, "credential "+f.name+": "+f.err.Error())
	}
	return &referenceError{reason: reason, message: strings.Join(msgs, "; ")}
}
