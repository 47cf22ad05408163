// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
)

// Credential auth types.
const (
	AuthMCPOAuth            = "mcp_oauth"
	AuthStaticBearer        = "static_bearer"
	AuthEnvironmentVariable = "environment_variable"
)

// maxSecretChars bounds every secret value. The hosted API's limit is not
// published; this one is generous enough for any token or key.
const maxSecretChars = 16384

// credentialAuth is a credential's auth block, secrets included. Secrets are
// write-only: render never includes them.
type credentialAuth struct {
	typ          string
	mcpServerURL string // mcp_oauth, static_bearer

	accessToken string     // mcp_oauth
	expiresAt   *time.Time // mcp_oauth
	refresh     *oauthRefresh

	token string // static_bearer

	secretName  string         // environment_variable
	secretValue string         // environment_variable
	networking  map[string]any // environment_variable
	injHeader   bool           // environment_variable
	injBody     bool           // environment_variable
}

type oauthRefresh struct {
	clientID      string
	refreshToken  string
	tokenEndpoint string
	authType      string // none, client_secret_basic or client_secret_post
	clientSecret  string
	resource      *string
	scope         *string
}

// key is what must be unique among a vault's active credentials.
func (a *credentialAuth) key() string {
	if a.typ == AuthEnvironmentVariable {
		return "secret_name " + a.secretName
	}
	return "mcp_server_url " + a.mcpServerURL
}

// secrets lists the secret values by field path, for the inspection API.
func (a *credentialAuth) secrets() map[string]string {
	out := map[string]string{}
	put := func(k, v string) {
		if v != "" {
			out[k] = v
		}
	}
	put("access_token", a.accessToken)
	put("token", a.token)
	put("secret_value", a.secretValue)
	if a.refresh != nil {
		put("refresh.refresh_token", a.refresh.refreshToken)
		put("refresh.token_endpoint_auth.client_secret", a.refresh.clientSecret)
	}
	return out
}

// purge forgets every secret value, as archiving does.
func (a *credentialAuth) purge() {
	a.accessToken, a.token, a.secretValue = "", "", ""
	if a.refresh != nil {
		a.refresh.refreshToken, a.refresh.clientSecret = "", ""
	}
}

func (a *credentialAuth) render() map[string]any {
	switch a.typ {
	case AuthMCPOAuth:
		var refresh any
		if r := a.refresh; r != nil {
			refresh = map[string]any{"client_id": r.clientID, "token_endpoint": r.tokenEndpoint,
				"token_endpoint_auth": map[string]any{"type": r.authType},
				"resource":            strOrNull(r.resource), "scope": strOrNull(r.scope)}
		}
		return map[string]any{"type": a.typ, "mcp_server_url": a.mcpServerURL,
			"expires_at": stampOrNull(a.expiresAt), "refresh": refresh}
	case AuthStaticBearer:
		return map[string]any{"type": a.typ, "mcp_server_url": a.mcpServerURL}
	default:
		return map[string]any{"type": a.typ, "secret_name": a.secretName, "networking": a.networking,
			"injection_location": map[string]any{"header": a.injHeader, "body": a.injBody}}
	}
}

