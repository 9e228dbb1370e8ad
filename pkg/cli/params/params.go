// Package params turns the parameter flags of kubectl catalog, -p key=value (repeated) and
// --params-json, into the parameters object of an instance or a binding.
package params

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
)

// Parse merges key=value pairs and a JSON object into one parameters object. A value is
// taken as a JSON scalar (a number, true, false, null or a quoted string) when it parses
// as one, else as the string it is. A key given twice, by the pairs or by both, is an
// error that names it. Parse returns nil when both are empty.
func Parse(pairs []string, jsonObject string) (*runtime.RawExtension, error) {
	merged, err := fromJSON(jsonObject)
	if err != nil {
		return nil, err
	}
	for _, pair := range pairs {
		key, value, ok := strings.Cut(pair, "=")
		if !ok || key == "" {
			return nil, fmt.Errorf("parameter %q: want key=value", pair)
		}
		if _, given := merged[key]; given {
			return nil, fmt.Errorf("parameter %q is given twice", key)
		}
		merged[key] = scalar(value)
	}
	if len(merged) == 0 {
		return nil, nil
	}
	raw, err := json.Marshal(merged)
	if err != nil {
		return nil, err
	}
	return &runtime.RawExtension{Raw: raw}, nil
}

// fromJSON decodes --params-json, which must be one JSON object; "" is an empty one.
func fromJSON(s string) (map[string]any, error) {
	if strings.TrimSpace(s) == "" {
		return map[string]any{}, nil
	}
	var v any
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	err := d.Decode(&v)
	if err == nil && d.More() {
		err = errors.New("more than one JSON value")
	}
	if object, ok := v.(map[string]any); ok && err == nil {
		return object, nil
	}
	if err == nil {
		err = fmt.Errorf("got %s", describe(v))
	}
	return nil, fmt.Errorf("--params-json must be one JSON object, such as '{\"storageGB\": 20}': %w", err)
}

// describe names the kind of a JSON value that is not an object.
func describe(v any) string {
	switch v.(type) {
	case []any:
		return "an array"
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	}
	return "a number"
}

// scalar returns value as the JSON scalar it spells, or as a string.
func scalar(value string) any {
	var v any
	d := json.NewDecoder(bytes.NewReader([]byte(value)))
	d.UseNumber()
	if err := d.Decode(&v); err != nil || d.More() {
		return value
	}
	switch v.(type) {
	case map[string]any, []any:
		return value
	}
	return v
}
