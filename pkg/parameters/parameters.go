// Package parameters builds the parameters of a broker request from an object's inline
// parameters and the Secrets its parametersFrom names, and records them without secrets.
package parameters

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

// Redacted replaces values that came from Secrets wherever parameters are shown.
const Redacted = "<redacted>"

// Parameters are the parameters of a broker request.
type Parameters struct {
	// Values are sent to the broker; they include secret values.
	Values map[string]any
	// Redacted is Values with every value from a Secret replaced by "<redacted>".
	Redacted map[string]any
	// Checksum is the SHA-256 (hex) of Values, to detect changes without storing them.
	Checksum string
}

// Error is a problem with an object's parameters that the user must fix; retrying does
// not help until they do. Its message never contains a parameter value.
type Error struct {
	msg string
}

func (e *Error) Error() string { return e.msg }

func errorf(format string, args ...any) *Error { return &Error{msg: fmt.Sprintf(format, args...)} }

// Build merges the inline parameters with the top-level keys of each Secret value that
// parametersFrom names, in the object's namespace. A key given twice, a missing Secret or
// key, or a value that is not a JSON object is an *Error.
func Build(ctx context.Context, secrets corev1client.SecretsGetter, namespace string, inline *runtime.RawExtension, from []v1beta1.ParametersFromSource) (*Parameters, error) {
	p := &Parameters{Values: map[string]any{}, Redacted: map[string]any{}}
	source := map[string]string{}
	values, err := Inline(inline)
	if err != nil {
		return nil, err
	}
	for k, v := range values {
		p.Values[k], p.Redacted[k], source[k] = v, v, "spec.parameters"
	}
	for i, f := range from {
		ref := f.SecretKeyRef
		if ref == nil {
			return nil, errorf("spec.parametersFrom[%d] names no source", i)
		}
		secret, err := secrets.Secrets(namespace).Get(ctx, ref.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil, errorf("spec.parametersFrom[%d]: Secret %q not found", i, ref.Name)
		}
		if err != nil {
			return nil, fmt.Errorf("reading Secret %s/%s: %w", namespace, ref.Name, err)
		}
		data, ok := secret.Data[ref.Key]
		if !ok {
			return nil, errorf("spec.parametersFrom[%d]: Secret %q has no key %q", i, ref.Name, ref.Key)
		}
		values, err := decodeObject(data)
		if err != nil {
			return nil, errorf("spec.parametersFrom[%d]: key %q of Secret %q must hold a JSON object", i, ref.Key, ref.Name)
		}
		what := fmt.Sprintf("Secret %q key %q", ref.Name, ref.Key)
		// In key order, so that the error names the same key every time.
		for _, k := range slices.Sorted(maps.Keys(values)) {
			if prev, dup := source[k]; dup {
				return nil, errorf("parameter %q is given by both %s and %s", k, prev, what)
			}
			p.Values[k], p.Redacted[k], source[k] = values[k], Redacted, what
		}
	}
	sum, err := Checksum(p.Values)
	if err != nil {
		return nil, err
	}
	p.Checksum = sum
	return p, nil
}

// Inline decodes the inline parameters alone; nil or empty parameters are an empty
// object, and anything but a JSON object is an *Error.
func Inline(inline *runtime.RawExtension) (map[string]any, error) {
	if inline == nil || len(inline.Raw) == 0 {
		return map[string]any{}, nil
	}
	values, err := decodeObject(inline.Raw)
	if err != nil {
		return nil, errorf("spec.parameters must be a JSON object")
	}
	return values, nil
}

// Checksum returns the SHA-256 (hex) of the canonical JSON of values.
func Checksum(values map[string]any) (string, error) {
	data, err := json.Marshal(values) // map keys are sorted
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// RedactedRaw returns the redacted parameters as stored in status, or nil when there are
// none.
func (p *Parameters) RedactedRaw() *runtime.RawExtension {
	if len(p.Redacted) == 0 {
		return nil
	}
	data, err := json.Marshal(p.Redacted)
	if err != nil {
		return nil
	}
	return &runtime.RawExtension{Raw: data}
}

func decodeObject(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var values map[string]any
	if err := dec.Decode(&values); err != nil {
		return nil, err
	}
	if values == nil || dec.More() {
		return nil, fmt.Errorf("not a JSON object")
	}
	return values, nil
}

// minSecretLength is the shortest secret value looked for in text: shorter ones (a port,
// "true") would redact ordinary words.
const minSecretLength = 4

// SecretValues returns the values that came from Secrets as they may appear in text a
// broker sends back: strings as they are, other values as JSON, and the leaves of objects
// and arrays too. A broker's error description that echoes one is redacted with them.
func (p *Parameters) SecretValues() []string {
	var out []string
	for k, v := range p.Redacted {
		if v == Redacted {
			out = appendLeaves(out, p.Values[k])
		}
	}
	return out
}

func appendLeaves(out []string, v any) []string {
	switch v := v.(type) {
	case string:
		if len(v) >= minSecretLength {
			out = append(out, v)
		}
		return out
	case map[string]any:
		for _, e := range v {
			out = appendLeaves(out, e)
		}
	case []any:
		for _, e := range v {
			out = appendLeaves(out, e)
		}
	}
	if data, err := json.Marshal(v); err == nil && len(data) >= minSecretLength {
		out = append(out, string(data))
	}
	return out
}

// Redact replaces every secret value in text with "<redacted>", longest first.
func Redact(text string, secrets []string) string {
	sorted := slices.Clone(secrets)
	slices.SortFunc(sorted, func(a, b string) int { return len(b) - len(a) })
	for _, s := range sorted {
		text = strings.ReplaceAll(text, s, Redacted)
	}
	return text
}
