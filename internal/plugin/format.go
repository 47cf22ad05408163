// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
)

// DefaultMaxToolText bounds tool inputs and results in `logs` unless --full is given.
const DefaultMaxToolText = 300

// labelWidth is the width of the label column.
const labelWidth = 9

// look is how one kind of entry is shown: its label, its color and whether it is tool traffic
// (which can be long and is truncated).
type look struct {
	label string
	codes []string
	tool  bool
}

var looks = map[string]look{
	sessionevents.ReasonUserMessage:      {label: "user", codes: []string{styleBold, styleCyan}},
	sessionevents.ReasonAgentMessage:     {label: "agent", codes: []string{styleGreen}},
	sessionevents.ReasonToolUse:          {label: "tool", codes: []string{styleYellow}, tool: true},
	sessionevents.ReasonMCPToolUse:       {label: "mcp", codes: []string{styleYellow}, tool: true},
	sessionevents.ReasonCustomToolUse:    {label: "custom", codes: []string{styleYellow}, tool: true},
	sessionevents.ReasonToolResult:       {label: "result", codes: []string{styleDim}, tool: true},
	sessionevents.ReasonMCPToolResult:    {label: "result", codes: []string{styleDim}, tool: true},
	sessionevents.ReasonCustomToolResult: {label: "result", codes: []string{styleDim}, tool: true},
	sessionevents.ReasonToolConfirmation: {label: "confirm", codes: []string{styleMagenta}},
	sessionevents.ReasonInterrupt:        {label: "interrupt", codes: []string{styleMagenta}},
	sessionevents.ReasonRunning:          {label: "status", codes: []string{styleDim}},
	sessionevents.ReasonRescheduled:      {label: "status", codes: []string{styleYellow}},
	sessionevents.ReasonTurnEnded:        {label: "status", codes: []string{styleDim}},
	sessionevents.ReasonActionRequired:   {label: "action", codes: []string{styleBold, styleMagenta}},
	sessionevents.ReasonRefusal:          {label: "refusal", codes: []string{styleRed}},
	sessionevents.ReasonBudgetReached:    {label: "budget", codes: []string{styleRed}},
	sessionevents.ReasonRetriesExhausted: {label: "error", codes: []string{styleRed}},
	sessionevents.ReasonSessionError:     {label: "error", codes: []string{styleRed}},
	sessionevents.ReasonTerminated:       {label: "ended", codes: []string{styleRed}},
	sessionevents.ReasonDeleted:          {label: "ended", codes: []string{styleRed}},
}

// Formatter renders entries as terminal lines: a timestamp, a label and the text, with
// continuation lines indented under the text.
type Formatter struct {
	// Styler colors labels and texts.
	Styler Styler
	// TimeLayout formats timestamps; empty means 15:04:05.
	TimeLayout string
	// Location of the timestamps; nil means local time.
	Location *time.Location
	// MaxToolText bounds tool inputs and results in characters; 0 means no limit.
	MaxToolText int
}

// Entry renders one entry, ending in a newline.
func (f Formatter) Entry(e Entry) string {
	lk := lookOf(e)
	text := sanitize(e.Text)
	if e.Lifecycle && e.Warning && e.Reason != "" && !strings.Contains(text, e.Reason) {
		text = e.Reason + ": " + text
	}
	if lk.tool && f.MaxToolText > 0 {
		text = Truncate(text, f.MaxToolText)
	}
	stamp := f.timestamp(e.Time)
	indent := strings.Repeat(" ", utf8.RuneCountInString(stamp)+2+labelWidth+1)
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	var b strings.Builder
	b.WriteString(f.Styler.Style(stamp, styleDim))
	b.WriteString("  ")
	b.WriteString(f.Styler.Style(pad(lk.label, labelWidth), lk.codes...))
	b.WriteString(" ")
	for i, line := range lines {
		if i > 0 {
			b.WriteString("\n" + indent)
		}
		b.WriteString(line)
	}
	b.WriteString("\n")
	return b.String()
}

// lookOf picks the look of an entry.
func lookOf(e Entry) look {
	if e.Lifecycle {
		if e.Warning {
			return look{label: "warning", codes: []string{styleRed}}
		}
		return look{label: "phase", codes: []string{styleBlue}}
	}
	if lk, ok := looks[e.Reason]; ok {
		return lk
	}
	return look{label: "event"}
}

// timestamp formats t, or a placeholder of the same width when it is unknown.
func (f Formatter) timestamp(t time.Time) string {
	layout := f.TimeLayout
	if layout == "" {
		layout = "15:04:05"
	}
	if t.IsZero() {
		return strings.Repeat("-", len(layout))
	}
	loc := f.Location
	if loc == nil {
		loc = time.Local
	}
	return t.In(loc).Format(layout)
}

// pad right-pads s with spaces to width characters.
func pad(s string, width int) string {
	if n := utf8.RuneCountInString(s); n < width {
		return s + strings.Repeat(" ", width-n)
	}
	return s
}

// Truncate cuts s to at most n characters, marking the cut with an ellipsis.
func Truncate(s string, n int) string {
	if n <= 0 || utf8.RuneCountInString(s) <= n {
		return s
	}
	runes := []rune(s)
	return string(runes[:max(n-1, 0)]) + "…"
}

// sanitize drops control characters (other than newlines and tabs) so that text from the model
// cannot move the cursor or recolor the terminal.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || !unicode.IsControl(r) {
			return r
		}
		return -1
	}, s)
}
