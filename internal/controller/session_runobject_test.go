// SPDX-License-Identifier: Apache-2.0

package controller_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/sessionstatus"
	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

// The tests in this file each close a path where a Session was stuck, a billed remote session kept
// running after its Session was gone, or something was sent twice (issue 14). Each failed before its fix.

const streamEndpoint = "GET /v1/sessions/{id}/events/stream"

// TestSessionSurvivesOne404OnItsStream: a single 404 on the stream of a session that still exists
// is transient. Before, it marked the stream finished for good and the Session stayed Running.
func TestSessionSurvivesOne404OnItsStream(t *testing.T) {
	f := newSessionFixture(t)
	id, err := sim.AddFault(simulator.Fault{Kind: simulator.FaultError, Endpoint: streamEndpoint, Status: 404, Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.RemoveFault(id) })
	sess := f.newSession("stream-404", "[[slow:2s]] hello")
	create(t, sess)
	sess = waitSession(t, client.ObjectKeyFromObject(sess), "Succeeded despite one 404 on the stream", phaseIs(v1alpha1.SessionSucceeded))
	if history := remoteHistory(t, sess.Status.ID); sess.Status.EventCount != int64(len(history)) {
		t.Errorf("eventCount %d, remote history %d", sess.Status.EventCount, len(history))
	}
}

// TestSessionRemoteDeletedWhileManagerDown: a remote session deleted while no manager ran is gone
// (404 on the session itself): the Session ends Terminated with reason RemoteGone, through the
// finish path, instead of following nothing forever.
func TestSessionRemoteDeletedWhileManagerDown(t *testing.T) {
	ctx := testContext(t, 2*time.Minute)
	f := newSessionFixture(t)
	sess := f.newSession("vanished", "hello")
	sess.Spec.CompletionPolicy = v1alpha1.CompletionNever
	create(t, sess)
	key := client.ObjectKeyFromObject(sess)
	sess = waitSession(t, key, "Idle", func(s *v1alpha1.Session) bool {
		return s.Status.Phase == v1alpha1.SessionIdle && meta.IsStatusConditionTrue(s.Status.Conditions, v1alpha1.ConditionTurnComplete)
	})
	stopManager()
	if _, err := sdk().Beta.Sessions.Delete(ctx, sess.Status.ID, anthropic.BetaSessionDeleteParams{}); err != nil {
		t.Fatal(err)
	}
	if err := startManager(); err != nil {
		t.Fatal(err)
	}
	sess = waitSession(t, key, "Terminated/RemoteGone", func(s *v1alpha1.Session) bool {
		return s.Status.Phase == v1alpha1.SessionTerminated &&
			readyConditionOf(s, v1alpha1.ConditionTurnComplete) == "True/"+sessionstatus.TurnRemoteGone &&
			meta.IsStatusConditionTrue(s.Status.Conditions, v1alpha1.ConditionFinished) && s.Status.CompletionTime != nil
	})
	waitEvent(t, sess, string(v1alpha1.SessionTerminated))
}

// TestSessionDeletedBeforeItsLaunchReportedBack: a create committed by the API whose response was
// lost leaves status.id empty. Deleting the Session then must still find the remote session by UID
// and release it. Before, the finalizer went with an empty id and the remote session stayed live.
func TestSessionDeletedBeforeItsLaunchReportedBack(t *testing.T) {
	ctx := testContext(t, time.Minute)
	f := newSessionFixture(t)
	// The create lands but its answer is lost, and the launch's search by UID keeps failing, so the
	// Session never learns its remote id.
	sim.LoseNextResponse("POST /v1/sessions")
	listFault, err := sim.AddFault(simulator.Fault{Kind: simulator.FaultError, Endpoint: "GET /v1/sessions", Status: 503})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.RemoveFault(listFault)
	sess := f.newSession("deleted-mid-launch", "[[slow:60s]] a long task")
	sess.Spec.DeletionPolicy = v1alpha1.SessionDeletionDelete
	create(t, sess)
	var remoteID string
	eventually(t, "the remote session to exist", func() (bool, string) {
		remoteID = remoteWithUID(string(sess.UID))
		return remoteID != "", "no remote session carries the UID yet"
	})
	if err := k8s.Delete(ctx, sess); err != nil {
		t.Fatal(err)
	}
	sim.RemoveFault(listFault)
	eventually(t, "the Session to be gone", func() (bool, string) {
		err := k8s.Get(ctx, client.ObjectKeyFromObject(sess), &v1alpha1.Session{})
		return client.IgnoreNotFound(err) == nil && err != nil, fmt.Sprint(err)
	})
	if info, ok := sim.Session(remoteID); ok {
		t.Errorf("the remote session of the deleted Session is still there: status %s, archived %v", info.Status, info.Archived)
	}
}

