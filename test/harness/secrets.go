// SPDX-License-Identifier: Apache-2.0

package harness

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
)

// RandomHex returns n random bytes as hex, for secret values that cannot appear anywhere by chance.
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// AssertAbsent fails the test when any secret value occurs in text; where names the text's source.
// The report shows the value's surroundings with the value itself masked.
func AssertAbsent(t *testing.T, where, text string, secrets map[string]string) {
	t.Helper()
	for name, value := range secrets {
		if i := strings.Index(text, value); i >= 0 {
			start, end := max(0, i-200), min(len(text), i+len(value)+200)
			t.Errorf("%s contains the %s:\n...%s...", where, name, strings.ReplaceAll(text[start:end], value, "<"+name+">"))
		}
	}
}
