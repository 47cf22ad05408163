// SPDX-License-Identifier: Apache-2.0

package plugin_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/plugin"
)

// racingClient lets another writer append to spec.messages between the plugin's read and its
// patch, once: the race that the patch's test operation guards against.
type racingClient struct {
	client.Client
	once   sync.Once
	theirs string
	// patches counts the plugin's patch attempts.
	patches int
}

func (r *racingClient) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	var err error
	r.once.Do(func() {
		// The other writer retries its own conflicts: the operator writes status meanwhile.
		err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
			s := &v1alpha1.Session{}
			if err := r.Get(ctx, client.ObjectKeyFromObject(obj), s); err != nil {
				return err
			}
			s.Spec.Messages = append(s.Spec.Messages, r.theirs)
			return r.Update(ctx, s)
		})
	})
	if err != nil {
		return err
	}
	r.patches++
	return r.Client.Patch(ctx, obj, patch, opts...)
}

// TestSendNeverOverwritesAConcurrentAppend proves, against the real API server, that when another
// writer appends between the plugin's read and its patch, the patch's test fails, the plugin
// re-reads and appends after it: both messages land, whether the list was absent or not.
func TestSendNeverOverwritesAConcurrentAppend(t *testing.T) {
	name := startSession(t, "hello")
	waitPhase(t, name, v1alpha1.SessionSucceeded)
	key := types.NamespacedName{Namespace: teamNS, Name: name}
	ctx := context.Background()

	for i, what := range []string{"a send whose absent list was created under it", "a send whose list grew under it"} {
		racing := &racingClient{Client: k8s, theirs: fmt.Sprintf("theirs %d", i+1)}
		if _, err := plugin.Send(ctx, racing, key, fmt.Sprintf("mine %d", i+1)); err != nil {
			t.Fatalf("%s retries: %v", what, err)
		}
		if racing.patches != 2 {
			t.Errorf("%s is refused by the API server once (its test fails), then re-read and sent again: %d patches", what, racing.patches)
		}
	}
	got := session(t, name).Spec.Messages
	want := []string{"theirs 1", "mine 1", "theirs 2", "mine 2"}
	if len(got) != len(want) {
		t.Fatalf("every message landed once, in order: got %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("every message landed once, in order: got %q, want %q", got, want)
		}
	}
}
