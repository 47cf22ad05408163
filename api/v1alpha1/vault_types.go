// SPDX-License-Identifier: Apache-2.0

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// VaultDeletionPolicy says what happens to the remote vault when the Vault is deleted.
// +kubebuilder:validation:Enum=Delete;Archive;Retain
type VaultDeletionPolicy string

const (
	// VaultDeletionDelete deletes the remote vault and its credentials.
	VaultDeletionDelete VaultDeletionPolicy = "Delete"
	// VaultDeletionArchive archives it: its credentials' secrets are purged, running sessions keep
	// what they had, and new sessions cannot use it.
	VaultDeletionArchive VaultDeletionPolicy = "Archive"
	// VaultDeletionRetain leaves it and its credentials untouched.
	VaultDeletionRetain VaultDeletionPolicy = "Retain"
)

// VaultSpec is a remote credential vault whose credentials come from Kubernetes Secrets in this
// namespace. When a referenced Secret changes, only the credentials that read it are updated remotely;
// removing a credential from the list deletes it remotely. Sessions use the vault through
// spec.vaultRefs.
// +kubebuilder:validation:XValidation:rule="!has(self.credentials) || self.credentials.filter(c, has(c.mcpOAuth) || has(c.staticBearer)).map(c, has(c.mcpOAuth) ? c.mcpOAuth.mcpServerURL : c.staticBearer.mcpServerURL).all(u, self.credentials.filter(c, (has(c.mcpOAuth) && c.mcpOAuth.mcpServerURL == u) || (has(c.staticBearer) && c.staticBearer.mcpServerURL == u)).size() == 1)",message="spec.credentials: two credentials use the same mcpServerURL; a vault holds one credential per MCP server"
// +kubebuilder:validation:XValidation:rule="!has(self.credentials) || self.credentials.filter(c, has(c.environmentVariable)).all(c, self.credentials.filter(d, has(d.environmentVariable) && d.environmentVariable.variableName == c.environmentVariable.variableName).size() == 1)",message="spec.credentials: two credentials set the same environmentVariable.variableName; a vault holds one credential per variable"
type VaultSpec struct {
	// DisplayName of the remote vault (1-255 characters). Defaults to <namespace>/<metadata.name>.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +optional
	DisplayName string `json:"displayName,omitempty"`

	// Credentials stored in the vault, at most 20, with unique names. Every secret value is read from a
	// Secret in this namespace and never appears in this object, its status or its Events.
	// +kubebuilder:validation:MaxItems=20
	// +listType=map
	// +listMapKey=name
	// +optional
	Credentials []VaultCredential `json:"credentials,omitempty"`

	// Metadata is stored on the remote vault and kept equal to this map. Keys prefixed
	// claude.anthropic.com/ are reserved.
	// +optional
	Metadata Metadata `json:"metadata,omitempty"`

	// DeletionPolicy says what happens to the remote vault when this object is deleted.
	// +kubebuilder:default=Archive
	// +optional
	DeletionPolicy VaultDeletionPolicy `json:"deletionPolicy,omitempty"`

	// APIKeySecretRef overrides the operator's default API key with a key from a Secret in this namespace
	// (key defaults to "api-key").
	// +optional
	APIKeySecretRef *SecretKeyReference `json:"apiKeySecretRef,omitempty"`
}

// VaultCredential is one credential of a vault. Set exactly one of mcpOAuth, staticBearer or
// environmentVariable.
// +kubebuilder:validation:XValidation:rule="[has(self.mcpOAuth), has(self.staticBearer), has(self.environmentVariable)].filter(x, x).size() == 1",message="each spec.credentials entry must set exactly one of mcpOAuth, staticBearer or environmentVariable"
type VaultCredential struct {
	// Name identifies the credential within this Vault, in status and in Events (a DNS label).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`

	// DisplayName of the remote credential (at most 255 characters). Defaults to name.
	// +kubebuilder:validation:MaxLength=255
	// +optional
	DisplayName string `json:"displayName,omitempty"`

	// MCPOAuth authenticates to an MCP server with an OAuth access token, which the API refreshes on its
	// own when refresh is set.
	// +optional
	MCPOAuth *MCPOAuthCredential `json:"mcpOAuth,omitempty"`

	// StaticBearer authenticates to an MCP server with a fixed bearer token, such as an API key or a
	// personal access token.
	// +optional
	StaticBearer *StaticBearerCredential `json:"staticBearer,omitempty"`

	// EnvironmentVariable gives the agent's sandbox an environment variable whose real value is only
	// substituted into outbound requests to the allowed hosts; the sandbox sees a placeholder.
	// +optional
	EnvironmentVariable *EnvironmentVariableCredential `json:"environmentVariable,omitempty"`
}

