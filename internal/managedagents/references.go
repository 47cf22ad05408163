// SPDX-License-Identifier: Apache-2.0

package managedagents

import "fmt"

// MissingReferenceError reports a Secret, ConfigMap or key that a spec refers to and that does not
// exist (yet). It is not an API error: the object waits until the reference appears, and the
// controller's watch on the referenced kind wakes it. The message names the reference, never a value.
type MissingReferenceError struct {
	// Field is the path below spec that holds the reference, for example
	// "credentials[name=linear].staticBearer.tokenSecretRef".
	Field string
	// Kind of the referenced object: Secret or ConfigMap.
	Kind string
	// Name of the referenced object, in the referrer's namespace.
	Name string
	// Key that is missing from it; empty when the object itself is missing.
	Key string
}

// Error implements error: "spec.<field>: Secret linear has no key token".
func (e *MissingReferenceError) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("spec.%s: %s %s not found", e.Field, e.Kind, e.Name)
	}
	return fmt.Sprintf("spec.%s: %s %s has no key %s", e.Field, e.Kind, e.Name, e.Key)
}

// DataSource looks up a Secret's or ConfigMap's data by name; ok is false when the object does not
// exist. Values are the raw bytes (a ConfigMap's data and binaryData together).
type DataSource func(name string) (data map[string][]byte, ok bool)

// lookupKey reads one key, or returns a MissingReferenceError naming what is missing.
func lookupKey(src DataSource, kind, field, name, key string) ([]byte, error) {
	data, ok := src(name)
	if !ok {
		return nil, &MissingReferenceError{Field: field, Kind: kind, Name: name}
	}
	v, ok := data[key]
	if !ok {
		return nil, &MissingReferenceError{Field: field, Kind: kind, Name: name, Key: key}
	}
	return v, nil
}
