// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

const maxBodyBytes = 32 << 20

// readBody decodes a request body into a JSON object. Numbers stay
// json.Number so that schemas the client sent are echoed exactly.
func readBody(r *http.Request) (jobj, *apiError) {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return jobj{}, errBadRequest("could not read request body: %v", err)
	}
	if len(data) > maxBodyBytes {
		return jobj{}, &apiError{status: http.StatusRequestEntityTooLarge, typ: "request_too_large", msg: "request body too large"}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return jobj{m: map[string]any{}}, nil
	}
	v, aerr := decodeJSON(data)
	if aerr != nil {
		return jobj{}, aerr
	}
	return asObject(v, "")
}

// readBodyOnly is readBody for a body that may hold only the allowed fields.
func readBodyOnly(r *http.Request, allowed ...string) (jobj, *apiError) {
	body, err := readBody(r)
	if err == nil {
		err = body.only(allowed...)
	}
	return body, err
}

func decodeJSON(data []byte) (any, *apiError) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, errBadRequest("invalid JSON body: %v", err)
	}
	if dec.More() {
		return nil, errBadRequest("invalid JSON body: trailing data after the JSON value")
	}
	return v, nil
}

// jobj is a decoded JSON object plus its path in the request, so that every
// validation error names the field it is about ("tools[1].name: field required").
type jobj struct {
	path string
	m    map[string]any
}

func asObject(v any, path string) (jobj, *apiError) {
	m, ok := v.(map[string]any)
	if !ok {
		return jobj{}, errBadRequest("%s: input should be a valid object", orBody(path))
	}
	return jobj{path: path, m: m}, nil
}

func orBody(path string) string {
	if path == "" {
		return "body"
	}
	return path
}

func (o jobj) at(k string) string {
	if o.path == "" {
		return k
	}
	return o.path + "." + k
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// present reports whether k was sent at all (possibly as null).
func (o jobj) present(k string) bool { _, ok := o.m[k]; return ok }

// has reports whether k was sent with a non-null value.
func (o jobj) has(k string) bool { v, ok := o.m[k]; return ok && v != nil }

// only rejects keys outside allowed, like the API's strict request models.
func (o jobj) only(allowed ...string) *apiError {
	keys := make([]string, 0, len(o.m))
	for k := range o.m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(allowed, k) {
			return errBadRequest("%s: extra inputs are not permitted", o.at(k))
		}
	}
	return nil
}

func (o jobj) str(k string) (string, bool, *apiError) {
	v, ok := o.m[k]
	if !ok || v == nil {
		return "", false, nil
	}
	s, isStr := v.(string)
	if !isStr {
		return "", false, errBadRequest("%s: input should be a valid string", o.at(k))
	}
	return s, true, nil
}

func (o jobj) reqStr(k string) (string, *apiError) {
	s, ok, err := o.str(k)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", errBadRequest("%s: field required", o.at(k))
	}
	return s, nil
}

// strLen returns an optional string bounded to [min, max] characters.
func (o jobj) strLen(k string, min, max int) (string, bool, *apiError) {
	s, ok, err := o.str(k)
	if err != nil || !ok {
		return s, ok, err
	}
	if n := utf8.RuneCountInString(s); n < min || n > max {
		if min > 0 && n < min {
			return "", false, errBadRequest("%s: string should have at least %d character(s)", o.at(k), min)
		}
		return "", false, errBadRequest("%s: string should have at most %d characters", o.at(k), max)
	}
	return s, true, nil
}

func (o jobj) enum(k string, values ...string) (string, bool, *apiError) {
	s, ok, err := o.str(k)
	if err != nil || !ok {
		return s, ok, err
	}
	if !slices.Contains(values, s) {
		return "", false, errBadRequest("%s: input should be %s", o.at(k), quoteList(values))
	}
	return s, true, nil
}

// reqType reads the required "type" discriminator of a union.
func (o jobj) reqType(values ...string) (string, *apiError) {
	s, ok, err := o.enum("type", values...)
	if err == nil && !ok {
		err = errBadRequest("%s: field required", o.at("type"))
	}
	return s, err
}

