// SPDX-License-Identifier: Apache-2.0

package v1alpha1

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// Tool is one entry of an agent's tools. Set exactly one of agentToolset, mcpToolset or custom.
// +kubebuilder:validation:XValidation:rule="[has(self.agentToolset), has(self.mcpToolset), has(self.custom)].filter(x, x).size() == 1",message="each spec.tools entry must set exactly one of agentToolset, mcpToolset or custom"
type Tool struct {
	// AgentToolset enables the built-in tools (bash, edit, read, write, glob, grep, web_fetch, web_search).
	// +optional
	AgentToolset *AgentToolset `json:"agentToolset,omitempty"`

	// MCPToolset exposes the tools of one of spec.mcpServers.
	// +optional
	MCPToolset *MCPToolset `json:"mcpToolset,omitempty"`

	// Custom is a tool that your code executes: the agent emits a call, and the session waits for its result.
	// +optional
	Custom *CustomTool `json:"custom,omitempty"`
}

// PermissionPolicy decides whether a tool call needs a human confirmation.
// +kubebuilder:validation:Enum=AlwaysAllow;AlwaysAsk;Auto
type PermissionPolicy string

const (
	// PermissionAlwaysAllow runs every call without asking.
	PermissionAlwaysAllow PermissionPolicy = "AlwaysAllow"
	// PermissionAlwaysAsk pauses the session with a pending action until a confirmation arrives.
	PermissionAlwaysAsk PermissionPolicy = "AlwaysAsk"
	// PermissionAuto lets the platform judge each call: allow, ask or deny.
	PermissionAuto PermissionPolicy = "Auto"
)

// ToolsetDefaults apply to every tool of a toolset that has no per-tool override.
type ToolsetDefaults struct {
	// Enabled turns the toolset's tools on. The API defaults to true.
	// +optional
	Enabled *bool `json:"enabled,omitempty"`

	// PermissionPolicy for the toolset's tools. The API defaults to AlwaysAllow for the agent toolset
	// and AlwaysAsk for MCP toolsets.
	// +optional
	PermissionPolicy PermissionPolicy `json:"permissionPolicy,omitempty"`
}

// AgentToolset configures the built-in tools.
type AgentToolset struct {
	// DefaultConfig applies to every built-in tool without an override in configs.
	// +optional
	DefaultConfig *ToolsetDefaults `json:"defaultConfig,omitempty"`

	// Configs override the defaults for individual built-in tools, one entry per tool.
	// +kubebuilder:validation:MaxItems=8
	// +listType=map
	// +listMapKey=name
	// +optional
	Configs []BuiltinToolConfig `json:"configs,omitempty"`
}

// BuiltinToolName names one of the built-in tools.
// +kubebuilder:validation:Enum=bash;edit;read;write;glob;grep;web_fetch;web_search
type BuiltinToolName string

const (
	// BuiltinToolWebFetch fetches web pages.
	BuiltinToolWebFetch BuiltinToolName = "web_fetch"
	// BuiltinToolWebSearch searches the web.
	BuiltinToolWebSearch BuiltinToolName = "web_search"
)

// BuiltinToolConfig overrides the configuration of one built-in tool.
// +kubebuilder:validation:XValidation:rule="!(has(self.allowedDomains) && has(self.blockedDomains))",message="allowedDomains and blockedDomains are mutually exclusive"
// +kubebuilder:validation:XValidation:rule="!(has(self.allowedDomains) || has(self.blockedDomains)) || self.name in ['web_fetch', 'web_search']",message="allowedDomains and blockedDomains apply only to web_fetch and web_search"
// +kubebuilder:validation:XValidation:rule="!(has(self.maxContentTokens) || has(self.urlSources)) || self.name == 'web_fetch'",message="maxContentTokens and urlSources apply only to web_fetch"
// +kubebuilder:validation:XValidation:rule="!has(self.userLocation) || self.name == 'web_search'",message="userLocation applies only to web_search"
type BuiltinToolConfig struct {
	// Name of the built-in tool.
	Name BuiltinToolName `json:"name"`

	// Enabled turns the tool on or off.
	// +optional
	Enabled *bool `json:"enabled,omitempty"`

	// PermissionPolicy for this tool.
	// +optional
	PermissionPolicy PermissionPolicy `json:"permissionPolicy,omitempty"`

	// AllowedDomains restricts web_fetch or web_search to these domains (1-64 entries).
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=253
	// +listType=set
	// +optional
	AllowedDomains []string `json:"allowedDomains,omitempty"`

	// BlockedDomains keeps web_fetch or web_search away from these domains (1-64 entries).
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=253
	// +listType=set
	// +optional
	BlockedDomains []string `json:"blockedDomains,omitempty"`

	// MaxContentTokens caps how much of a fetched page web_fetch returns.
	// +kubebuilder:validation:Minimum=1
	// +optional
	MaxContentTokens *int64 `json:"maxContentTokens,omitempty"`

	// URLSources says where web_fetch may take URLs from.
	// +optional
	URLSources *URLSources `json:"urlSources,omitempty"`

	// UserLocation localizes web_search results.
	// +optional
	UserLocation *UserLocation `json:"userLocation,omitempty"`
}