func strOrNull(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

// parseCredentialAuth reads a create-credential auth block.
func parseCredentialAuth(o jobj, now time.Time) (credentialAuth, *apiError) {
	t, err := o.reqType(AuthMCPOAuth, AuthStaticBearer, AuthEnvironmentVariable)
	if err != nil {
		return credentialAuth{}, err
	}
	switch t {
	case AuthMCPOAuth:
		return parseMCPOAuth(o, now)
	case AuthStaticBearer:
		return parseStaticBearer(o)
	default:
		return parseEnvironmentVariable(o)
	}
}

func parseMCPOAuth(o jobj, now time.Time) (credentialAuth, *apiError) {
	a := credentialAuth{typ: AuthMCPOAuth}
	if err := o.only("type", "mcp_server_url", "access_token", "expires_at", "refresh"); err != nil {
		return a, err
	}
	var err *apiError
	if a.mcpServerURL, err = reqHTTPURL(o, "mcp_server_url"); err != nil {
		return a, err
	}
	if a.accessToken, _, err = secretToken(o, "access_token", true); err != nil {
		return a, err
	}
	if a.expiresAt, err = futureTime(o, "expires_at", now); err != nil {
		return a, err
	}
	if r, ok, err := o.obj("refresh"); err != nil {
		return a, err
	} else if ok {
		if a.refresh, err = parseOAuthRefresh(r); err != nil {
			return a, err
		}
	}
	return a, nil
}

func parseOAuthRefresh(r jobj) (*oauthRefresh, *apiError) {
	if err := r.only("client_id", "refresh_token", "token_endpoint", "token_endpoint_auth", "resource", "scope"); err != nil {
		return nil, err
	}
	out := &oauthRefresh{}
	var err *apiError
	if out.clientID, err = r.reqStr("client_id"); err != nil {
		return nil, err
	}
	if out.clientID == "" {
		return nil, errBadRequest("%s: string should have at least 1 character", r.at("client_id"))
	}
	if out.refreshToken, _, err = secretToken(r, "refresh_token", true); err != nil {
		return nil, err
	}
	if out.tokenEndpoint, err = reqHTTPURL(r, "token_endpoint"); err != nil {
		return nil, err
	}
	te, err := r.reqObj("token_endpoint_auth")
	if err != nil {
		return nil, err
	}
	if out.authType, out.clientSecret, err = parseTokenEndpointAuth(te); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		key string
		dst **string
	}{{"resource", &out.resource}, {"scope", &out.scope}} {
		if v, ok, err := r.str(f.key); err != nil {
			return nil, err
		} else if ok {
			*f.dst = &v
		}
	}
	return out, nil
}

func parseTokenEndpointAuth(te jobj) (typ, secret string, _ *apiError) {
	t, err := te.reqType("none", "client_secret_basic", "client_secret_post")
	if err != nil {
		return "", "", err
	}
	if t == "none" {
		return t, "", te.only("type")
	}
	if err := te.only("type", "client_secret"); err != nil {
		return "", "", err
	}
	secret, _, err = secretToken(te, "client_secret", true)
	return t, secret, err
}

func parseStaticBearer(o jobj) (credentialAuth, *apiError) {
	a := credentialAuth{typ: AuthStaticBearer}
	if err := o.only("type", "mcp_server_url", "token"); err != nil {
		return a, err
	}
	var err *apiError
	if a.mcpServerURL, err = reqHTTPURL(o, "mcp_server_url"); err != nil {
		return a, err
	}
	a.token, _, err = secretToken(o, "token", true)
	return a, err
}

var envVarName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)

func parseEnvironmentVariable(o jobj) (credentialAuth, *apiError) {
	a := credentialAuth{typ: AuthEnvironmentVariable, injHeader: true, injBody: true}
	if err := o.only("type", "secret_name", "secret_value", "networking", "injection_location"); err != nil {
		return a, err
	}
	var err *apiError
	if a.secretName, err = o.reqStr("secret_name"); err != nil {
		return a, err
	}
	if !envVarName.MatchString(a.secretName) {
		return a, errBadRequest("%s: must be an environment variable name (letters, digits and _, not starting with a digit, at most 128 characters)", o.at("secret_name"))
	}
	if a.secretValue, _, err = secretValue(o, "secret_value", true); err != nil {
		return a, err
	}
	if !o.has("networking") {
		return a, errBadRequest("%s: field required", o.at("networking"))
	}
	if a.networking, err = parseCredentialNetworking(o); err != nil {
		return a, err
	}
	if o.present("injection_location") {
		// Sent on create, a location left out is off.
		a.injHeader, a.injBody = false, false
		if a.injHeader, a.injBody, err = parseInjectionLocation(o, a.injHeader, a.injBody); err != nil {
			return a, err
		}
	}
	return a, nil
}

// parseInjectionLocation applies injection_location over the current
// locations. Explicit nulls are rejected (leave a field out instead), and at
// least one location must stay enabled.
func parseInjectionLocation(o jobj, header, body bool) (bool, bool, *apiError) {
	if !o.has("injection_location") {
		return header, body, errBadRequest("%s: must be an object; omit it instead of sending null", o.at("injection_location"))
	}
	il, err := o.reqObj("injection_location")
	if err != nil {
		return header, body, err
	}
	if err := il.only("header", "body"); err != nil {
		return header, body, err
	}
	for _, f := range []struct {
		key string
		dst *bool
	}{{"header", &header}, {"body", &body}} {
		if il.present(f.key) && !il.has(f.key) {
			return header, body, errBadRequest("%s: must be a boolean; omit it instead of sending null", il.at(f.key))
		}
		if v, ok, err := il.boolean(f.key); err != nil {
			return header, body, err
		} else if ok {
			*f.dst = v
		}
	}
	if !header && !body {
		return header, body, errBadRequest("%s: at least one of header and body must be enabled", o.at("injection_location"))
	}
	return header, body, nil
}

