// SPDX-License-Identifier: Apache-2.0

package sessionstatus

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
)

// eventTable is the user-facing table of every event type and what the operator does with it.
const eventTable = "../../docs/events.md"

// sdkEventTypes lists the event types the SDK defines: the type constant of every variant of the
// session, stream and thread event unions, read by reflection so a new SDK version's new types
// show up here without anyone listing them.
func sdkEventTypes(t *testing.T) []string {
	t.Helper()
	seen := map[string]bool{}
	for _, union := range []any{anthropic.BetaManagedAgentsSessionEventUnion{}, anthropic.BetaManagedAgentsStreamSessionEventsUnion{},
		anthropic.BetaManagedAgentsStreamSessionThreadEventsUnion{}} {
		rt := reflect.TypeOf(union)
		for i := range rt.NumMethod() {
			m := rt.Method(i)
			if !strings.HasPrefix(m.Name, "As") || m.Name == "AsAny" || m.Type.NumOut() != 1 {
				continue
			}
			field, ok := m.Type.Out(0).FieldByName("Type")
			if !ok {
				t.Fatalf("%s.%s returns a variant without a Type field", rt.Name(), m.Name)
			}
			def := reflect.New(field.Type).Elem().MethodByName("Default")
			if !def.IsValid() {
				t.Fatalf("%s.%s: the variant's Type has no constant default", rt.Name(), m.Name)
			}
			seen[def.Call(nil)[0].String()] = true
		}
	}
	types := make([]string, 0, len(seen))
	for typ := range seen {
		types = append(types, typ)
	}
	slices.Sort(types)
	if len(types) < 40 {
		t.Fatalf("found only %d SDK event types; the reflection no longer sees the unions' variants", len(types))
	}
	return types
}

// tableRow is one row of the event table.
type tableRow struct {
	typ        string
	status     []string // status paths, e.g. status.threads; empty when the fold ignores the event
	conditions []string
	reason     string // Kubernetes Event reason; empty for none
	warning    bool   // the Event column says (Warning) unconditionally
}

func readEventTable(t *testing.T) map[string]tableRow {
	t.Helper()
	data, err := os.ReadFile(eventTable)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]tableRow{}
	for line := range strings.SplitSeq(string(data), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 6 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		row := tableRow{typ: strings.Trim(strings.TrimSpace(cells[1]), "`"), status: codeSpans(cells[2]), conditions: codeSpans(cells[3])}
		if r := codeSpans(cells[4]); len(r) > 0 {
			row.reason = r[0]
		}
		row.warning = strings.Contains(cells[4], "*(Warning)*")
		if _, dup := rows[row.typ]; dup {
			t.Errorf("%s: listed twice in %s", row.typ, eventTable)
		}
		rows[row.typ] = row
	}
	return rows
}

// codeSpans returns the `quoted` words of a table cell.
func codeSpans(cell string) []string {
	var out []string
	parts := strings.Split(cell, "`")
	for i := 1; i < len(parts); i += 2 {
		out = append(out, parts[i])
	}
	return out
}

// TestEventTableCoversTheSDK fails when the SDK defines an event type that docs/events.md does not
// list, or the table lists one the SDK does not define: a new SDK version must be read and decided on.
func TestEventTableCoversTheSDK(t *testing.T) {
	rows := readEventTable(t)
	sdk := sdkEventTypes(t)
	for _, typ := range sdk {
		if _, ok := rows[typ]; !ok {
			t.Errorf("the SDK defines %s, which %s does not list: decide what the operator does with it and add a row", typ, eventTable)
		}
	}
	for typ := range rows {
		if !slices.Contains(sdk, typ) {
			t.Errorf("%s lists %s, which the SDK does not define", eventTable, typ)
		}
	}
}