// TestSessionKeyRotatedMidStream: a stream that gets 401 after its key was revoked picks up the
// rotated key from the Secret, and says Synced=False/Unauthorized while it cannot connect. Before,
// the stream kept the client of the old key and got 401 forever.
func TestSessionKeyRotatedMidStream(t *testing.T) {
	ctx := testContext(t, 2*time.Minute)
	f := newSessionFixture(t)
	sim.AcceptKey("rotating-old")
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "rotating"}, Data: map[string][]byte{"api-key": []byte("rotating-old")}}
	create(t, secret)
	sess := f.newSession("rotated", "[[slow:8s]] work")
	sess.Spec.APIKeySecretRef = &v1alpha1.SecretKeyReference{Name: "rotating"}
	create(t, sess)
	key := client.ObjectKeyFromObject(sess)
	sess = waitSession(t, key, "Running", func(s *v1alpha1.Session) bool {
		return s.Status.Phase == v1alpha1.SessionRunning && s.Status.EventCount > 1
	})

	sim.RevokeKey("rotating-old")
	sim.CloseStreams(sess.Status.ID) // the stream reconnects, with the revoked key
	waitSession(t, key, "Synced=False/Unauthorized", func(s *v1alpha1.Session) bool {
		return conditionIs(s.Status.Conditions, v1alpha1.ConditionSynced, metav1.ConditionFalse, "Unauthorized")
	})
	sim.AcceptKey("rotating-new")
	secret.Data["api-key"] = []byte("rotating-new")
	if err := k8s.Update(ctx, secret); err != nil {
		t.Fatal(err)
	}
	waitSession(t, key, "Succeeded with the new key, Synced again", func(s *v1alpha1.Session) bool {
		return s.Status.Phase == v1alpha1.SessionSucceeded && meta.IsStatusConditionTrue(s.Status.Conditions, v1alpha1.ConditionSynced)
	})
}

// TestSessionRejectedTitleNeverBlocksSteering: the API refusing a title update shows in
// RemoteFieldsSynced, and the message appended in the same edit is still sent and answered. The
// refused update is not repeated on every reconcile. Before, the failure returned early on every
// reconcile, so nothing else (messages, interrupts, timeout, phase) happened.
func TestSessionRejectedTitleNeverBlocksSteering(t *testing.T) {
	ctx := testContext(t, time.Minute)
	f := newSessionFixture(t)
	sess := f.newSession("stubborn-title", "hello")
	sess.Spec.CompletionPolicy = v1alpha1.CompletionNever
	create(t, sess)
	key := client.ObjectKeyFromObject(sess)
	sess = waitSession(t, key, "the first turn's end", func(s *v1alpha1.Session) bool {
		return s.Status.Phase == v1alpha1.SessionIdle && meta.IsStatusConditionTrue(s.Status.Conditions, v1alpha1.ConditionTurnComplete)
	})
	fault, err := sim.AddFault(simulator.Fault{Kind: simulator.FaultError, Endpoint: "POST /v1/sessions/{id}", Status: 400})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.RemoveFault(fault)
	sess.Spec.Title = "a title the API refuses"
	sess.Spec.Messages = []string{"and now this"}
	if err := k8s.Update(ctx, sess); err != nil {
		t.Fatal(err)
	}
	waitSession(t, key, "the message answered while the title is refused", func(s *v1alpha1.Session) bool {
		return s.Status.MessagesSent == 1 && s.Status.Phase == v1alpha1.SessionIdle &&
			meta.IsStatusConditionTrue(s.Status.Conditions, v1alpha1.ConditionTurnComplete) &&
			conditionIs(s.Status.Conditions, v1alpha1.ConditionRemoteFieldsSynced, metav1.ConditionFalse, "RemoteFieldsRejected")
	})
	before := sim.Stats()["POST /v1/sessions/{id}"]
	time.Sleep(3 * time.Second)
	if after := sim.Stats()["POST /v1/sessions/{id}"]; after != before {
		t.Errorf("the refused update was sent %d more times in 3 s; it waits for the next spec change or resync", after-before)
	}
}

