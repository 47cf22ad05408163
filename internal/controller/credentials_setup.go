// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// NewCredentials returns the one Credentials of a manager, for every controller (Options.Credentials):
// keys read through the manager's API reader, Secret metadata from its cache, and the last key of a
// deleted Secret kept only while an object that uses it still holds the finalizer. Every Secret
// deletion the cache sees prunes it.
func NewCredentials(ctx context.Context, mgr ctrl.Manager, defaultSecret types.NamespacedName) (*Credentials, error) {
	c := &Credentials{
		Reader: mgr.GetAPIReader(), Metadata: mgr.GetClient(), Default: defaultSecret, Lister: mgr.GetClient(),
		Users: []func() client.ObjectList{
			func() client.ObjectList { return &v1alpha1.AgentList{} },
			func() client.ObjectList { return &v1alpha1.EnvironmentList{} },
			func() client.ObjectList { return &v1alpha1.SessionList{} },
			func() client.ObjectList { return &v1alpha1.VaultList{} },
			func() client.ObjectList { return &v1alpha1.SkillList{} },
			func() client.ObjectList { return &v1alpha1.MemoryStoreList{} },
		},
	}
	informer, err := mgr.GetCache().GetInformer(ctx, secretMetadata())
	if err != nil {
		return nil, err
	}
	_, err = informer.AddEventHandler(toolscache.ResourceEventHandlerFuncs{DeleteFunc: func(obj any) {
		if key, ok := deletedKey(obj); ok {
			c.SecretDeleted(ctx, key)
		}
	}})
	return c, err
}

// secretMetadata is the object through which the controllers watch Secrets: metadata only.
func secretMetadata() *metav1.PartialObjectMetadata {
	m := &metav1.PartialObjectMetadata{}
	m.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
	return m
}

// deletedKey names the object of an informer's delete notification, which may be a tombstone when
// the watch missed the deletion itself.
func deletedKey(obj any) (types.NamespacedName, bool) {
	if tomb, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	o, ok := obj.(client.Object)
	if !ok {
		return types.NamespacedName{}, false
	}
	return client.ObjectKeyFromObject(o), true
}

// holdsFinalizer reports whether an object of the list other than except still holds the finalizer.
func holdsFinalizer(list client.ObjectList, except types.UID) bool {
	found := false
	_ = meta.EachListItem(list, func(o runtime.Object) error {
		if obj, ok := o.(client.Object); ok && obj.GetUID() != except && controllerutil.ContainsFinalizer(obj, Finalizer) {
			found = true
		}
		return nil
	})
	return found
}
