package fuzzer

import (
	"bytes"
	"encoding/json"
	"reflect"

	"k8s.io/apimachinery/pkg/runtime"
)

var rawExtensionType = reflect.TypeOf(runtime.RawExtension{})

// CanonicalizeRawJSON rewrites every RawExtension reachable from obj (a pointer) as
// compact JSON with sorted keys and the encoder's escaping, numbers kept as written. Raw
// parameters, schemas and metadata are stored as the JSON encoder writes them, which is
// not byte for byte what a client sent; tests that compare an object with its stored form
// canonicalize both first. A RawExtension that does not hold JSON is left as it is.
func CanonicalizeRawJSON(obj any) {
	canonicalize(reflect.ValueOf(obj))
}

func canonicalize(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			canonicalize(v.Elem())
		}
	case reflect.Struct:
		if v.Type() == rawExtensionType {
			if v.CanAddr() {
				canonicalizeRaw(v.Addr().Interface().(*runtime.RawExtension))
			}
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				canonicalize(v.Field(i))
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			canonicalize(v.Index(i))
		}
	}
}

func canonicalizeRaw(raw *runtime.RawExtension) {
	if len(raw.Raw) == 0 {
		return
	}
	dec := json.NewDecoder(bytes.NewReader(raw.Raw))
	dec.UseNumber()
	var value any
	if err := dec.Decode(&value); err != nil || dec.More() {
		return
	}
	if data, err := json.Marshal(value); err == nil {
		raw.Raw = data
	}
}