var hostLabel = `[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?`
var allowedHost = regexp.MustCompile(`^(\*\.)?` + hostLabel + `(\.` + hostLabel + `)*$`)

// parseCredentialNetworking reads networking: {type: unrestricted} or
// {type: limited, allowed_hosts: [1..16 hosts]}.
func parseCredentialNetworking(o jobj) (map[string]any, *apiError) {
	n, err := o.reqObj("networking")
	if err != nil {
		return nil, err
	}
	t, err := n.reqType("unrestricted", "limited")
	if err != nil {
		return nil, err
	}
	if t == "unrestricted" {
		return map[string]any{"type": t}, n.only("type")
	}
	if err := n.only("type", "allowed_hosts"); err != nil {
		return nil, err
	}
	hosts, _, err := n.strList("allowed_hosts")
	if err != nil {
		return nil, err
	}
	if len(hosts) == 0 || len(hosts) > 16 {
		return nil, errBadRequest("%s: must list 1 to 16 hosts", n.at("allowed_hosts"))
	}
	list := make([]any, len(hosts))
	for i, h := range hosts {
		ip := net.ParseIP(h)
		if (ip == nil || ip.To4() == nil || strings.Contains(h, ":")) && !allowedHost.MatchString(h) {
			return nil, errBadRequest("%s: must be a hostname, an IPv4 address or a *. wildcard (no scheme, port or path)", index(n.at("allowed_hosts"), i))
		}
		list[i] = h
	}
	return map[string]any{"type": t, "allowed_hosts": list}, nil
}

// reqHTTPURL reads a required absolute http(s) URL.
func reqHTTPURL(o jobj, k string) (string, *apiError) {
	s, err := o.reqStr(k)
	if err != nil {
		return "", err
	}
	u, perr := url.Parse(s)
	if perr != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", errBadRequest("%s: must be an absolute http(s) URL", o.at(k))
	}
	return s, nil
}

// futureTime reads an optional RFC 3339 time that must lie after now.
func futureTime(o jobj, k string, now time.Time) (*time.Time, *apiError) {
	s, ok, err := o.str(k)
	if err != nil || !ok {
		return nil, err
	}
	t, perr := time.Parse(time.RFC3339Nano, s)
	if perr != nil {
		return nil, errBadRequest("%s: input should be a valid RFC 3339 datetime", o.at(k))
	}
	if !t.After(now) {
		return nil, errBadRequest("%s: must be in the future", o.at(k))
	}
	t = t.UTC()
	return &t, nil
}

// secretToken reads a bearer-style secret: non-empty, bounded, and free of
// whitespace and control characters, which no HTTP header may carry. The
// error names the field and never echoes the value.
func secretToken(o jobj, k string, required bool) (string, bool, *apiError) {
	v, ok, err := secretValue(o, k, required)
	if err != nil || !ok {
		return v, ok, err
	}
	if strings.IndexFunc(v, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return "", false, errBadRequest("%s: must not contain whitespace or control characters", o.at(k))
	}
	return v, true, nil
}

// secretValue reads an opaque secret: non-empty and bounded.
func secretValue(o jobj, k string, required bool) (string, bool, *apiError) {
	v, ok, err := o.str(k)
	if err != nil {
		return "", false, errBadRequest("%s: input should be a valid string", o.at(k))
	}
	if !ok {
		if required {
			return "", false, errBadRequest("%s: field required", o.at(k))
		}
		return "", false, nil
	}
	if v == "" {
		return "", false, errBadRequest("%s: string should have at least 1 character", o.at(k))
	}
	if len([]rune(v)) > maxSecretChars {
		return "", false, errBadRequest("%s: string should have at most %d characters", o.at(k), maxSecretChars)
	}
	return v, true, nil
}