// URLSources says which inputs web_fetch may take URLs from.
// +kubebuilder:validation:XValidation:rule="!has(self.userInput) || self.userInput.mode in ['All', 'None']",message="urlSources.userInput.mode must be All or None: the API takes no tool list for user input"
type URLSources struct {
	// UserInput covers URLs that appear in user messages: All or None.
	// +optional
	UserInput *URLSourcePolicy `json:"userInput,omitempty"`

	// ClientToolResults covers URLs returned by custom tools.
	// +optional
	ClientToolResults *URLSourcePolicy `json:"clientToolResults,omitempty"`

	// ServerToolResults covers URLs returned by server-side tools.
	// +optional
	ServerToolResults *URLSourcePolicy `json:"serverToolResults,omitempty"`
}

// URLSourceMode selects which tools' URLs a source admits.
// +kubebuilder:validation:Enum=All;None;Only;Except
type URLSourceMode string

// URLSourcePolicy admits URLs from all, none, only some or all but some tools.
// +kubebuilder:validation:XValidation:rule="(self.mode in ['Only', 'Except']) == has(self.tools)",message="tools is required for mode Only or Except and not allowed otherwise"
type URLSourcePolicy struct {
	// Mode of the policy.
	Mode URLSourceMode `json:"mode"`

	// Tools named by an Only or Except policy.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=128
	// +listType=set
	// +optional
	Tools []string `json:"tools,omitempty"`
}

// UserLocation is an approximate location for localized web search.
type UserLocation struct {
	// City name.
	// +kubebuilder:validation:MaxLength=255
	// +optional
	City string `json:"city,omitempty"`

	// Region or state.
	// +kubebuilder:validation:MaxLength=255
	// +optional
	Region string `json:"region,omitempty"`

	// Country as an ISO 3166-1 alpha-2 code.
	// +kubebuilder:validation:Pattern=`^[A-Z]{2}$`
	// +optional
	Country string `json:"country,omitempty"`

	// Timezone as an IANA name, for example Europe/Paris.
	// +kubebuilder:validation:MaxLength=255
	// +optional
	Timezone string `json:"timezone,omitempty"`
}

// MCPToolset exposes the tools of an MCP server.
type MCPToolset struct {
	// MCPServerName names an entry of spec.mcpServers.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	MCPServerName string `json:"mcpServerName"`

	// DefaultConfig applies to every tool of the server without an override.
	// +optional
	DefaultConfig *ToolsetDefaults `json:"defaultConfig,omitempty"`

	// Configs override the defaults for individual tools of the server.
	// +kubebuilder:validation:MaxItems=128
	// +listType=map
	// +listMapKey=name
	// +optional
	Configs []MCPToolConfig `json:"configs,omitempty"`
}

// MCPToolConfig overrides the configuration of one MCP tool.
type MCPToolConfig struct {
	// Name of the tool on the MCP server.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	Name string `json:"name"`

	// Enabled turns the tool on or off.
	// +optional
	Enabled *bool `json:"enabled,omitempty"`

	// PermissionPolicy for this tool.
	// +optional
	PermissionPolicy PermissionPolicy `json:"permissionPolicy,omitempty"`
}

// CustomTool is a tool executed by your code. When the agent calls it, the Session shows a pending
// action that you answer with spec.customToolResults (or `kubectl claude tool-result`).
type CustomTool struct {
	// Name of the tool: 1-128 letters, digits, underscores or hyphens.
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9_-]{1,128}$`
	Name string `json:"name"`

	// Description tells the model when and how to use the tool.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=10000
	Description string `json:"description"`

	// InputSchema is the JSON Schema of the tool's input. Its top-level type must be "object"; the
	// operator checks this before calling the API, since CEL cannot see inside free-form JSON.
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	InputSchema apiextensionsv1.JSON `json:"inputSchema"`
}
