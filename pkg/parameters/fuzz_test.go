package parameters

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

// FuzzBuild merges arbitrary inline parameters with arbitrary parametersFrom entries (any
// that decode) naming arbitrary Secrets of the object's namespace (a JSON object of Secret
// name -> key -> value). Properties:
//   - nothing panics;
//   - it fails only with a *parameters.Error, the same one every time, whose message
//     quotes no value of a Secret (anything at least minQuoted long that is not also a
//     name or key, or inline);
//   - on success every parameter comes from exactly one place: Values has the inline keys
//     and the keys of every named Secret value; Redacted has the same keys, the inline
//     values as they are and "<redacted>" for the others; the checksum is the SHA-256 of
//     Values and does not depend on the order of the merge;
//   - the redacted form stored in status quotes no Secret value, and Redact removes every
//     value of SecretValues from a text, unless the value overlaps "<redacted>" itself.
func FuzzBuild(f *testing.F) {
	f.Add([]byte(`{"storageGB":10,"name":"db"}`), []byte(`[{"secretKeyRef":{"name":"p","key":"params"}},{"secretKeyRef":{"name":"q","key":"k"}}]`),
		[]byte(`{"p":{"params":"{\"password\":\"`+secretValue+`\",\"admin\":{\"name\":\"root-`+secretValue+`\",\"n\":[1.50,true,null]}}"},"q":{"k":"{\"token\":\"tok-abcdefgh\"}"}}`))
	f.Add([]byte(``), []byte(`[{}]`), []byte(`{}`))
	f.Add([]byte(`{"password":"inline"}`), []byte(`[{"secretKeyRef":{"name":"p","key":"params"}}]`), []byte(`{"p":{"params":"{\"password\":\"`+secretValue+`\"}"}}`))
	f.Add([]byte(`{}`), []byte(`[{"secretKeyRef":{"name":"p","key":"a"}},{"secretKeyRef":{"name":"p","key":"b"}}]`),
		[]byte(`{"p":{"a":"{\"x\":\"`+secretValue+`\",\"y\":2}","b":"{\"y\":\"`+secretValue+`\",\"x\":1}"}}`))
	f.Add([]byte(`[]`), []byte(`[{"secretKeyRef":{"name":"nope","key":"k"}}]`), []byte(`{"p":{"k":"[\"`+secretValue+`\"]"}}`))
	f.Add([]byte(`{"a":1}`), []byte(`[{"secretKeyRef":{"name":"p","key":"k"}}]`), []byte(`{"p":{"k":"{\"<red\":\"acted>-`+secretValue+`\"} {}"}}`))
	f.Add([]byte(`{"a":1}`), []byte(`[{"secretKeyRef":{"name":"p","key":"missing"}}]`), []byte(`{"p":{"k":"{}"}}`))

	f.Fuzz(func(t *testing.T, inlineDoc, fromDoc, secretsDoc []byte) {
		var from []v1beta1.ParametersFromSource
		var secretData map[string]map[string]string
		if json.Unmarshal(fromDoc, &from) != nil || json.Unmarshal(secretsDoc, &secretData) != nil {
			return
		}
		var inline *runtime.RawExtension
		if len(inlineDoc) > 0 {
			inline = &runtime.RawExtension{Raw: inlineDoc}
		}
		secrets := fuzzSecrets{}
		for name, data := range secretData {
			s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name}, Data: map[string][]byte{}}
			for k, v := range data {
				s.Data[k] = []byte(v)
			}
			secrets[name] = s
		}

		p, err := Build(context.Background(), secrets, "ns", inline, from)
		p2, err2 := Build(context.Background(), secrets, "ns", inline, from)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			if err2 == nil || err2.Error() != err.Error() {
				t.Fatalf("the same parameters fail differently: %q, then %v", err, err2)
			}
			checkQuotesNoSecret(t, err.Error(), secretData, inlineDoc, from)
			return
		}
		if err2 != nil || !reflect.DeepEqual(p, p2) {
			t.Fatalf("the same parameters build differently: %+v, then %+v, %v", p, p2, err2)
		}
		checkMerge(t, p, inline, from, secrets)
		if raw := p.RedactedRaw(); raw != nil {
			checkQuotesNoSecret(t, string(raw.Raw), secretData, inlineDoc, from)
		} else if len(p.Redacted) > 0 {
			t.Fatal("no redacted form of parameters that have keys")
		}
		checkRedact(t, p, secretData)
	})
}

// minQuoted is the length from which a Secret value quoted in text counts as a leak;
// shorter ones ("1", "true") are ordinary words.
const minQuoted = 6

