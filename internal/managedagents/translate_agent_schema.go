// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/anthropics/anthropic-sdk-go/v2"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// customToolParams checks the input schema, which the CRD stores as free-form JSON, and splits it
// into the SDK's typed properties/required and extra JSON Schema keywords.
func customToolParams(c *v1alpha1.CustomTool, field string) (*anthropic.BetaManagedAgentsCustomToolParams, error) {
	field += ".inputSchema"
	schema, err := decodeSchema(c.InputSchema.Raw)
	if err != nil {
		return nil, invalidSpec(field, "%v", err)
	}
	if schema["type"] != "object" {
		return nil, invalidSpec(field, `must be a JSON Schema whose "type" is "object"`)
	}
	// Type is set although it marshals as "object" when zero: a schema of just {"type":"object"}
	// would otherwise be a zero struct, and input_schema (omitzero) would vanish from the request.
	s := anthropic.BetaManagedAgentsCustomToolInputSchemaParam{Type: "object"}
	for k, v := range schema {
		switch k {
		case "type":
		case "properties":
			props, ok := v.(map[string]any)
			if !ok {
				return nil, invalidSpec(field+".properties", "must be an object")
			}
			s.Properties = props
		case "required":
			if s.Required, err = stringList(v); err != nil {
				return nil, invalidSpec(field+".required", "%v", err)
			}
		default:
			if s.ExtraFields == nil {
				s.ExtraFields = map[string]any{}
			}
			s.ExtraFields[k] = v
		}
	}
	return &anthropic.BetaManagedAgentsCustomToolParams{Name: c.Name, Description: c.Description, InputSchema: s}, nil
}

// decodeSchema decodes a JSON object with every number kept as its literal text, so that numbers
// are sent back exactly as written (a float64 would round large integers).
func decodeSchema(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("is not valid JSON: %w", err)
	}
	m, ok := literalNumbers(v).(map[string]any)
	if !ok {
		return nil, fmt.Errorf("must be a JSON object")
	}
	return m, nil
}

// literalNumbers replaces json.Number values by json.RawMessage: the SDK's encoder writes a
// json.Number as a JSON string, but writes a RawMessage verbatim.
func literalNumbers(v any) any {
	switch t := v.(type) {
	case json.Number:
		return json.RawMessage(t)
	case map[string]any:
		for k, e := range t {
			t[k] = literalNumbers(e)
		}
	case []any:
		for i, e := range t {
			t[i] = literalNumbers(e)
		}
	}
	return v
}

func stringList(v any) ([]string, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("must be a list of property names")
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("must be a list of property names")
		}
		out = append(out, s)
	}
	return out, nil
}
