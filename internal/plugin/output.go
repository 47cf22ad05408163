// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"encoding/json"
	"fmt"
	"io"

	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// Output formats of -o.
const (
	OutputJSON = "json"
	OutputYAML = "yaml"
	OutputWide = "wide"
)

// CheckOutput validates an -o value against the formats a command supports ("" is always fine).
func CheckOutput(format string, supported ...string) error {
	if format == "" {
		return nil
	}
	for _, s := range supported {
		if format == s {
			return nil
		}
	}
	return fmt.Errorf("unsupported output format %q: use one of %v", format, supported)
}

// PrintObject writes v as JSON (indented like kubectl) or YAML.
func PrintObject(w io.Writer, format string, v any) error {
	switch format {
	case OutputJSON:
		data, err := json.MarshalIndent(v, "", "    ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", data)
		return err
	case OutputYAML:
		data, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	}
	return fmt.Errorf("unsupported output format %q", format)
}

// SessionList returns sessions as a list with apiVersion and kind set on it and its items, the
// way `kubectl get -o json` prints them.
func SessionList(items []v1alpha1.Session) *v1alpha1.SessionList {
	list := &v1alpha1.SessionList{Items: items}
	list.APIVersion = v1alpha1.GroupVersion.String()
	list.Kind = "SessionList"
	for i := range list.Items {
		list.Items[i].APIVersion = v1alpha1.GroupVersion.String()
		list.Items[i].Kind = "Session"
	}
	return list
}