// checkQuotesNoSecret fails the test if text quotes a value of a Secret that does not
// appear in what the user wrote (names, keys, inline parameters) or in a Secret key.
func checkQuotesNoSecret(t *testing.T, text string, secretData map[string]map[string]string, inline []byte, from []v1beta1.ParametersFromSource) {
	t.Helper()
	public := []string{string(inline), Redacted}
	for _, f := range from {
		if f.SecretKeyRef != nil {
			public = append(public, f.SecretKeyRef.Name, f.SecretKeyRef.Key)
		}
	}
	var values []string
	for name, data := range secretData {
		public = append(public, name)
		for k, v := range data {
			public = append(public, k)
			values = append(values, v)
			var decoded map[string]any
			if decodeJSON(v, &decoded) {
				for key, leaf := range decoded {
					public = append(public, key)
					values = appendStringLeaves(values, leaf, &public)
				}
			}
		}
	}
	for _, v := range values {
		if len(v) < minQuoted || !strings.Contains(text, v) {
			continue
		}
		quotedPublic := false
		for _, p := range public {
			quotedPublic = quotedPublic || strings.Contains(p, v)
		}
		if !quotedPublic {
			t.Fatalf("%q quotes the Secret value %q", text, v)
		}
	}
}

// decodeJSON decodes a JSON document as Build does.
func decodeJSON(doc string, v *map[string]any) bool {
	values, err := decodeObject([]byte(doc))
	*v = values
	return err == nil
}

// appendStringLeaves appends the string leaves of a decoded value; the keys of nested
// objects go to public.
func appendStringLeaves(out []string, v any, public *[]string) []string {
	switch v := v.(type) {
	case string:
		out = append(out, v)
	case map[string]any:
		for k, e := range v {
			*public = append(*public, k)
			out = appendStringLeaves(out, e, public)
		}
	case []any:
		for _, e := range v {
			out = appendStringLeaves(out, e, public)
		}
	}
	return out
}

// checkMerge checks where every parameter of p comes from, and its checksum.
func checkMerge(t *testing.T, p *Parameters, inline *runtime.RawExtension, from []v1beta1.ParametersFromSource, secrets fuzzSecrets) {
	t.Helper()
	want, err := Inline(inline)
	if err != nil {
		t.Fatalf("Build accepted inline parameters Inline refuses: %v", err)
	}
	for k, v := range want {
		if !reflect.DeepEqual(p.Values[k], v) || !reflect.DeepEqual(p.Redacted[k], v) {
			t.Fatalf("inline parameter %q: value %v, redacted %v, want %v", k, p.Values[k], p.Redacted[k], v)
		}
	}
	n := len(want)
	for _, f := range from {
		values, err := decodeObject(secrets[f.SecretKeyRef.Name].Data[f.SecretKeyRef.Key])
		if err != nil {
			t.Fatalf("Build accepted a Secret value that is not a JSON object: %v", err)
		}
		for k, v := range values {
			if !reflect.DeepEqual(p.Values[k], v) || p.Redacted[k] != Redacted {
				t.Fatalf("parameter %q from a Secret: value %v, redacted %v", k, p.Values[k], p.Redacted[k])
			}
		}
		n += len(values)
	}
	if len(p.Values) != n || len(p.Redacted) != n {
		t.Fatalf("%d values and %d redacted values from %d parameters given", len(p.Values), len(p.Redacted), n)
	}
	sum, err := Checksum(p.Values)
	if err != nil || sum != p.Checksum {
		t.Fatalf("checksum %q, Checksum of the values %q, %v", p.Checksum, sum, err)
	}
	if b, err := hex.DecodeString(p.Checksum); err != nil || len(b) != 32 {
		t.Fatalf("checksum %q is not a hex SHA-256", p.Checksum)
	}
}

// checkRedact checks that Redact, given SecretValues, removes every one of them from a
// text that holds them all, except values that could overlap the "<redacted>" it writes.
func checkRedact(t *testing.T, p *Parameters, secretData map[string]map[string]string) {
	t.Helper()
	secretValues := p.SecretValues()
	var text strings.Builder
	for _, data := range secretData {
		for _, v := range data {
			text.WriteString(v)
			text.WriteString(" ")
		}
	}
	for _, v := range secretValues {
		text.WriteString(v)
		text.WriteString(" ")
	}
	redacted := Redact(text.String(), secretValues)
	for _, v := range secretValues {
		if strings.ContainsAny(v, "<>") || strings.Contains(Redacted, v) {
			continue
		}
		if strings.Contains(redacted, v) {
			t.Fatalf("Redact left the secret value %q in %q", v, redacted)
		}
	}
}

// fuzzSecrets serves Secrets of namespace "ns" by name. Only Get is implemented: Build
// reads and never writes.
type fuzzSecrets map[string]*corev1.Secret

func (s fuzzSecrets) Secrets(namespace string) corev1client.SecretInterface {
	return fuzzSecretClient{namespace: namespace, secrets: s}
}

type fuzzSecretClient struct {
	corev1client.SecretInterface
	namespace string
	secrets   fuzzSecrets
}

func (c fuzzSecretClient) Get(_ context.Context, name string, _ metav1.GetOptions) (*corev1.Secret, error) {
	s, ok := c.secrets[name]
	if !ok || c.namespace != "ns" {
		return nil, apierrors.NewNotFound(corev1.Resource("secrets"), name)
	}
	return s.DeepCopy(), nil
}