// MCPOAuthCredential is an OAuth credential for an MCP server (the API's mcp_oauth auth).
type MCPOAuthCredential struct {
	// MCPServerURL is the URL of the MCP server, as in the Agent's spec.mcpServers[].url. The API
	// matches credentials to servers by this URL. Changing it replaces the remote credential.
	// +kubebuilder:validation:Pattern=`^https?://.+`
	// +kubebuilder:validation:MaxLength=2048
	MCPServerURL string `json:"mcpServerURL"`

	// AccessTokenSecretRef names the Secret key that holds the current access token.
	AccessTokenSecretRef SecretKeySelector `json:"accessTokenSecretRef"`

	// ExpiresAtKey names a key of the access token's Secret that holds the token's expiry as an RFC 3339
	// time, as token refreshers often write it. Unset means the expiry is unknown.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	// +optional
	ExpiresAtKey string `json:"expiresAtKey,omitempty"`

	// Refresh lets the API refresh the access token by itself with the OAuth refresh_token grant.
	// Without it, the credential works until the access token expires, unless its Secret is rotated.
	// +optional
	Refresh *MCPOAuthRefresh `json:"refresh,omitempty"`
}

// TokenEndpointAuth says how the API authenticates to the OAuth token endpoint.
// +kubebuilder:validation:Enum=None;ClientSecretBasic;ClientSecretPost
type TokenEndpointAuth string

const (
	// TokenEndpointAuthNone is a public client: no client secret.
	TokenEndpointAuthNone TokenEndpointAuth = "None"
	// TokenEndpointAuthClientSecretBasic sends the client secret with HTTP Basic authentication.
	TokenEndpointAuthClientSecretBasic TokenEndpointAuth = "ClientSecretBasic"
	// TokenEndpointAuthClientSecretPost sends the client secret in the request body.
	TokenEndpointAuthClientSecretPost TokenEndpointAuth = "ClientSecretPost"
)

// MCPOAuthRefresh is what the API needs to refresh an OAuth access token.
// +kubebuilder:validation:XValidation:rule="(has(self.tokenEndpointAuth) && self.tokenEndpointAuth != 'None') == has(self.clientSecretSecretRef)",message="refresh.clientSecretSecretRef is required when refresh.tokenEndpointAuth is ClientSecretBasic or ClientSecretPost, and not allowed otherwise"
type MCPOAuthRefresh struct {
	// ClientID of the OAuth client. Changing it replaces the remote credential.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	ClientID string `json:"clientID"`

	// TokenEndpoint is the OAuth token endpoint URL. Changing it replaces the remote credential.
	// +kubebuilder:validation:Pattern=`^https?://.+`
	// +kubebuilder:validation:MaxLength=2048
	TokenEndpoint string `json:"tokenEndpoint"`

	// RefreshTokenSecretRef names the Secret key that holds the refresh token.
	RefreshTokenSecretRef SecretKeySelector `json:"refreshTokenSecretRef"`

	// TokenEndpointAuth says how the API authenticates to the token endpoint. Defaults to None (a
	// public client). Changing it between None and a client secret replaces the remote credential.
	// +kubebuilder:default=None
	// +optional
	TokenEndpointAuth TokenEndpointAuth `json:"tokenEndpointAuth,omitempty"`

	// ClientSecretSecretRef names the Secret key that holds the client secret. Required when
	// tokenEndpointAuth is ClientSecretBasic or ClientSecretPost.
	// +optional
	ClientSecretSecretRef *SecretKeySelector `json:"clientSecretSecretRef,omitempty"`

	// Resource is the OAuth resource indicator sent with refresh requests.
	// +kubebuilder:validation:MaxLength=2048
	// +optional
	Resource string `json:"resource,omitempty"`

	// Scope sent with refresh requests.
	// +kubebuilder:validation:MaxLength=2048
	// +optional
	Scope string `json:"scope,omitempty"`
}