// TestFailedLaunchIsFinal: a launch the API refuses ends the Session Failed, through the finish path
// (Finished, CompletionTime, the Failed Event), and no later event relaunches it. Before, a Secret
// change relaunched it, since launch ran whenever status.id was empty.
func TestFailedLaunchIsFinal(t *testing.T) {
	ctx := testContext(t, time.Minute)
	f := newSessionFixture(t)
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "key"}, Data: map[string][]byte{"api-key": []byte(simulatorKey)}}
	create(t, secret)
	fault, err := sim.AddFault(simulator.Fault{Kind: simulator.FaultError, Endpoint: "POST /v1/sessions", Status: 400, Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.RemoveFault(fault)
	sess := f.newSession("refused", "hello")
	sess.Spec.APIKeySecretRef = &v1alpha1.SecretKeyReference{Name: "key"}
	create(t, sess)
	key := client.ObjectKeyFromObject(sess)
	sess = waitSession(t, key, "Failed/LaunchFailed through the finish path", func(s *v1alpha1.Session) bool {
		return s.Status.Phase == v1alpha1.SessionFailed && s.Status.CompletionTime != nil &&
			readyConditionOf(s, v1alpha1.ConditionTurnComplete) == "True/"+sessionstatus.TurnLaunchFailed
	})
	waitEvent(t, sess, string(v1alpha1.SessionFailed))
	creates := sim.Stats()["POST /v1/sessions"]
	secret.Annotations = map[string]string{"rotated": "yes"}
	secret.Data["api-key"] = []byte(simulatorKey)
	if err := k8s.Update(ctx, secret); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	sess = waitSession(t, key, "still Failed", phaseIs(v1alpha1.SessionFailed))
	if n := sim.Stats()["POST /v1/sessions"] - creates; n != 0 || sess.Status.ID != "" {
		t.Errorf("a Secret change relaunched the Failed Session: %d creates, id %q", n, sess.Status.ID)
	}
}

// TestSessionLaunchWaitsForTheAgentsCurrentGeneration: a Session created right after its Agent was
// edited runs the new agent version. Before, it launched against the Agent's Ready status of the
// previous generation, one version behind.
func TestSessionLaunchWaitsForTheAgentsCurrentGeneration(t *testing.T) {
	ctx := testContext(t, time.Minute)
	f := newSessionFixture(t)
	slow, err := sim.AddFault(simulator.Fault{Kind: simulator.FaultLatency, Endpoint: "POST /v1/agents/{id}", Latency: 3 * time.Second, Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.RemoveFault(slow)
	agent := f.agent.DeepCopy()
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(agent), agent); err != nil {
		t.Fatal(err)
	}
	agent.Spec.System = "You answer in haiku."
	if err := k8s.Update(ctx, agent); err != nil {
		t.Fatal(err)
	}
	sess := f.newSession("fresh-version", "hello")
	create(t, sess)
	sess = waitSession(t, client.ObjectKeyFromObject(sess), "launched", func(s *v1alpha1.Session) bool { return s.Status.ID != "" })
	if sess.Status.AgentVersion != f.agent.Status.Version+1 {
		t.Errorf("the Session runs agent version %d, want %d (the version of the Agent's newest spec)", sess.Status.AgentVersion, f.agent.Status.Version+1)
	}
}

// TestInterruptAfterALostResponseIsSentOnce: an interrupt the API committed but whose response was
// lost is found in the remote history and not sent again. Before, it was sent again.
func TestInterruptAfterALostResponseIsSentOnce(t *testing.T) {
	ctx := testContext(t, time.Minute)
	f := newSessionFixture(t)
	sess := f.newSession("interrupt-lost", "[[slow:60s]]")
	create(t, sess)
	key := client.ObjectKeyFromObject(sess)
	sess = waitSession(t, key, "Running", func(s *v1alpha1.Session) bool {
		return s.Status.Phase == v1alpha1.SessionRunning && s.Status.EventCount > 1
	})
	sim.LoseNextResponse("POST /v1/sessions/{id}/events")
	sess.Spec.InterruptRequest = "stop-once"
	if err := k8s.Update(ctx, sess); err != nil {
		t.Fatal(err)
	}
	sess = waitSession(t, key, "the interrupt recorded", func(s *v1alpha1.Session) bool {
		return s.Status.InterruptRequest == "stop-once" && s.Status.Phase == v1alpha1.SessionIdle
	})
	time.Sleep(2 * time.Second)
	if n := countType(remoteHistory(t, sess.Status.ID), "user.interrupt"); n != 1 {
		t.Errorf("%d interrupts in the remote history, want exactly 1", n)
	}
}

// remoteWithUID returns the id of the remote session carrying a Kubernetes UID, or "".
func remoteWithUID(uid string) string {
	for _, info := range sim.Sessions() {
		if info.Metadata[v1alpha1.MetadataKeyUID] == uid {
			return info.ID
		}
	}
	return ""
}
