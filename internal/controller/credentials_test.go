// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/scheme"
)

var (
	teamKey    = types.NamespacedName{Namespace: "team", Name: "team-key"}
	defaultKey = types.NamespacedName{Namespace: "operator", Name: "anthropic"}
	teamRef    = &v1alpha1.SecretKeyReference{Name: teamKey.Name}
)

func keySecret(key types.NamespacedName, value string) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}, Data: map[string][]byte{"api-key": []byte(value)}}
}

// agentUsing is an Agent that references the Secret (nil: the default) and holds the finalizer.
func agentUsing(name string, ref *v1alpha1.SecretKeyReference) *v1alpha1.Agent {
	return &v1alpha1.Agent{ObjectMeta: metav1.ObjectMeta{Namespace: teamKey.Namespace, Name: name, UID: types.UID("uid-" + name),
		Finalizers: []string{Finalizer}}, Spec: v1alpha1.AgentSpec{APIKeySecretRef: ref}}
}

// newTestCredentials is a Credentials over a fake client holding objs, with the field indexes the
// manager registers.
func newTestCredentials(t *testing.T, objs ...client.Object) (*Credentials, client.Client) {
	t.Helper()
	c := fake.NewClientBuilder().WithScheme(scheme.New()).WithObjects(objs...).
		WithIndex(&v1alpha1.Agent{}, indexAPIKeySecret, func(o client.Object) []string { return apiKeySecretIndex(o.(*v1alpha1.Agent).Spec.APIKeySecretRef) }).
		WithIndex(&v1alpha1.Environment{}, indexAPIKeySecret, func(o client.Object) []string {
			return apiKeySecretIndex(o.(*v1alpha1.Environment).Spec.APIKeySecretRef)
		}).
		WithIndex(&v1alpha1.Session{}, indexAPIKeySecret, func(o client.Object) []string { return apiKeySecretIndex(o.(*v1alpha1.Session).Spec.APIKeySecretRef) }).
		Build()
	return &Credentials{Reader: c, Metadata: c, Lister: c, Default: defaultKey, Users: []func() client.ObjectList{
		func() client.ObjectList { return &v1alpha1.AgentList{} },
		func() client.ObjectList { return &v1alpha1.EnvironmentList{} },
		func() client.ObjectList { return &v1alpha1.SessionList{} },
	}}, c
}

func mustKey(t *testing.T, c *Credentials, ref *v1alpha1.SecretKeyReference, want string) {
	t.Helper()
	if got, err := c.APIKey(context.Background(), teamKey.Namespace, ref); err != nil || got != want {
		t.Fatalf("APIKey = %q, %v; want %q", got, err, want)
	}
}

func deleteObject(t *testing.T, c client.Client, obj client.Object) {
	t.Helper()
	if err := c.Delete(context.Background(), obj); err != nil {
		t.Fatal(err)
	}
}

// letGoOf deletes an object and removes its finalizer, as a controller does once it is released.
func letGoOf(t *testing.T, c client.Client, obj client.Object) {
	t.Helper()
	ctx := context.Background()
	deleteObject(t, c, obj)
	if err := c.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
		t.Fatal(err)
	}
	obj.SetFinalizers(nil)
	if err := c.Update(ctx, obj); err != nil {
		t.Fatal(err)
	}
}

// TestCredentialsForgetDeletedSecrets proves that the key of a deleted Secret is not held once
// nothing needs it, whichever way the deletion is noticed.
func TestCredentialsForgetDeletedSecrets(t *testing.T) {
	ctx := context.Background()
	t.Run("delete event, no user", func(t *testing.T) {
		creds, c := newTestCredentials(t, keySecret(teamKey, "sk-1"))
		mustKey(t, creds, teamRef, "sk-1")
		deleteObject(t, c, keySecret(teamKey, ""))
		creds.SecretDeleted(ctx, teamKey)
		if n := creds.knownKeys(); n != 0 {
			t.Errorf("%d keys held after the Secret's delete event, with nothing that uses it", n)
		}
	})
	t.Run("read after the deletion, no event", func(t *testing.T) {
		creds, c := newTestCredentials(t, keySecret(teamKey, "sk-1"))
		mustKey(t, creds, teamRef, "sk-1")
		deleteObject(t, c, keySecret(teamKey, ""))
		if _, err := creds.APIKey(ctx, teamKey.Namespace, teamRef); err == nil {
			t.Fatal("a deleted Secret still gives a key")
		}
		if n := creds.knownKeys(); n != 0 {
			t.Errorf("%d keys held after a read found the Secret gone (its delete event was missed)", n)
		}
	})
}

