package controller

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// ownerMetadata is what the operator writes into every remote object's metadata, so it can find the
// object again after losing its id (a crash between create and status write).
func ownerMetadata(obj client.Object) map[string]string {
	return map[string]string{
		v1alpha1.MetadataKeyUID:       string(obj.GetUID()),
		v1alpha1.MetadataKeyNamespace: obj.GetNamespace(),
		v1alpha1.MetadataKeyName:      obj.GetName(),
	}
}

// configHash fingerprints the desired remote configuration, so an unchanged spec costs no API call.
func configHash(parts ...any) string {
	h := sha256.New()
	for _, p := range parts {
		b, _ := json.Marshal(p)
		h.Write(b)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// isReady reports whether the Ready condition is True.
func isReady(conds []metav1.Condition) bool {
	return meta.IsStatusConditionTrue(conds, v1alpha1.ConditionReady)
}

// nowTime is the current time at the precision the API server stores.
func nowTime() metav1.Time {
	return metav1.NewTime(time.Now().Truncate(time.Second))
}
