// SPDX-License-Identifier: Apache-2.0

// Package schedule parses the cron schedules of AgentDeployments the way the Managed Agents API
// accepts them: a 5-field POSIX cron expression (minute hour day-of-month month day-of-week, with
// day-of-week 0-7 where 0 and 7 both mean Sunday) evaluated in an IANA time zone. Extended syntax
// (seconds or year fields, L, W, #, ?) and shortcuts such as @daily are refused, as the API refuses
// them. The controller uses it to check what CEL cannot, and the simulator to fire runs.
package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // the image may have no zoneinfo: every zone the API knows is known here too

	"github.com/robfig/cron/v3"
)

// Field names the part of a schedule an error is about.
type Field string

const (
	// FieldExpression is the cron expression.
	FieldExpression Field = "expression"
	// FieldTimeZone is the IANA time zone.
	FieldTimeZone Field = "timezone"
)

// Error says which part of a schedule is invalid and why.
type Error struct {
	Field   Field
	Message string
}

func (e *Error) Error() string { return string(e.Field) + ": " + e.Message }

// Schedule is a parsed cron expression in its time zone.
type Schedule struct {
	spec cron.Schedule
	loc  *time.Location
}

// parser accepts exactly the five standard fields: no seconds, no descriptors.
var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

// Parse checks an expression and a time zone. An empty zone is an error: the API requires one.
func Parse(expression, timeZone string) (*Schedule, error) {
	loc, err := LoadZone(timeZone)
	if err != nil {
		return nil, err
	}
	fields := strings.Fields(expression)
	if len(fields) != 5 {
		return nil, &Error{FieldExpression, fmt.Sprintf("%q must have 5 fields (minute hour day-of-month month day-of-week), found %d", expression, len(fields))}
	}
	if i := strings.IndexAny(expression, "?LW#@"); i >= 0 {
		return nil, &Error{FieldExpression, fmt.Sprintf("%q uses %q: extended cron syntax (L, W, #, ?) and shortcuts such as @daily are not supported", expression, expression[i])}
	}
	dow, err := sundayAsZero(fields[4])
	if err != nil {
		return nil, err
	}
	fields[4] = dow
	spec, perr := parser.Parse(strings.Join(fields, " "))
	if perr != nil {
		return nil, &Error{FieldExpression, fmt.Sprintf("%q: %v", expression, perr)}
	}
	return &Schedule{spec: spec, loc: loc}, nil
}

// LoadZone loads an IANA time zone such as "Europe/Berlin" or "UTC". "Local" and "" are refused:
// the zone must mean the same on every machine.
func LoadZone(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, &Error{FieldTimeZone, fmt.Sprintf("%q is not an IANA time zone such as \"UTC\" or \"Europe/Berlin\"", name)}
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, &Error{FieldTimeZone, fmt.Sprintf("unknown time zone %q", name)}
	}
	return loc, nil
}

// Next returns the first time after t (in UTC) at which the schedule fires.
func (s *Schedule) Next(t time.Time) time.Time {
	return s.spec.Next(t.In(s.loc)).UTC()
}

// Last returns the latest time in (after, until] at which the schedule fires, or the zero time when
// it fires at none. It looks at most limit occurrences past after, so that a long gap costs a
// bounded amount of work; a gap with more occurrences than that answers with the last one it saw.
func (s *Schedule) Last(after, until time.Time, limit int) time.Time {
	var last time.Time
	for t := s.Next(after); !t.After(until) && limit > 0; t, limit = s.Next(t), limit-1 {
		last = t
	}
	return last
}

// sundayAsZero rewrites a day-of-week field so that 7 (Sunday, as POSIX cron allows) reads as 0,
// which the cron library requires. A field without the number 7 is returned unchanged.
func sundayAsZero(field string) (string, error) {
	if !strings.Contains(field, "7") {
		return field, nil
	}
	seen := [7]bool{}
	for _, part := range strings.Split(field, ",") {
		lo, hi, step, err := dowRange(part)
		if err != nil {
			return "", err
		}
		for d := lo; d <= hi; d += step {
			seen[d%7] = true
		}
	}
	var days []string
	for d, ok := range seen {
		if ok {
			days = append(days, strconv.Itoa(d))
		}
	}
	return strings.Join(days, ","), nil
}

// dowRange reads one numeric part of a day-of-week field: n, a-b, */s, a-b/s or a/s.
func dowRange(part string) (lo, hi, step int, err error) {
	bad := func() (int, int, int, error) {
		return 0, 0, 0, &Error{FieldExpression, fmt.Sprintf("day-of-week %q must be numbers 0-7, ranges and steps", part)}
	}
	rng, stepText, hasStep := strings.Cut(part, "/")
	step = 1
	if hasStep {
		if step, err = strconv.Atoi(stepText); err != nil || step < 1 {
			return bad()
		}
	}
	lo, hi = 0, 7
	if rng != "*" {
		a, b, isRange := strings.Cut(rng, "-")
		if lo, err = strconv.Atoi(a); err != nil {
			return bad()
		}
		switch {
		case isRange:
			if hi, err = strconv.Atoi(b); err != nil {
				return bad()
			}
		case !hasStep:
			hi = lo
		}
	}
	if lo < 0 || hi > 7 || lo > hi {
		return bad()
	}
	return lo, hi, step, nil
}