func quoteList(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = strconv.Quote(v)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

func (o jobj) boolean(k string) (bool, bool, *apiError) {
	v, ok := o.m[k]
	if !ok || v == nil {
		return false, false, nil
	}
	b, isBool := v.(bool)
	if !isBool {
		return false, false, errBadRequest("%s: input should be a valid boolean", o.at(k))
	}
	return b, true, nil
}

func (o jobj) integer(k string) (int64, bool, *apiError) {
	v, ok := o.m[k]
	if !ok || v == nil {
		return 0, false, nil
	}
	n, isNum := v.(json.Number)
	if !isNum {
		return 0, false, errBadRequest("%s: input should be a valid integer", o.at(k))
	}
	i, err := n.Int64()
	if err != nil {
		return 0, false, errBadRequest("%s: input should be a valid integer", o.at(k))
	}
	return i, true, nil
}

func (o jobj) obj(k string) (jobj, bool, *apiError) {
	v, ok := o.m[k]
	if !ok || v == nil {
		return jobj{}, false, nil
	}
	sub, err := asObject(v, o.at(k))
	return sub, err == nil, err
}

func (o jobj) reqObj(k string) (jobj, *apiError) {
	sub, ok, err := o.obj(k)
	if err != nil {
		return sub, err
	}
	if !ok {
		return sub, errBadRequest("%s: field required", o.at(k))
	}
	return sub, nil
}

func (o jobj) arr(k string) ([]any, bool, *apiError) {
	v, ok := o.m[k]
	if !ok || v == nil {
		return nil, false, nil
	}
	a, isArr := v.([]any)
	if !isArr {
		return nil, false, errBadRequest("%s: input should be a valid list", o.at(k))
	}
	return a, true, nil
}

// strList returns an optional list of strings.
func (o jobj) strList(k string) ([]string, bool, *apiError) {
	a, ok, err := o.arr(k)
	if err != nil || !ok {
		return nil, ok, err
	}
	out := make([]string, len(a))
	for i, v := range a {
		s, isStr := v.(string)
		if !isStr {
			return nil, false, errBadRequest("%s: input should be a valid string", index(o.at(k), i))
		}
		out[i] = s
	}
	return out, true, nil
}

// metadataLimits enforces the API's bag limits: 16 pairs, keys 1-64 characters,
// values up to 512 characters.
func metadataLimits(path string, m map[string]string) *apiError {
	if len(m) > 16 {
		return errBadRequest("%s: at most 16 key/value pairs are allowed", path).withCode("invalid_metadata")
	}
	for k, v := range m {
		if n := utf8.RuneCountInString(k); n == 0 || n > 64 {
			return errBadRequest("%s: key %q must be 1 to 64 characters", path, k).withCode("invalid_metadata")
		}
		if utf8.RuneCountInString(v) > 512 {
			return errBadRequest("%s.%s: value must be at most 512 characters", path, k).withCode("invalid_metadata")
		}
	}
	return nil
}

// metadata reads a create-time metadata object (string values only).
func (o jobj) metadata() (map[string]string, *apiError) {
	const k = "metadata"
	out := map[string]string{}
	sub, ok, err := o.obj(k)
	if err != nil || !ok {
		return out, err
	}
	for key, v := range sub.m {
		s, isStr := v.(string)
		if !isStr {
			return nil, errBadRequest("%s: input should be a valid string", sub.at(key))
		}
		out[key] = s
	}
	return out, metadataLimits(o.at(k), out)
}

// metadataPatch applies an update-time metadata patch: a string upserts a key,
// null deletes it (and, where deleteEmpty, so does ""). It returns the new bag
// and whether anything changed.
func (o jobj) metadataPatch(cur map[string]string, deleteEmpty bool) (map[string]string, bool, *apiError) {
	const k = "metadata"
	sub, ok, err := o.obj(k)
	if err != nil || !ok {
		return cur, false, err
	}
	out := make(map[string]string, len(cur))
	for key, v := range cur {
		out[key] = v
	}
	changed := false
	for key, v := range sub.m {
		switch val := v.(type) {
		case nil:
			if _, had := out[key]; had {
				delete(out, key)
				changed = true
			}
		case string:
			if val == "" && deleteEmpty {
				if _, had := out[key]; had {
					delete(out, key)
					changed = true
				}
				continue
			}
			if old, had := out[key]; !had || old != val {
				out[key] = val
				changed = true
			}
		default:
			return nil, false, errBadRequest("%s: input should be a valid string or null", sub.at(key))
		}
	}
	if err := metadataLimits(o.at(k), out); err != nil {
		return nil, false, err
	}
	return out, changed, nil
}

// jsonEqual compares two JSON-shaped values by their encoding.
func jsonEqual(a, b any) bool {
	ab, err1 := json.Marshal(a)
	bb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ab, bb)
}

func copyStrings(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// stamp formats a timestamp the way the API does (RFC 3339, UTC).
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// stampOrNull is stamp for a nullable timestamp such as archived_at.
func stampOrNull(t *time.Time) any {
	if t == nil {
		return nil
	}
	return stamp(*t)
}
