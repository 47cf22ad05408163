// SPDX-License-Identifier: Apache-2.0

package sandbox_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// sessionWarnings returns the reasons and messages of the Warning Events about a Session.
func sessionWarnings(t *testing.T, sess *v1alpha1.Session) []string {
	t.Helper()
	var list corev1.EventList
	if err := k8s.List(context.Background(), &list, client.InNamespace(sess.Namespace)); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range list.Items {
		if e.InvolvedObject.Kind == "Session" && e.InvolvedObject.Name == sess.Name && e.Type == corev1.EventTypeWarning {
			out = append(out, e.Reason+": "+e.Message)
		}
	}
	return out
}

// waitWarning waits for a Warning Event about sess whose reason is reason.
func waitWarning(t *testing.T, sess *v1alpha1.Session, reason string) string {
	t.Helper()
	var found string
	eventually(t, 60*time.Second, "a Warning Event "+reason+" about "+sess.Name, func() (bool, string) {
		all := sessionWarnings(t, sess)
		for _, w := range all {
			if strings.HasPrefix(w, reason+": ") {
				found = w
				return true, ""
			}
		}
		return false, fmt.Sprint(all)
	})
	return found
}

// conditionLog records every state of a Session's SandboxHealthy condition, polled often enough
// to see a failure that a replacement sandbox clears a second later.
type conditionLog struct {
	mu     sync.Mutex
	seen   []string // "Status/Reason: Message", each change once
	cancel context.CancelFunc
	done   chan struct{}
}

func logSandboxCondition(t *testing.T, sess *v1alpha1.Session) *conditionLog {
	ctx, cancel := context.WithCancel(context.Background())
	cl := &conditionLog{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(cl.done)
		for ctx.Err() == nil {
			s := &v1alpha1.Session{}
			if err := k8s.Get(ctx, client.ObjectKeyFromObject(sess), s); err == nil {
				if c := meta.FindStatusCondition(s.Status.Conditions, v1alpha1.ConditionSandboxHealthy); c != nil {
					cl.add(fmt.Sprintf("%s/%s: %s", c.Status, c.Reason, c.Message))
				}
			}
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-cl.done })
	return cl
}

func (cl *conditionLog) add(s string) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if n := len(cl.seen); n == 0 || cl.seen[n-1] != s {
		cl.seen = append(cl.seen, s)
	}
}

// sawFalse reports whether the condition was False with reason.
func (cl *conditionLog) sawFalse(reason string) bool {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	for _, s := range cl.seen {
		if strings.HasPrefix(s, "False/"+reason+":") {
			return true
		}
	}
	return false
}

func (cl *conditionLog) String() string {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return strings.Join(cl.seen, " | ")
}
