// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"io"
	"os"

	"golang.org/x/term"
)

// ANSI styles used by the plugin's output.
const (
	styleReset   = "\x1b[0m"
	styleBold    = "\x1b[1m"
	styleDim     = "\x1b[2m"
	styleRed     = "\x1b[31m"
	styleGreen   = "\x1b[32m"
	styleYellow  = "\x1b[33m"
	styleBlue    = "\x1b[34m"
	styleMagenta = "\x1b[35m"
	styleCyan    = "\x1b[36m"
)

// Styler wraps text in ANSI styles when enabled; a disabled Styler returns text untouched.
type Styler struct {
	Enabled bool
}

// Style wraps s in the given style codes.
func (s Styler) Style(text string, codes ...string) string {
	if !s.Enabled || len(codes) == 0 || text == "" {
		return text
	}
	prefix := ""
	for _, c := range codes {
		prefix += c
	}
	return prefix + text + styleReset
}

// ColorEnabled reports whether output to w should be colored: only when w is a terminal and the
// NO_COLOR convention (https://no-color.org: any non-empty value) does not ask otherwise.
// getenv is os.Getenv outside tests.
func ColorEnabled(w io.Writer, getenv func(string) string) bool {
	if getenv("NO_COLOR") != "" || getenv("TERM") == "dumb" {
		return false
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
