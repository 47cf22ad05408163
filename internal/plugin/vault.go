// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"context"
	"strings"
	"text/tabwriter"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/duration"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// GetVault reads a Vault; a missing one is an error that says how to find the right name.
func GetVault(ctx context.Context, c client.Reader, key types.NamespacedName) (*v1alpha1.Vault, error) {
	v := &v1alpha1.Vault{}
	if err := c.Get(ctx, key, v); err != nil {
		return nil, notFound(err, "vault", key.Name, key.Namespace, "list vaults with `kubectl claude get vaults` (or pass -n NAMESPACE)")
	}
	return v, nil
}

// VaultView is the machine-readable form of `kubectl claude vault status`. Like the Vault's status,
// it holds no secret value (not even the digests of the values sent).
type VaultView struct {
	Name         string           `json:"name"`
	Namespace    string           `json:"namespace"`
	RemoteID     string           `json:"remoteID,omitempty"`
	Ready        string           `json:"ready"`
	Reason       string           `json:"reason,omitempty"`
	Message      string           `json:"message,omitempty"`
	Valid        string           `json:"credentialsValid,omitempty"`
	ValidMessage string           `json:"credentialsValidMessage,omitempty"`
	LastSync     *metav1.Time     `json:"lastSyncTime,omitempty"`
	Credentials  []CredentialView `json:"credentials"`
}

// CredentialView is one credential of a VaultView.
type CredentialView struct {
	Name              string                      `json:"name"`
	Type              string                      `json:"type,omitempty"`
	RemoteID          string                      `json:"remoteID,omitempty"`
	Validity          v1alpha1.CredentialValidity `json:"validity,omitempty"`
	ValidationMessage string                      `json:"validationMessage,omitempty"`
	LastValidated     *metav1.Time                `json:"lastValidated,omitempty"`
	LastRotated       *metav1.Time                `json:"lastRotated,omitempty"`
	ExpiresAt         *metav1.Time                `json:"expiresAt,omitempty"`
	Message           string                      `json:"message,omitempty"`
}

// NewVaultView extracts the view of a Vault: every credential of the spec, in spec order, with what
// status knows of it.
func NewVaultView(v *v1alpha1.Vault) VaultView {
	view := VaultView{Name: v.Name, Namespace: v.Namespace, RemoteID: v.Status.ID, Ready: "Unknown", LastSync: v.Status.LastSyncTime,
		Credentials: make([]CredentialView, 0, len(v.Spec.Credentials))}
	if c := meta.FindStatusCondition(v.Status.Conditions, v1alpha1.ConditionReady); c != nil {
		view.Ready, view.Reason, view.Message = string(c.Status), c.Reason, c.Message
	}
	if c := meta.FindStatusCondition(v.Status.Conditions, v1alpha1.ConditionCredentialsValid); c != nil {
		view.Valid, view.ValidMessage = string(c.Status), c.Message
	}
	observed := map[string]v1alpha1.CredentialStatus{}
	for _, st := range v.Status.Credentials {
		observed[st.Name] = st
	}
	for i := range v.Spec.Credentials {
		spec := &v.Spec.Credentials[i]
		st := observed[spec.Name]
		view.Credentials = append(view.Credentials, CredentialView{
			Name: spec.Name, Type: spec.Type(), RemoteID: st.ID, Validity: st.Validity, ValidationMessage: st.ValidationMessage,
			LastValidated: st.LastValidated, LastRotated: st.LastRotated, ExpiresAt: st.ExpiresAt, Message: st.Message,
		})
	}
	return view
}

// VaultStatusText renders `kubectl claude vault status` for people: the vault, then one row per
// credential with its type, remote id, validity and last rotation.
func VaultStatusText(v *v1alpha1.Vault, styler Styler, now time.Time) string {
	view := NewVaultView(v)
	var b strings.Builder
	field := fieldWriter{b: &b, width: len("Credentials valid: ")}.field
	field("Name", view.Name)
	field("Namespace", view.Namespace)
	field("Remote ID", view.RemoteID)
	ready := view.Ready
	if view.Reason != "" {
		ready += " (" + view.Reason + ")"
	}
	code := styleGreen
	if view.Ready != "True" {
		code = styleRed
	}
	field("Ready", styler.Style(ready, styleBold, code))
	if view.Ready != "True" {
		field("Message", view.Message)
	}
	if view.Valid != "" && view.Valid != "True" {
		field("Credentials valid", styler.Style(view.Valid+": "+view.ValidMessage, styleRed))
	}
	field("Last sync", elapsed(view.LastSync, now))
	b.WriteString("Credentials:\n")
	tw := tabwriter.NewWriter(&b, 0, 8, 3, ' ', 0)
	writeRow(tw, []string{"  NAME", "TYPE", "REMOTE ID", "VALIDITY", "LAST ROTATED", "EXPIRES", "MESSAGE"})
	for _, c := range view.Credentials {
		validity := string(c.Validity)
		switch {
		case validity != "":
		case c.Type == v1alpha1.CredentialTypeMCPOAuth:
			validity = string(v1alpha1.CredentialValidityUnknown) // not validated yet
		default:
			validity = "-" // only OAuth credentials are validated
		}
		msg := c.Message
		if msg == "" {
			msg = c.ValidationMessage
		}
		writeRow(tw, []string{"  " + c.Name, orNone(c.Type), orNone(c.RemoteID), validity,
			orNone(elapsed(c.LastRotated, now)), orNone(until(c.ExpiresAt, now)), orNone(oneLine(Truncate(msg, 200)))})
	}
	_ = tw.Flush()
	return b.String()
}

// elapsed renders a time as "<duration> ago", or "" for none.
func elapsed(t *metav1.Time, now time.Time) string {
	if t == nil {
		return ""
	}
	return duration.HumanDuration(now.Sub(t.Time)) + " ago"
}

// until renders a future time as "in <duration>" (or "<duration> ago" once past), or "" for none.
func until(t *metav1.Time, now time.Time) string {
	if t == nil {
		return ""
	}
	if t.After(now) {
		return "in " + duration.HumanDuration(t.Sub(now))
	}
	return elapsed(t, now)
}
