// SPDX-License-Identifier: Apache-2.0

package schedule

import (
	"errors"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	cases := []struct {
		name, expr, zone string
		field            Field // "" when valid
	}{
		{name: "every minute is the simplest valid schedule", expr: "* * * * *", zone: "UTC"},
		{name: "weekdays at nine, the API's own example", expr: "0 9 * * 1-5", zone: "America/Los_Angeles"},
		{name: "7 is Sunday in POSIX cron and the API accepts it", expr: "0 0 * * 7", zone: "UTC"},
		{name: "a range ending on 7 reaches Sunday", expr: "0 0 * * 5-7", zone: "UTC"},
		{name: "six fields (seconds) are extended syntax", expr: "0 * * * * *", zone: "UTC", field: FieldExpression},
		{name: "four fields are too few", expr: "* * * *", zone: "UTC", field: FieldExpression},
		{name: "descriptors are refused by the API", expr: "@daily", zone: "UTC", field: FieldExpression},
		{name: "L is extended syntax", expr: "0 0 L * *", zone: "UTC", field: FieldExpression},
		{name: "? is extended syntax", expr: "0 0 ? * 1", zone: "UTC", field: FieldExpression},
		{name: "minute 60 is out of range", expr: "60 * * * *", zone: "UTC", field: FieldExpression},
		{name: "day-of-week 8 is out of range", expr: "0 0 * * 8", zone: "UTC", field: FieldExpression},
		{name: "an unknown zone is refused by name", expr: "* * * * *", zone: "Mars/Olympus_Mons", field: FieldTimeZone},
		{name: "Local means a different zone on every machine", expr: "* * * * *", zone: "Local", field: FieldTimeZone},
		{name: "the zone is required", expr: "* * * * *", zone: "", field: FieldTimeZone},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.expr, tc.zone)
			var serr *Error
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("Parse(%q, %q) = %v, want valid", tc.expr, tc.zone, err)
			case tc.field != "" && (!errors.As(err, &serr) || serr.Field != tc.field):
				t.Fatalf("Parse(%q, %q) = %v, want an error about %s", tc.expr, tc.zone, err, tc.field)
			}
		})
	}
}

func TestNextHonorsTheTimeZone(t *testing.T) {
	s, err := Parse("0 9 * * *", "Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	// 2026-01-15 is in winter: Berlin is UTC+1, so 09:00 there is 08:00 UTC.
	got := s.Next(time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC))
	if want := time.Date(2026, 1, 15, 8, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("Next = %v, want %v", got, want)
	}
}

func TestSundayAsSevenFires(t *testing.T) {
	s, err := Parse("30 6 * * 7", "UTC")
	if err != nil {
		t.Fatal(err)
	}
	// 2026-03-02 is a Monday; the next Sunday is 2026-03-08.
	got := s.Next(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC))
	if want := time.Date(2026, 3, 8, 6, 30, 0, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("Next = %v, want %v", got, want)
	}
}

func TestLast(t *testing.T) {
	s, err := Parse("* * * * *", "UTC")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 30, 0, time.UTC)
	cases := []struct {
		name  string
		until time.Time
		want  time.Time
	}{
		{name: "no occurrence in a gap shorter than the period", until: t0.Add(20 * time.Second), want: time.Time{}},
		{name: "one occurrence", until: t0.Add(40 * time.Second), want: time.Date(2026, 1, 1, 0, 1, 0, 0, time.UTC)},
		{name: "the latest of several", until: t0.Add(5 * time.Minute), want: time.Date(2026, 1, 1, 0, 5, 0, 0, time.UTC)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.Last(t0, tc.until, 100); !got.Equal(tc.want) {
				t.Fatalf("Last = %v, want %v", got, tc.want)
			}
		})
	}
}
