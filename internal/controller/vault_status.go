// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
)

// minValidationInterval bounds how often one OAuth credential is validated: at every sync that
// observes the vault (a resync, or a change), but never twice within this interval.
const minValidationInterval = time.Minute

// validationResult is one OAuth credential's validation.
type validationResult struct {
	validity v1alpha1.CredentialValidity
	message  string
	at       metav1.Time
}

// statusFor returns a credential's status entry, or nil.
func (c *vaultConnection) statusFor(name string) *v1alpha1.CredentialStatus {
	for i := range c.vault.Status.Credentials {
		if st := &c.vault.Status.Credentials[i]; st.Name == name {
			return st
		}
	}
	return nil
}

// entry returns a credential's status entry, adding one when there is none.
func (c *vaultConnection) entry(name string) *v1alpha1.CredentialStatus {
	if st := c.statusFor(name); st != nil {
		return st
	}
	c.vault.Status.Credentials = append(c.vault.Status.Credentials, v1alpha1.CredentialStatus{Name: name})
	return &c.vault.Status.Credentials[len(c.vault.Status.Credentials)-1]
}

// noteSent records that a credential now holds what the spec and its Secrets say: its id, the
// digests of the values sent and, when secrets were sent, the time.
func (c *vaultConnection) noteSent(d *desiredCredential, cr *managedagents.Credential, secretsSent bool) {
	st := c.entry(d.spec.Name)
	if st.ID != cr.ID || secretsSent {
		// A new remote credential was never validated, and a rotated one's verdict was about the old
		// token: validate says what holds now, in this reconcile.
		st.Validity, st.LastValidated, st.ValidationMessage = "", nil, ""
		delete(c.validations, d.spec.Name)
	}
	st.ID, st.SecretHashes, st.Message = cr.ID, maps.Clone(d.hashes), ""
	if secretsSent {
		now := nowTime()
		st.LastRotated = &now
	}
}

// writeStatus rebuilds status.credentials in spec order from the vault as last seen, keeping what
// earlier syncs recorded (digests, rotation and validation times) and adding this reconcile's
// failures and validations.
func (c *vaultConnection) writeStatus(snap *vaultSnapshot, failed []credentialFailure) {
	errs := map[string]string{}
	for _, f := range failed {
		errs[f.name] = sessionevents.Truncate(f.err.Error(), 1024)
	}
	out := make([]v1alpha1.CredentialStatus, 0, len(c.creds))
	for _, d := range c.creds {
		st := v1alpha1.CredentialStatus{Name: d.spec.Name}
		if old := c.statusFor(d.spec.Name); old != nil {
			st = *old
		}
		st.Type = d.spec.Type()
		if cr := snap.owned[d.spec.Name]; cr != nil {
			st.ID, st.ExpiresAt = cr.ID, expiry(cr)
		}
		if v, ok := c.validations[d.spec.Name]; ok {
			st.Validity, st.LastValidated, st.ValidationMessage = v.validity, &v.at, sessionevents.Truncate(v.message, 1024)
		}
		st.Message = errs[d.spec.Name]
		out = append(out, st)
	}
	c.vault.Status.Credentials = out
	c.setValidityCondition()
}

func expiry(cr *managedagents.Credential) *metav1.Time {
	if cr.Auth.Type != "mcp_oauth" || cr.Auth.ExpiresAt.IsZero() {
		return nil
	}
	t := metav1.NewTime(cr.Auth.ExpiresAt)
	return &t
}

// validate asks the API to probe each OAuth credential not validated in this reconcile whose last
// validation is older than minValidationInterval (a credential just created or rotated has none). A
// failed call leaves the last verdict and says why in the message.
func (c *vaultConnection) validate(ctx context.Context, vaultID string, owned map[string]*managedagents.Credential) {
	for _, d := range c.creds {
		cr := owned[d.spec.Name]
		if _, done := c.validations[d.spec.Name]; done || d.spec.MCPOAuth == nil || cr == nil {
			continue
		}
		if st := c.statusFor(d.spec.Name); st != nil && st.ID == cr.ID && st.LastValidated != nil && time.Since(st.LastValidated.Time) < minValidationInterval {
			continue
		}
		v, err := c.api.ValidateCredential(ctx, vaultID, cr.ID)
		result := validationResult{validity: v1alpha1.CredentialValidityUnknown, at: nowTime()}
		if err != nil {
			result.message = "validation failed: " + err.Error()
		} else {
			result.validity, result.message = validity(v)
		}
		c.validations[d.spec.Name] = result
	}
}

// validity turns the API's verdict into status: the verdict and, unless valid, which step failed
// (the probe's method and HTTP status, and the refresh attempt), never a response body.
func validity(v *managedagents.CredentialValidation) (v1alpha1.CredentialValidity, string) {
	out := map[string]v1alpha1.CredentialValidity{"valid": v1alpha1.CredentialValid, "invalid": v1alpha1.CredentialInvalid}[string(v.Status)]
	if out == "" {
		out = v1alpha1.CredentialValidityUnknown
	}
	if out == v1alpha1.CredentialValid {
		return out, ""
	}
	var parts []string
	if m := v.MCPProbe.Method; m != "" {
		step := "MCP " + m + " failed"
		if code := v.MCPProbe.HTTPResponse.StatusCode; code != 0 {
			step += fmt.Sprintf(" (HTTP %d)", code)
		}
		parts = append(parts, step)
	}
	if s := v.Refresh.Status; s != "" {
		parts = append(parts, "refresh "+string(s))
	}
	if len(parts) == 0 {
		parts = append(parts, "the API could not tell whether the credential works")
	}
	return out, strings.Join(parts, "; ")
}

// setValidityCondition sets CredentialsValid from the OAuth credentials' verdicts, with a Warning
// Event when it turns False.
func (c *vaultConnection) setValidityCondition() {
	status, reason, msg := metav1.ConditionTrue, ReasonNothingToValidate, "no OAuth credential to validate"
	var invalid, unknown []string
	for _, st := range c.vault.Status.Credentials {
		if st.Type != v1alpha1.CredentialTypeMCPOAuth {
			continue
		}
		status, reason, msg = metav1.ConditionTrue, ReasonCredentialsValid, "every OAuth credential passed its last validation"
		switch st.Validity {
		case v1alpha1.CredentialInvalid:
			invalid = append(invalid, st.Name+" ("+st.ValidationMessage+")")
		case v1alpha1.CredentialValid:
		default:
			unknown = append(unknown, st.Name)
		}
	}
	switch {
	case len(invalid) > 0:
		status, reason, msg = metav1.ConditionFalse, ReasonCredentialInvalid, "invalid: "+strings.Join(invalid, ", ")
	case len(unknown) > 0:
		status, reason, msg = metav1.ConditionUnknown, ReasonValidationUnknown, "not validated yet or undetermined: "+strings.Join(unknown, ", ")
	}
	changed := setCondition(&c.vault.Status.Conditions, c.vault.Generation, v1alpha1.ConditionCredentialsValid, status, reason, msg)
	if changed && status == metav1.ConditionFalse {
		c.recorder.Eventf(c.vault, nil, corev1.EventTypeWarning, string(reason), "Validate", "%s", msg)
	}
}
