// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"fmt"
	"strings"
)

// labelColumn is the width of the label column of `kubectl claude status`.
const labelColumn = 14

// fieldWriter writes the "Label:  value" lines of the status commands, each label padded to one
// column after an indent. An empty value writes nothing, so a section lists only what is known.
type fieldWriter struct {
	b      *strings.Builder
	indent string
	width  int
}

// field writes one line, unless value is empty.
func (f fieldWriter) field(name, value string) {
	if value != "" {
		fmt.Fprintf(f.b, "%s%-*s%s\n", f.indent, f.width, name+":", value)
	}
}
