// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// KindTable is the `kubectl claude get` table of one kind other than Session: the kind's own
// columns between NAME and AGE, then (with -o wide) the Ready condition's message.
type KindTable struct {
	Columns []string
	Rows    []KindRow
}

// KindRow is one object of a KindTable.
type KindRow struct {
	Meta  metav1.ObjectMeta
	Cells []string
	// Conditions give READY, and the MESSAGE of -o wide.
	Conditions []metav1.Condition
}

// Print writes the table with kubectl's conventions: NAMESPACE first with AllNamespaces, AGE last.
func (t KindTable) Print(w io.Writer, o TableOptions) error {
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	header := append(append([]string{"NAME", "READY"}, t.Columns...), "AGE")
	if o.Wide {
		header = append(header, "MESSAGE")
	}
	if o.AllNamespaces {
		header = append([]string{"NAMESPACE"}, header...)
	}
	writeRow(tw, header)
	for _, r := range t.Rows {
		ready, reason, message := "Unknown", "", ""
		if c := meta.FindStatusCondition(r.Conditions, v1alpha1.ConditionReady); c != nil {
			ready, reason, message = string(c.Status), c.Reason, c.Message
		}
		if ready != "True" && reason != "" {
			ready += " (" + reason + ")"
		}
		cells := append(append([]string{r.Meta.Name, ready}, r.Cells...), duration.HumanDuration(o.Now.Sub(r.Meta.CreationTimestamp.Time)))
		if o.Wide {
			cells = append(cells, orNone(oneLine(Truncate(message, 80))))
		}
		if o.AllNamespaces {
			cells = append([]string{r.Meta.Namespace}, cells...)
		}
		writeRow(tw, cells)
	}
	return tw.Flush()
}

// VaultTable lists Vaults: remote id, credentials in sync out of those in the spec, and how many
// OAuth credentials failed their last validation.
func VaultTable(items []v1alpha1.Vault, now time.Time) KindTable {
	t := KindTable{Columns: []string{"REMOTE ID", "CREDENTIALS", "INVALID", "LAST SYNC"}}
	for i := range items {
		v := &items[i]
		synced, invalid := 0, 0
		for _, c := range v.Status.Credentials {
			if c.ID != "" && c.Message == "" {
				synced++
			}
			if c.Validity == v1alpha1.CredentialInvalid {
				invalid++
			}
		}
		t.Rows = append(t.Rows, KindRow{Meta: v.ObjectMeta, Conditions: v.Status.Conditions, Cells: []string{
			orNone(v.Status.ID), fmt.Sprintf("%d/%d", synced, len(v.Spec.Credentials)), strconv.Itoa(invalid), orNone(elapsed(v.Status.LastSyncTime, now)),
		}})
	}
	return t
}

// SkillTable lists Skills: remote id and latest version.
func SkillTable(items []v1alpha1.Skill, now time.Time) KindTable {
	t := KindTable{Columns: []string{"SKILL ID", "LATEST VERSION", "LAST SYNC"}}
	for i := range items {
		s := &items[i]
		t.Rows = append(t.Rows, KindRow{Meta: s.ObjectMeta, Conditions: s.Status.Conditions, Cells: []string{
			orNone(s.Status.ID), orNone(s.Status.LatestVersion), orNone(elapsed(s.Status.LastSyncTime, now)),
		}})
	}
	return t
}

// MemoryStoreTable lists MemoryStores: remote id, memory count and size, as last counted.
func MemoryStoreTable(items []v1alpha1.MemoryStore) KindTable {
	t := KindTable{Columns: []string{"STORE ID", "MEMORIES", "SIZE"}}
	for i := range items {
		m := &items[i]
		t.Rows = append(t.Rows, KindRow{Meta: m.ObjectMeta, Conditions: m.Status.Conditions, Cells: []string{
			orNone(m.Status.ID), strconv.FormatInt(m.Status.Memories, 10), byteSize(m.Status.SizeBytes),
		}})
	}
	return t
}

// byteSize renders a size the way people read it: 512B, 12.3KiB, 4.0MiB.
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + "B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f%ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
