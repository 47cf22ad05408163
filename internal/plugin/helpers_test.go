// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"os"
	"path/filepath"
	"testing"
)

// createTemp creates a regular file that the test removes.
func createTemp(t *testing.T) (*os.File, error) {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = f.Close() })
	return f, nil
}
