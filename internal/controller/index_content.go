// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// indexContentKinds indexes Vaults, Skills and MemoryStores by the Secrets and ConfigMaps they read,
// so that a change of one reconciles exactly the objects that use it.
func indexContentKinds(ctx context.Context, mgr ctrl.Manager) error {
	indexes := []struct {
		obj   client.Object
		field string
		fn    client.IndexerFunc
	}{
		{&v1alpha1.Vault{}, indexAPIKeySecret, func(o client.Object) []string { return apiKeySecretIndex(o.(*v1alpha1.Vault).Spec.APIKeySecretRef) }},
		{&v1alpha1.Vault{}, indexSecretRefs, func(o client.Object) []string { return vaultSecretNames(&o.(*v1alpha1.Vault).Spec) }},
		{&v1alpha1.Skill{}, indexAPIKeySecret, func(o client.Object) []string { return apiKeySecretIndex(o.(*v1alpha1.Skill).Spec.APIKeySecretRef) }},
		{&v1alpha1.Skill{}, indexConfigMap, func(o client.Object) []string {
			return []string{o.(*v1alpha1.Skill).Spec.Files.ConfigMapRef.Name}
		}},
		{&v1alpha1.MemoryStore{}, indexAPIKeySecret, func(o client.Object) []string {
			return apiKeySecretIndex(o.(*v1alpha1.MemoryStore).Spec.APIKeySecretRef)
		}},
		{&v1alpha1.MemoryStore{}, indexConfigMap, func(o client.Object) []string {
			if seed := o.(*v1alpha1.MemoryStore).Spec.Seed; seed != nil {
				return []string{seed.ConfigMapRef.Name}
			}
			return nil
		}},
	}
	for _, ix := range indexes {
		if err := mgr.GetFieldIndexer().IndexField(ctx, ix.obj, ix.field, ix.fn); err != nil {
			return err
		}
	}
	return nil
}
