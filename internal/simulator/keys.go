// SPDX-License-Identifier: Apache-2.0

package simulator

// Credentials beyond Options.APIKey, so that tests can rotate a key: accept a new one, then revoke
// the old one, and watch a client that still holds the old key get 401.

// AcceptKey makes the simulator accept another API key (and un-revokes it).
func (s *Server) AcceptKey(key string) {
	s.keysMu.Lock()
	defer s.keysMu.Unlock()
	if s.extraKeys == nil {
		s.extraKeys = map[string]bool{}
	}
	s.extraKeys[key] = true
	delete(s.revokedKeys, key)
}

// RevokeKey makes the simulator refuse an API key with 401, Options.APIKey included.
func (s *Server) RevokeKey(key string) {
	s.keysMu.Lock()
	defer s.keysMu.Unlock()
	if s.revokedKeys == nil {
		s.revokedKeys = map[string]bool{}
	}
	s.revokedKeys[key] = true
	delete(s.extraKeys, key)
}

// keyAccepted reports whether a request with this key is let in.
func (s *Server) keyAccepted(key string) bool {
	s.keysMu.Lock()
	defer s.keysMu.Unlock()
	if s.revokedKeys[key] {
		return false
	}
	return s.opts.APIKey == "" || key == s.opts.APIKey || s.extraKeys[key]
}