// StaticBearerCredential is a fixed bearer token for an MCP server (the API's static_bearer auth).
type StaticBearerCredential struct {
	// MCPServerURL is the URL of the MCP server, as in the Agent's spec.mcpServers[].url. Changing it
	// replaces the remote credential.
	// +kubebuilder:validation:Pattern=`^https?://.+`
	// +kubebuilder:validation:MaxLength=2048
	MCPServerURL string `json:"mcpServerURL"`

	// TokenSecretRef names the Secret key that holds the token.
	TokenSecretRef SecretKeySelector `json:"tokenSecretRef"`
}

// Credential types, as status.credentials[].type names them.
const (
	CredentialTypeMCPOAuth            = "MCPOAuth"
	CredentialTypeStaticBearer        = "StaticBearer"
	CredentialTypeEnvironmentVariable = "EnvironmentVariable"
)

// Type returns the credential's type (one of the CredentialType constants), or "" when none is set.
func (c *VaultCredential) Type() string {
	switch {
	case c.MCPOAuth != nil:
		return CredentialTypeMCPOAuth
	case c.StaticBearer != nil:
		return CredentialTypeStaticBearer
	case c.EnvironmentVariable != nil:
		return CredentialTypeEnvironmentVariable
	}
	return ""
}

// InjectionLocation is a part of an outbound request where a secret may be substituted.
// +kubebuilder:validation:Enum=Header;Body
type InjectionLocation string

const (
	// InjectHeader substitutes the secret in request header values.
	InjectHeader InjectionLocation = "Header"
	// InjectBody substitutes it in request bodies.
	InjectBody InjectionLocation = "Body"
)

// EnvironmentVariableCredential is a secret the agent's tools use through an environment variable
// (the API's environment_variable auth).
type EnvironmentVariableCredential struct {
	// VariableName is the name of the environment variable in the sandbox (the API's secret_name).
	// Changing it replaces the remote credential.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[A-Za-z_][A-Za-z0-9_]*$`
	VariableName string `json:"variableName"`

	// ValueSecretRef names the Secret key that holds the value.
	ValueSecretRef SecretKeySelector `json:"valueSecretRef"`

	// AllowedHosts limits the outbound hosts the value is substituted for: hostnames
	// (api.example.com), IPv4 addresses or *. wildcards (*.example.com), at most 16. Unset means any
	// host the session's Environment lets the sandbox reach.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MaxLength=253
	// +kubebuilder:validation:items:Pattern=`^(\*\.)?[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$`
	// +listType=set
	// +optional
	AllowedHosts []string `json:"allowedHosts,omitempty"`

	// InjectInto lists where in an outbound request the value may be substituted. Defaults to both.
	// Header alone is the narrower choice: request bodies often carry content the agent works with.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=2
	// +kubebuilder:default={Header,Body}
	// +listType=set
	// +optional
	InjectInto []InjectionLocation `json:"injectInto,omitempty"`
}

// CredentialValidity is the verdict of the API's live probe of an OAuth credential.
// +kubebuilder:validation:Enum=Valid;Invalid;Unknown
type CredentialValidity string

const (
	// CredentialValid: the credential authenticated against its MCP server.
	CredentialValid CredentialValidity = "Valid"
	// CredentialInvalid: the MCP server rejected it and a refresh, if tried, did not recover it.
	CredentialInvalid CredentialValidity = "Invalid"
	// CredentialValidityUnknown: the probe could not tell, for example after a network error.
	CredentialValidityUnknown CredentialValidity = "Unknown"
)

