// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"k8s.io/apimachinery/pkg/util/duration"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// TableOptions shape the `kubectl claude get` table.
type TableOptions struct {
	// AllNamespaces adds a NAMESPACE column.
	AllNamespaces bool
	// Wide adds the columns `kubectl get csession -o wide` adds: REMOTE ID and LAST MESSAGE.
	Wide bool
	// Now is the reference for AGE.
	Now time.Time
}

// none is how kubectl shows an empty cell.
const none = "<none>"

// PrintTable writes sessions with the columns of `kubectl get csession` plus TOKENS (input/output).
func PrintTable(w io.Writer, sessions []v1alpha1.Session, o TableOptions) error {
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	header := []string{"NAME", "AGENT", "PHASE", "STOP REASON", "COST", "TOKENS (IN/OUT)", "EVENTS"}
	if o.Wide {
		header = append(header, "REMOTE ID", "LAST MESSAGE")
	}
	header = append(header, "AGE")
	if o.AllNamespaces {
		header = append([]string{"NAMESPACE"}, header...)
	}
	writeRow(tw, header)
	for i := range sessions {
		writeRow(tw, row(&sessions[i], o))
	}
	return tw.Flush()
}

// row is one session's cells.
func row(s *v1alpha1.Session, o TableOptions) []string {
	st := &s.Status
	cost, tokens := none, none
	if u := st.Usage; u != nil {
		cost = orNone(u.ListCostUSD)
		tokens = fmt.Sprintf("%d/%d", u.InputTokens, u.OutputTokens)
	}
	events := none
	if st.EventCount > 0 {
		events = strconv.FormatInt(st.EventCount, 10)
	}
	agent := none
	if s.Spec.AgentRef != nil {
		agent = s.Spec.AgentRef.Name
	}
	cells := []string{s.Name, agent, orNone(string(st.Phase)), orNone(st.StopReason), cost, tokens, events}
	if o.Wide {
		cells = append(cells, orNone(st.ID), orNone(oneLine(Truncate(st.LastAgentMessage, 60))))
	}
	cells = append(cells, duration.HumanDuration(o.Now.Sub(s.CreationTimestamp.Time)))
	if o.AllNamespaces {
		cells = append([]string{s.Namespace}, cells...)
	}
	return cells
}

func orNone(s string) string {
	if s == "" {
		return none
	}
	return s
}

func writeRow(w io.Writer, cells []string) {
	for i, c := range cells {
		if i > 0 {
			_, _ = io.WriteString(w, "\t")
		}
		_, _ = io.WriteString(w, c)
	}
	_, _ = io.WriteString(w, "\n")
}
