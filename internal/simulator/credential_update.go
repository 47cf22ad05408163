// SPDX-License-Identifier: Apache-2.0

package simulator

import "time"

// applyAuthUpdate applies an update-credential auth block to a copy of cur.
// The type cannot change, and the keys (mcp_server_url, secret_name,
// token_endpoint, client_id) are immutable, so they are not accepted at all.
func applyAuthUpdate(o jobj, cur credentialAuth, now time.Time) (credentialAuth, *apiError) {
	t, err := o.reqType(AuthMCPOAuth, AuthStaticBearer, AuthEnvironmentVariable)
	if err != nil {
		return cur, err
	}
	if t != cur.typ {
		return cur, errBadRequest("%s: a %s credential cannot become %s; archive it and create a new one", o.at("type"), cur.typ, t)
	}
	next := cur
	if cur.refresh != nil {
		r := *cur.refresh
		next.refresh = &r
	}
	switch t {
	case AuthMCPOAuth:
		err = updateMCPOAuth(o, &next, now)
	case AuthStaticBearer:
		err = updateStaticBearer(o, &next)
	default:
		err = updateEnvironmentVariable(o, &next)
	}
	return next, err
}

func updateMCPOAuth(o jobj, a *credentialAuth, now time.Time) *apiError {
	if err := o.only("type", "access_token", "expires_at", "refresh"); err != nil {
		return err
	}
	if v, ok, err := secretToken(o, "access_token", false); err != nil {
		return err
	} else if ok {
		a.accessToken = v
	}
	if t, err := futureTime(o, "expires_at", now); err != nil {
		return err
	} else if t != nil {
		a.expiresAt = t
	}
	r, ok, err := o.obj("refresh")
	if err != nil || !ok {
		return err
	}
	if a.refresh == nil {
		return errBadRequest("%s: this credential was created without refresh; archive it and create a new one with refresh", o.at("refresh"))
	}
	return updateOAuthRefresh(r, a.refresh)
}

func updateOAuthRefresh(r jobj, cur *oauthRefresh) *apiError {
	if err := r.only("refresh_token", "scope", "token_endpoint_auth"); err != nil {
		return err
	}
	if v, ok, err := secretToken(r, "refresh_token", false); err != nil {
		return err
	} else if ok {
		cur.refreshToken = v
	}
	if v, ok, err := r.str("scope"); err != nil {
		return err
	} else if ok {
		cur.scope = &v
		if v == "" { // an empty scope clears the stored one
			cur.scope = nil
		}
	}
	te, ok, err := r.obj("token_endpoint_auth")
	if err != nil || !ok {
		return err
	}
	if _, _, err := te.enum("type", "client_secret_basic", "client_secret_post"); err != nil {
		return err
	}
	if err := te.only("type", "client_secret"); err != nil {
		return err
	}
	if cur.authType == "none" {
		return errBadRequest("%s: the credential's token endpoint takes no client secret", r.at("token_endpoint_auth"))
	}
	// The credential keeps its own token_endpoint_auth type, whichever was sent.
	if v, ok, err := secretToken(te, "client_secret", false); err != nil {
		return err
	} else if ok {
		cur.clientSecret = v
	}
	return nil
}

func updateStaticBearer(o jobj, a *credentialAuth) *apiError {
	if err := o.only("type", "token"); err != nil {
		return err
	}
	if v, ok, err := secretToken(o, "token", false); err != nil {
		return err
	} else if ok {
		a.token = v
	}
	return nil
}

func updateEnvironmentVariable(o jobj, a *credentialAuth) *apiError {
	if err := o.only("type", "secret_value", "injection_location", "networking"); err != nil {
		return err
	}
	if v, ok, err := secretValue(o, "secret_value", false); err != nil {
		return err
	} else if ok {
		a.secretValue = v
	}
	if o.present("injection_location") {
		h, b, err := parseInjectionLocation(o, a.injHeader, a.injBody)
		if err != nil {
			return err
		}
		a.injHeader, a.injBody = h, b
	}
	if o.has("networking") {
		n, err := parseCredentialNetworking(o)
		if err != nil {
			return err
		}
		a.networking = n
	}
	return nil
}
