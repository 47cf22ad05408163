// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
)

// Validation verdicts of POST .../mcp_oauth_validate.
const (
	ValidationValid   = "valid"
	ValidationInvalid = "invalid"
	ValidationUnknown = "unknown"
)

// ValidationRule scripts what MCPOAuthValidate answers. The simulator cannot
// reach MCP servers, so without a matching rule every OAuth credential with
// an access token validates as "valid". A rule matches a credential by id or
// by MCP server URL (one of the two must be set); the newest matching rule
// wins, and it applies until removed.
type ValidationRule struct {
	ID           int    `json:"id,omitempty"` // assigned by AddValidationRule
	CredentialID string `json:"credential_id,omitempty"`
	MCPServerURL string `json:"mcp_server_url,omitempty"`

	// Status is valid, invalid or unknown.
	Status string `json:"status"`
	// ProbeMethod, when set, reports a failed MCP probe step (for example
	// "initialize" or "tools/list"); ProbeStatus and ProbeBody describe the
	// MCP server's HTTP answer (ProbeStatus 0: no answer, such as a timeout).
	ProbeMethod string `json:"probe_method,omitempty"`
	ProbeStatus int    `json:"probe_status,omitempty"`
	ProbeBody   string `json:"probe_body,omitempty"`
	// Refresh, when set, reports a refresh attempt: succeeded, failed,
	// connect_error or no_refresh_token.
	Refresh string `json:"refresh,omitempty"`
}

func (v *ValidationRule) check() error {
	if (v.CredentialID == "") == (v.MCPServerURL == "") {
		return errors.New("exactly one of credential_id and mcp_server_url must be set")
	}
	switch v.Status {
	case ValidationValid, ValidationInvalid, ValidationUnknown:
	default:
		return errors.New(`status must be "valid", "invalid" or "unknown"`)
	}
	switch v.Refresh {
	case "", "succeeded", "failed", "connect_error", "no_refresh_token":
	default:
		return errors.New(`refresh must be "succeeded", "failed", "connect_error" or "no_refresh_token"`)
	}
	return nil
}

type validationRules struct {
	mu     sync.Mutex
	nextID int
	rules  []ValidationRule
}

// AddValidationRule installs a rule for MCPOAuthValidate and returns its id.
func (s *Server) AddValidationRule(rule ValidationRule) (int, error) {
	if err := rule.check(); err != nil {
		return 0, err
	}
	vr := &s.validations
	vr.mu.Lock()
	defer vr.mu.Unlock()
	vr.nextID++
	rule.ID = vr.nextID
	vr.rules = append(vr.rules, rule)
	return rule.ID, nil
}

// ClearValidationRules removes every validation rule.
func (s *Server) ClearValidationRules() {
	s.validations.mu.Lock()
	s.validations.rules = nil
	s.validations.mu.Unlock()
}

// ValidationRules returns the installed rules, oldest first.
func (s *Server) ValidationRules() []ValidationRule {
	s.validations.mu.Lock()
	defer s.validations.mu.Unlock()
	return append([]ValidationRule(nil), s.validations.rules...)
}

func (vr *validationRules) match(c *credential) (ValidationRule, bool) {
	vr.mu.Lock()
	defer vr.mu.Unlock()
	for i := len(vr.rules) - 1; i >= 0; i-- {
		r := vr.rules[i]
		if r.CredentialID == c.id || (r.MCPServerURL != "" && r.MCPServerURL == c.auth.mcpServerURL) {
			return r, true
		}
	}
	return ValidationRule{}, false
}

func (s *Server) validateCredential(r *http.Request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, c, err := s.credentialLocked(r)
	if err != nil {
		return nil, err
	}
	if c.auth.typ != AuthMCPOAuth {
		return nil, errBadRequest("credential %s is a %s credential; only mcp_oauth credentials can be validated", c.id, c.auth.typ)
	}
	if c.archivedAt != nil {
		return nil, errBadRequest("credential %s is archived", c.id)
	}
	rule, ok := s.validations.match(c)
	if !ok {
		rule = ValidationRule{Status: ValidationValid}
		if c.auth.accessToken == "" {
			rule.Status = ValidationInvalid
		}
	}
	return map[string]any{
		"type":              "vault_credential_validation",
		"credential_id":     c.id,
		"vault_id":          c.vaultID,
		"has_refresh_token": c.auth.refresh != nil && c.auth.refresh.refreshToken != "",
		"status":            rule.Status,
		"validated_at":      stamp(s.now()),
		"mcp_probe":         rule.probe(),
		"refresh":           rule.refresh(),
	}, nil
}

func (v ValidationRule) probe() any {
	if v.ProbeMethod == "" {
		return nil
	}
	return map[string]any{"method": v.ProbeMethod, "http_response": httpResponse(v.ProbeStatus, v.ProbeBody)}
}

func (v ValidationRule) refresh() any {
	if v.Refresh == "" {
		return nil
	}
	var resp any
	if v.Refresh == "failed" {
		resp = httpResponse(http.StatusBadRequest, `{"error":"invalid_grant"}`)
	}
	return map[string]any{"status": v.Refresh, "http_response": resp}
}

func httpResponse(status int, body string) any {
	if status == 0 {
		return nil
	}
	return map[string]any{"status_code": status, "content_type": "application/json", "body": body, "body_truncated": false}
}

// handleValidationRules serves /_simulator/credential_validations: GET
// lists, POST adds one rule (a rule object) or several ({"rules":[...]}),
// DELETE clears.
func (s *Server) handleValidationRules(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodDelete:
		s.ClearValidationRules()
	case http.MethodPost:
		rules, err := decodeValidationRules(r)
		if err != nil {
			writeError(w, err)
			return
		}
		for _, rule := range rules {
			_, _ = s.AddValidationRule(rule)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"rules": s.ValidationRules()})
}

func decodeValidationRules(r *http.Request) ([]ValidationRule, *apiError) {
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	raw, _ := json.Marshal(body.m)
	var list []ValidationRule
	if body.present("rules") {
		var wrapper struct {
			Rules []ValidationRule `json:"rules"`
		}
		if err := strictUnmarshal(raw, &wrapper); err != nil {
			return nil, errBadRequest("rules: %v", err)
		}
		list = wrapper.Rules
	} else {
		var rule ValidationRule
		if err := strictUnmarshal(raw, &rule); err != nil {
			return nil, errBadRequest("rule: %v", err)
		}
		list = []ValidationRule{rule}
	}
	for i := range list {
		if err := list[i].check(); err != nil {
			return nil, errBadRequest("rules[%d]: %v", i, err)
		}
	}
	return list, nil
}

func strictUnmarshal(raw []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
