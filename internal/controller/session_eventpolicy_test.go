// SPDX-License-Identifier: Apache-2.0

package controller_test

import (
	"fmt"
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// TestSessionEventPolicyChangesWhatIsWrittenNeverWhatIsCounted runs the same turn, with a manager
// restart in the middle, under each Event policy against the real API server. The policy decides
// which remote events get a Kubernetes Event; status counts every event of the remote history
// whatever the policy, no Event is written twice, and the restart loses none that the policy keeps.
func TestSessionEventPolicyChangesWhatIsWrittenNeverWhatIsCounted(t *testing.T) {
	written := map[v1alpha1.EventPolicy]map[string]bool{
		v1alpha1.EventPolicyAll: {"user.message": true, "agent.message": true, "agent.tool_use": true, "agent.tool_result": true,
			"session.status_running": true, "session.status_idle": true},
		v1alpha1.EventPolicyMessages: {"user.message": true, "agent.message": true, "session.status_idle": true},
		v1alpha1.EventPolicyNone:     {},
	}
	f := newSessionFixture(t)
	for _, policy := range []v1alpha1.EventPolicy{v1alpha1.EventPolicyMessages, v1alpha1.EventPolicyNone, v1alpha1.EventPolicyAll} {
		sess := f.newSession("policy-"+strings.ToLower(string(policy)), "[[tool:grep]] [[long:40]]")
		sess.Spec.EventPolicy = policy
		create(t, sess)
		key := client.ObjectKeyFromObject(sess)
		waitSession(t, key, "mid-turn", func(s *v1alpha1.Session) bool { return s.Status.EventCount > 10 })
		restartManager(t)
		sess = waitSession(t, key, "Succeeded", phaseIs(v1alpha1.SessionSucceeded))
		history := remoteHistory(t, sess.Status.ID)
		if sess.Status.EventCount != int64(len(history)) {
			t.Errorf("%s: eventCount %d, remote history %d: the policy must never change what is counted", policy, sess.Status.EventCount, len(history))
		}
		if len(sess.Status.RecentEvents) == 0 {
			t.Errorf("%s: status.recentEvents is empty; it summarizes events whatever the policy", policy)
		}
		eventually(t, fmt.Sprintf("%s: exactly the Events the policy keeps", policy), func() (bool, string) {
			events := sessionEvents(t, sess)
			missing, extra := 0, 0
			for _, e := range history {
				n := len(events[e.ID])
				switch {
				case written[policy][e.Type] && n != 1:
					missing++
				case !written[policy][e.Type] && n != 0:
					extra++
				}
			}
			return missing == 0 && extra == 0, fmt.Sprintf("%d kept events without exactly one Event, %d Events the policy leaves out", missing, extra)
		})
	}
}