// CredentialStatus is the observed state of one remote credential. It never holds a secret value.
type CredentialStatus struct {
	// Name of the credential in spec.credentials.
	Name string `json:"name"`

	// ID of the remote credential (vcrd_...).
	// +optional
	ID string `json:"id,omitempty"`

	// Type of the credential: MCPOAuth, StaticBearer or EnvironmentVariable.
	// +optional
	Type string `json:"type,omitempty"`

	// SecretHashes holds, per secret field (accessToken, refreshToken, clientSecret, token, value), a
	// salted SHA-256 digest of the value last sent. A Secret change is noticed without a remote call,
	// and only the fields that changed are sent: an unchanged credential is never rewritten, and a
	// refresh token the API rotated on its own is not overwritten with an older one. A digest is not a
	// secret value and cannot be turned back into one.
	// +kubebuilder:validation:MaxProperties=5
	// +optional
	SecretHashes map[string]string `json:"secretHashes,omitempty"`

	// LastRotated is when the operator last sent new secret values (the creation counts).
	// +optional
	LastRotated *metav1.Time `json:"lastRotated,omitempty"`

	// ExpiresAt is when the OAuth access token expires, as the API reports it.
	// +optional
	ExpiresAt *metav1.Time `json:"expiresAt,omitempty"`

	// Validity is the verdict of the last validation of an OAuth credential (MCPOAuthValidate, run every
	// resync period). Unset for other credential types.
	// +optional
	Validity CredentialValidity `json:"validity,omitempty"`

	// LastValidated is when Validity was determined.
	// +optional
	LastValidated *metav1.Time `json:"lastValidated,omitempty"`

	// ValidationMessage says which step of the last validation failed (the MCP probe's method and HTTP
	// status, the refresh attempt), or why validation could not run. Empty when Valid.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	ValidationMessage string `json:"validationMessage,omitempty"`

	// Message says why the last sync of this credential failed: a missing Secret or key, or the API's
	// rejection of a value (naming the field, never the value). Empty when it is in sync.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Message string `json:"message,omitempty"`
}

// VaultStatus is the observed state of the remote vault.
type VaultStatus struct {
	// ID of the remote vault (vlt_...).
	// +optional
	ID string `json:"id,omitempty"`

	// ObservedGeneration is the metadata.generation that the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Credentials lists each credential of the spec with its remote state, in spec order.
	// +kubebuilder:validation:MaxItems=20
	// +listType=map
	// +listMapKey=name
	// +optional
	Credentials []CredentialStatus `json:"credentials,omitempty"`

	// ConfigHash is a hash of the desired vault and its credentials' secret digests last applied, used to
	// notice spec and Secret changes without a remote call.
	// +optional
	ConfigHash string `json:"configHash,omitempty"`

	// LastSyncTime is when the operator last changed the remote vault or its credentials.
	// +optional
	LastSyncTime *metav1.Time `json:"lastSyncTime,omitempty"`

	// Conditions: Ready (the vault and every credential match the spec and their Secrets), Synced (the
	// last sync succeeded), Paused, and CredentialsValid (every OAuth credential passed its last
	// validation).
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// Vault is a Claude Managed Agents credential vault whose credentials come from Kubernetes Secrets.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=cvault,categories=claude
// +kubebuilder:printcolumn:name="Remote ID",type=string,JSONPath=`.status.id`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Last Sync",type=date,JSONPath=`.status.lastSyncTime`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Vault struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired vault and its credentials.
	Spec VaultSpec `json:"spec"`

	// Status is the observed state of the remote vault.
	// The default marks a new object as not yet observed (observedGeneration -1 before the operator
	// first writes status), so GitOps tools (kstatus) wait instead of calling it Current.
	// +kubebuilder:default={"observedGeneration":-1}
	// +optional
	Status VaultStatus `json:"status,omitempty"`
}

// VaultList is a list of Vaults.
// +kubebuilder:object:root=true
type VaultList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Vault `json:"items"`
}