// TestEventTableMatchesTheFold proves each row: folding the row's example event into a history
// changes the status fields and conditions the row names, writes the Event reason it names, and,
// for rows that say the event is ignored, changes nothing else.
func TestEventTableMatchesTheFold(t *testing.T) {
	for typ, row := range readEventTable(t) {
		ex, ok := tableExamples[typ]
		if !ok {
			t.Errorf("%s: no example event in tableExamples", typ)
			continue
		}
		t.Run(typ, func(t *testing.T) {
			ev := decodeOne(t, ex.event)
			if ev.Type != typ {
				t.Fatalf("the example is a %s event", ev.Type)
			}
			sum := sessionevents.Summarize(&ev)
			if sum.Reason != row.reason || (row.warning && !sum.Warning) {
				t.Errorf("Event reason %q (warning %v), the table says %q (warning %v)", sum.Reason, sum.Warning, row.reason, row.warning)
			}
			without := tableStatus(t, ex.before, ex.after)
			with := tableStatus(t, append(append(slices.Clone(ex.before), ex.event), ex.after...), nil)
			if len(row.status) == 0 && len(row.conditions) == 0 {
				if diff := ignoredDiff(without, with); diff != "" {
					t.Errorf("the table says the fold ignores it, but it changed %s", diff)
				}
				return
			}
			for _, path := range row.status {
				if reflect.DeepEqual(without.at(path), with.at(path)) {
					t.Errorf("the table says it changes %s, which stayed %v", path, with.at(path))
				}
			}
			for _, cond := range row.conditions {
				if without.conditions[cond] == with.conditions[cond] {
					t.Errorf("the table says it changes condition %s, which stayed %q", cond, with.conditions[cond])
				}
			}
		})
	}
}

// folded is a status built the way the controller builds it, as JSON, with the conditions this
// package decides.
type folded struct {
	status     map[string]any
	conditions map[string]string
}

func (f folded) at(path string) any {
	var v any = f.status
	for _, key := range strings.Split(strings.TrimPrefix(path, "status."), ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[key]
	}
	return v
}

func tableStatus(t *testing.T, before, after []string) folded {
	t.Helper()
	var st sessionevents.State
	for _, raw := range append(slices.Clone(before), after...) {
		ev := decodeOne(t, raw)
		st.Apply(&ev)
	}
	sess := &v1alpha1.Session{}
	sess.Status.ID = "sesn_table"
	Apply(&sess.Status, &st)
	res := Decide(sess, Inputs{State: &st})
	sess.Status.Phase = res.Phase
	conds := map[string]string{
		v1alpha1.ConditionTurnComplete:   fmt.Sprintf("%v/%s", res.TurnComplete, res.Reason),
		v1alpha1.ConditionActionRequired: fmt.Sprint(res.Phase == v1alpha1.SessionRequiresAction),
	}
	if c := OutcomeCondition(sess, sess.Status.Outcome); c != nil {
		conds[v1alpha1.ConditionOutcomeMet] = string(c.Status) + "/" + c.Reason
	}
	if c := BudgetCondition(sess.Status.Usage); c != nil {
		conds[v1alpha1.ConditionBudgetNearlyUsed] = string(c.Status) + "/" + c.Reason
	}
	b, err := json.Marshal(sess.Status)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return folded{status: m, conditions: conds}
}

// ignoredDiff names what differs besides the event count, cursor and recent events.
func ignoredDiff(a, b folded) string {
	var diff []string
	for _, k := range []string{"eventCount", "lastEventID", "recentEvents"} {
		delete(a.status, k)
		delete(b.status, k)
	}
	for k := range b.status {
		if !reflect.DeepEqual(a.status[k], b.status[k]) {
			diff = append(diff, "status."+k)
		}
	}
	for k := range a.status {
		if _, ok := b.status[k]; !ok {
			diff = append(diff, "status."+k)
		}
	}
	if !reflect.DeepEqual(a.conditions, b.conditions) {
		diff = append(diff, fmt.Sprintf("conditions %v -> %v", a.conditions, b.conditions))
	}
	return strings.Join(diff, ", ")
}

func decodeOne(t *testing.T, raw string) sessionevents.Event {
	t.Helper()
	ev, err := sessionevents.Decode([]byte(raw))
	if err != nil {
		t.Fatalf("decoding %s: %v", raw, err)
	}
	return ev
}
