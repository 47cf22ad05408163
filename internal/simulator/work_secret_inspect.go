// SPDX-License-Identifier: Apache-2.0

package simulator

// WorkSecret returns a work item's secret as a poll delivers it, for tests that make sure it
// reaches nothing but the sandbox (the API shows it to the poll that delivers the item only). It
// returns false for an unknown item.
func (s *Server) WorkSecret(workID string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.workItems[workID]
	if w == nil {
		return "", false
	}
	return w.secret, true
}
