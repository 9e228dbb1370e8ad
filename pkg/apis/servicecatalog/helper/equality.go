// Package helper holds functions that work on the internal servicecatalog types.
package helper

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/conversion"
	"k8s.io/apimachinery/pkg/runtime"
)

// Semantic compares catalog objects as apiequality.Semantic does, except that raw JSON
// documents (parameters, schemas, broker metadata) are equal when they hold the same JSON
// value, whatever their bytes. Strategic merge patches and server-side apply re-encode
// them through unstructured maps, which sorts object keys and re-renders numbers ("1.0"
// becomes "1"); comparing bytes would count that as a change of spec.
var Semantic = func() conversion.Equalities {
	e := apiequality.Semantic.Copy()
	if err := e.AddFunc(rawExtensionsEqual); err != nil {
		panic(err)
	}
	return e
}()

func rawExtensionsEqual(a, b runtime.RawExtension) bool {
	if len(a.Raw) == 0 && len(b.Raw) == 0 {
		return apiequality.Semantic.DeepEqual(a.Object, b.Object)
	}
	if bytes.Equal(a.Raw, b.Raw) {
		return true
	}
	va, okA := decodeJSON(a.Raw)
	vb, okB := decodeJSON(b.Raw)
	return okA && okB && jsonValuesEqual(va, vb)
}

// decodeJSON decodes one JSON document, keeping numbers exact.
func decodeJSON(data []byte) (interface{}, bool) {
	if len(data) == 0 {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v interface{}
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	if dec.More() {
		return nil, false
	}
	return v, true
}

// jsonValuesEqual compares decoded JSON values; numbers are equal when they denote the same
// decimal number, so 1, 1.0 and 1e0 are equal.
func jsonValuesEqual(a, b interface{}) bool {
	switch a := a.(type) {
	case map[string]interface{}:
		b, ok := b.(map[string]interface{})
		if !ok || len(a) != len(b) {
			return false
		}
		for k, va := range a {
			vb, ok := b[k]
			if !ok || !jsonValuesEqual(va, vb) {
				return false
			}
		}
		return true
	case []interface{}:
		b, ok := b.([]interface{})
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !jsonValuesEqual(a[i], b[i]) {
				return false
			}
		}
		return true
	case json.Number:
		b, ok := b.(json.Number)
		if !ok {
			return false
		}
		if a == b {
			return true
		}
		ca, okA := canonicalNumber(string(a))
		cb, okB := canonicalNumber(string(b))
		return okA && okB && ca == cb
	default: // string, bool, nil
		return a == b
	}
}

// canonicalNumber rewrites a JSON number as sign, significant digits and exponent, so that
// numbers denoting the same decimal value have the same form: "1.50", "15e-1" and
// "0.15E1" all become "15e-1". It works on the text, so it is exact and takes linear time
// whatever the exponent; it reports false for exponents it cannot represent.
func canonicalNumber(s string) (string, bool) {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	mantissa, exp := s, int64(0)
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.ParseInt(s[i+1:], 10, 64)
		if err != nil || e > 1<<62 || e < -(1<<62) {
			return "", false
		}
		mantissa, exp = s[:i], e
	}
	digits := mantissa
	if i := strings.IndexByte(mantissa, '.'); i >= 0 {
		frac := mantissa[i+1:]
		digits = mantissa[:i] + frac
		exp -= int64(len(frac))
	}
	digits = strings.TrimLeft(digits, "0")
	if digits == "" {
		return "0", true
	}
	trimmed := strings.TrimRight(digits, "0")
	exp += int64(len(digits) - len(trimmed))
	return sign + trimmed + "e" + strconv.FormatInt(exp, 10), true
}
