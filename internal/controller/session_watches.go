// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// Field indexes that map Vaults and MemoryStores to the Sessions that name them, so that a Session
// waiting for one launches as soon as it is Ready (a watch, not a poll).
const (
	indexVaultRefs       = "spec.vaultRefs.name"
	indexMemoryStoreRefs = "spec.resources.memoryStore.memoryStoreRef.name"
)

// indexSessionContentRefs registers the Vault and MemoryStore indexes of Sessions.
func indexSessionContentRefs(ctx context.Context, mgr ctrl.Manager) error {
	indexes := map[string]func(*v1alpha1.Session) []string{
		indexVaultRefs: func(s *v1alpha1.Session) []string {
			names := make([]string, 0, len(s.Spec.VaultRefs))
			for _, ref := range s.Spec.VaultRefs {
				names = append(names, ref.Name)
			}
			return names
		},
		indexMemoryStoreRefs: func(s *v1alpha1.Session) []string {
			var names []string
			for _, res := range s.Spec.Resources {
				if m := res.MemoryStore; m != nil && m.MemoryStoreRef != nil {
					names = append(names, m.MemoryStoreRef.Name)
				}
			}
			return names
		},
	}
	for name, fn := range indexes {
		if err := mgr.GetFieldIndexer().IndexField(ctx, &v1alpha1.Session{}, name, func(o client.Object) []string {
			return fn(o.(*v1alpha1.Session))
		}); err != nil {
			return err
		}
	}
	return nil
}

// unlaunched keeps Sessions that have not launched: a referenced object matters only to a launch.
func unlaunched(o client.Object) bool { return o.(*v1alpha1.Session).Status.ID == "" }

// followsSecrets keeps Sessions that may still send a token: every Session that is not finished for
// good. An unlaunched one reads its tokens at launch, a running one sends a changed token at once,
// and a Succeeded one when the user resumes it.
func followsSecrets(o client.Object) bool { return !o.(*v1alpha1.Session).Status.Phase.Final() }