// TestCredentialsKeepTheLastKeyToRelease proves that a deleted Secret's last key stays available
// to release the objects that still use it, and only until the last of them is released.
func TestCredentialsKeepTheLastKeyToRelease(t *testing.T) {
	ctx := context.Background()
	first, second := agentUsing("first", teamRef), agentUsing("second", teamRef)
	creds, c := newTestCredentials(t, keySecret(teamKey, "sk-1"), first, second)
	mustKey(t, creds, teamRef, "sk-1")
	deleteObject(t, c, keySecret(teamKey, ""))
	creds.SecretDeleted(ctx, teamKey)

	key, remembered, err := creds.APIKeyForRelease(ctx, teamKey.Namespace, teamRef)
	if err != nil || key != "sk-1" || !remembered {
		t.Fatalf("APIKeyForRelease = %q, %v, %v; want the remembered key", key, remembered, err)
	}
	if _, err := creds.APIKey(ctx, teamKey.Namespace, teamRef); err == nil {
		t.Error("APIKey gives a deleted Secret's key: only a release may use it")
	}

	letGoOf(t, c, first)
	creds.Released(ctx, first, teamRef)
	if n := creds.knownKeys(); n != 1 {
		t.Fatalf("%d keys held after the first release, want 1 for the second object", n)
	}
	letGoOf(t, c, second)
	creds.Released(ctx, second, teamRef)
	if n := creds.knownKeys(); n != 0 {
		t.Errorf("%d keys held after the last object that used the Secret was released", n)
	}
	if _, _, err := creds.APIKeyForRelease(ctx, teamKey.Namespace, teamRef); err == nil {
		t.Error("a forgotten key is still given out")
	}
}

// TestCredentialsRecreatedSecretIsReadAgain proves that a Secret deleted and created again with
// another key is read again, not answered from memory.
func TestCredentialsRecreatedSecretIsReadAgain(t *testing.T) {
	ctx := context.Background()
	creds, c := newTestCredentials(t, keySecret(teamKey, "sk-old"), agentUsing("user", teamRef))
	mustKey(t, creds, teamRef, "sk-old")
	deleteObject(t, c, keySecret(teamKey, ""))
	creds.SecretDeleted(ctx, teamKey)
	if err := c.Create(ctx, keySecret(teamKey, "sk-new")); err != nil {
		t.Fatal(err)
	}
	mustKey(t, creds, teamRef, "sk-new")
	if key, remembered, err := creds.APIKeyForRelease(ctx, teamKey.Namespace, teamRef); key != "sk-new" || remembered || err != nil {
		t.Errorf("APIKeyForRelease = %q, %v, %v; want the recreated Secret's key", key, remembered, err)
	}
}

// TestCredentialsDefaultSecretUsers proves that objects without a reference count as users of the
// operator-wide Secret, in any namespace.
func TestCredentialsDefaultSecretUsers(t *testing.T) {
	ctx := context.Background()
	user := agentUsing("default-user", nil)
	creds, c := newTestCredentials(t, keySecret(defaultKey, "sk-default"), user)
	mustKey(t, creds, nil, "sk-default")
	deleteObject(t, c, keySecret(defaultKey, ""))
	creds.SecretDeleted(ctx, defaultKey)
	if key, remembered, err := creds.APIKeyForRelease(ctx, user.Namespace, nil); key != "sk-default" || !remembered || err != nil {
		t.Fatalf("APIKeyForRelease = %q, %v, %v; want the default Secret's remembered key", key, remembered, err)
	}
	letGoOf(t, c, user)
	creds.Released(ctx, user, nil)
	if n := creds.knownKeys(); n != 0 {
		t.Errorf("%d keys held after the default Secret's last user was released", n)
	}
}
