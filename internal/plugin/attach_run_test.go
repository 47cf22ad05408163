// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"context"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// TestCreateNamedSessionPicksAnotherNameWhenTaken proves that a run with files, which names its
// Session itself (so that the prompt's attachments can name the ConfigMap), tries another name
// when the first is taken, keeps the name as short as generateName would, and names the ConfigMap
// after the Session it did create.
func TestCreateNamedSessionPicksAnotherNameWhenTaken(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	var tried []string
	c := fake.NewClientBuilder().WithScheme(scheme).WithInterceptorFuncs(interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			tried = append(tried, obj.GetName())
			if len(tried) == 1 {
				return apierrors.NewAlreadyExists(schema.GroupResource{Resource: "sessions"}, obj.GetName())
			}
			return c.Create(ctx, obj, opts...)
		},
	}).Build()
	prefix := strings.Repeat("a", 70) + "-"
	sess := &v1alpha1.Session{}
	sess.Namespace, sess.GenerateName = "team", prefix
	att := &Attachments{Files: []LocalFile{{Key: "x.png", Type: v1alpha1.AttachmentImage, MediaType: "image/png"}}}

	cm, err := createNamedSession(context.Background(), c, sess, att)
	if err != nil {
		t.Fatal(err)
	}
	if len(tried) != 2 || tried[0] == tried[1] || sess.Name != tried[1] {
		t.Fatalf("a taken name is replaced by another: tried %q, created %q", tried, sess.Name)
	}
	if len(sess.Name) != 63 || !strings.HasPrefix(sess.Name, prefix[:maxGeneratedNameLength]) || sess.GenerateName != "" {
		t.Errorf("the name is the prefix cut as generateName cuts it, and five characters: %q", sess.Name)
	}
	ref := sess.Spec.Attachments[0].ConfigMapKeyRef
	if !strings.HasPrefix(cm, sess.Name+"-attach-") || len(cm) != len(sess.Name)+len("-attach-")+5 || ref.Name != cm || sess.Spec.Attachments[0].Message != 0 {
		t.Errorf("the prompt's attachment names the ConfigMap named after the Session: %q, %+v", cm, sess.Spec.Attachments)
	}
}

// TestCreateNamedSessionGivesUpOnOtherErrors proves that an error other than a taken name is
// returned at once, not retried.
func TestCreateNamedSessionGivesUpOnOtherErrors(t *testing.T) {
	calls := 0
	c := fake.NewClientBuilder().WithInterceptorFuncs(interceptor.Funcs{
		Create: func(context.Context, client.WithWatch, client.Object, ...client.CreateOption) error {
			calls++
			return apierrors.NewForbidden(schema.GroupResource{Resource: "sessions"}, "x", nil)
		},
	}).Build()
	sess := &v1alpha1.Session{}
	sess.GenerateName = "coder-"
	att := &Attachments{Files: []LocalFile{{Key: "x.png"}}}
	if _, err := createNamedSession(context.Background(), c, sess, att); err == nil || !strings.Contains(err.Error(), "creating the session") || calls != 1 {
		t.Errorf("one try, and the error says what failed: %d tries, %v", calls, err)
	}
}
