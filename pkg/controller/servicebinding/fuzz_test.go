package servicebinding

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// fuzzSource is the Secret addKeysFrom may name in the fuzz target.
const fuzzSource = "extra"

// FuzzBuildSecret writes a binding Secret from arbitrary broker credentials (a JSON
// object, decoded as the OSB client decodes it), endpoints, secretTransforms (any that
// decode, valid or not) and the data of the one Secret addKeysFrom can find, as the bind
// loop does. Properties:
//   - nothing panics;
//   - it fails only with the loop's two typed errors, whose messages quote no credential
//     and no value of the source Secret (anything at least minSecretText long that is not
//     also a key, a name or a value written in the transforms);
//   - the credentials and the source Secret are left as they were: the loop keeps the
//     credentials to write them again after a failed write;
//   - it is deterministic, and every key of the Secret is a valid Secret key;
//   - the Secret is the binding's, in its namespace, controlled by it, of type Opaque or
//     servicebinding.io/<type>;
//   - the transforms apply in order: the Secret is the one built with all but the last
//     transform, changed by the last one.
func FuzzBuildSecret(f *testing.F) {
	creds := `{"uri":"postgres://u:` + testPassword + `@db:5432/d","username":"u","password":"` + testPassword + `","port":5432,"tls":{"ca":"` + testPassword + `"},"tags":["a",1.5]}`
	f.Add([]byte(creds), []byte(`[{"host":"db","ports":[5432,"9000-9010"]}]`),
		[]byte(`[{"renameKey":{"from":"uri","to":"DATABASE_URL"}},{"addKey":{"key":"host","jsonPathExpression":"{.endpoints[0].host}"}},
			{"addKey":{"key":"mode","stringValue":"rw"}},{"addKey":{"key":"raw","value":"eA=="}},{"addKeysFrom":{"secretRef":{"name":"extra"}}},{"removeKey":{"key":"username"}}]`),
		[]byte(`{"extra-key":"`+testPassword+`"}`), "postgresql")
	f.Add([]byte(creds), []byte(`null`), []byte(`[{"addKey":{"key":"x","jsonPathExpression":"{.nope}"}}]`), []byte(`{}`), "")
	f.Add([]byte(creds), []byte(`[]`), []byte(`[{"addKey":{"key":"x","jsonPathExpression":"{.password[?(@.a==\"b\")]}"}}]`), []byte(`{}`), "Not A Type")
	f.Add([]byte(creds), []byte(`[]`), []byte(`[{"addKey":{"key":"x","jsonPathExpression":"{.tls.ca"}}]`), []byte(`{}`), "t")
	f.Add([]byte(`{"api key":"`+testPassword+`","a/b":"y","type":"redis","provider":"p"}`), []byte(`[]`), []byte(`[{"renameKey":{"from":"api key","to":"api-key"}}]`), []byte(`{}`), "x")
	f.Add([]byte(`{"endpoints":"mine"}`), []byte(`[{"host":"h"}]`), []byte(`[{"addKeysFrom":{"secretRef":{"name":"missing"}}}]`), []byte(`{}`), "x")
	f.Add([]byte(`{}`), []byte(`[]`), []byte(`[{"addKeysFrom":{"secretRef":{"namespace":"other","name":"extra"}}},{},{"addKeysFrom":{}}]`), []byte(`{"k":"v"}`), "x")
	f.Add([]byte(`null`), []byte(`[]`), []byte(`[{"renameKey":{"from":"type","to":"type"}},{"removeKey":{"key":"provider"}},{"renameKey":{"from":"type","to":"k"}}]`), []byte(`{}`), "x")

	f.Fuzz(func(t *testing.T, credsDoc, endpointsDoc, transformsDoc, sourceDoc []byte, serviceType string) {
		var credentials map[string]any
		if err := decodeNumbers(credsDoc, &credentials); err != nil {
			return
		}
		var endpoints []osb.Endpoint
		var transforms []v1beta1.SecretTransform
		var sourceData map[string]string
		if json.Unmarshal(endpointsDoc, &endpoints) != nil || json.Unmarshal(transformsDoc, &transforms) != nil || json.Unmarshal(sourceDoc, &sourceData) != nil {
			return
		}
		source := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: fuzzSource}, Data: map[string][]byte{}}
		for k, v := range sourceData {
			source.Data[k] = []byte(v)
		}
		secrets := fuzzSecrets{source}
		binding := testBinding(func(b *v1beta1.ServiceBinding) { b.Spec.SecretTransforms = transforms })
		credsBefore, sourceBefore := deepCopyJSON(credentials), source.DeepCopy()

		all := withEndpoints(credentials, endpoints)
		secret, err := buildSecret(context.Background(), secrets, binding, all, serviceType, "broker")
		if !reflect.DeepEqual(credentials, credsBefore) {
			t.Fatal("the credentials changed")
		}
		if !reflect.DeepEqual(source, sourceBefore) {
			t.Fatal("the source Secret changed")
		}
		again, errAgain := buildSecret(context.Background(), secrets, binding, all, serviceType, "broker")
		if (err == nil) != (errAgain == nil) || (err != nil && err.Error() != errAgain.Error()) || (err == nil && !reflect.DeepEqual(secret, again)) {
			t.Fatalf("two builds differ: %v / %v", err, errAgain)
		}
		if err != nil {
			checkSecretError(t, err, all, source, binding, serviceType)
			return
		}
		checkBuiltSecret(t, secret, binding)
		if n := len(transforms); n > 0 {
			prefix := testBinding(func(b *v1beta1.ServiceBinding) { b.Spec.SecretTransforms = transforms[:n-1] })
			before, err := buildSecret(context.Background(), secrets, prefix, all, serviceType, "broker")
			if err == nil {
				checkLastTransform(t, before.Data, secret.Data, &transforms[n-1], source)
			}
		}
	})
}

// decodeNumbers decodes one JSON document as the OSB client does: numbers as json.Number.
func decodeNumbers(doc []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("more than one document")
	}
	return nil
}

// deepCopyJSON copies a decoded JSON object.
func deepCopyJSON(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = deepCopyJSONValue(v)
	}
	return out
}

func deepCopyJSONValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return deepCopyJSON(v)
	case []any:
		out := make([]any, len(v))
		for i := range v {
			out[i] = deepCopyJSONValue(v[i])
		}
		return out
	default:
		return v
	}
}

// minSecretText is the length from which a credential quoted in an error counts as a
// leak; shorter values ("tcp", "5432") are ordinary words.
const minSecretText = 6

// checkSecretError checks the type and the text of a failed build.
func checkSecretError(t *testing.T, err error, credentials map[string]any, source *corev1.Secret, binding *v1beta1.ServiceBinding, serviceType string) {
	t.Helper()
	var se *secretError
	var me *missingSourceError
	if !errors.As(err, &se) && !errors.As(err, &me) {
		t.Fatalf("untyped error %T: %v", err, err)
	}
	// What the user wrote, and the keys, may be quoted.
	public := []string{binding.Name, binding.Namespace, binding.Spec.SecretName, serviceType}
	for k := range credentials {
		public = append(public, k)
	}
	for k := range source.Data {
		public = append(public, k)
	}
	for _, tr := range binding.Spec.SecretTransforms {
		public = append(public, transformText(&tr)...)
	}
	var values []string
	collectLeaves(credentials, &values)
	for _, v := range source.Data {
		values = append(values, string(v))
	}
	msg := err.Error()
	for _, v := range values {
		if len(v) < minSecretText || !strings.Contains(msg, v) {
			continue
		}
		quotedPublic := false
		for _, p := range public {
			quotedPublic = quotedPublic || strings.Contains(p, v)
		}
		if !quotedPublic {
			t.Fatalf("the error quotes the secret value %q: %s", v, msg)
		}
	}
}

// transformText returns the strings a transform holds.
func transformText(tr *v1beta1.SecretTransform) []string {
	var out []string
	if r := tr.RenameKey; r != nil {
		out = append(out, r.From, r.To)
	}
	if a := tr.AddKey; a != nil {
		out = append(out, a.Key, string(a.Value))
		if a.StringValue != nil {
			out = append(out, *a.StringValue)
		}
		if a.JSONPathExpression != nil {
			out = append(out, *a.JSONPathExpression)
		}
	}
	if a := tr.AddKeysFrom; a != nil && a.SecretRef != nil {
		out = append(out, a.SecretRef.Name, a.SecretRef.Namespace)
	}
	if r := tr.RemoveKey; r != nil {
		out = append(out, r.Key)
	}
	return out
}

// collectLeaves appends the string leaves of a decoded JSON value, and the JSON of every
// other value.
func collectLeaves(v any, out *[]string) {
	switch v := v.(type) {
	case string:
		*out = append(*out, v)
	case map[string]any:
		for _, e := range v {
			collectLeaves(e, out)
		}
	case []any:
		for _, e := range v {
			collectLeaves(e, out)
		}
	default:
		if data, err := json.Marshal(v); err == nil {
			*out = append(*out, string(data))
		}
	}
}

// checkBuiltSecret checks a built Secret's identity, type and keys.
func checkBuiltSecret(t *testing.T, secret *corev1.Secret, binding *v1beta1.ServiceBinding) {
	t.Helper()
	if secret.Namespace != binding.Namespace || secret.Name != secretName(binding) || !metav1.IsControlledBy(secret, binding) {
		t.Fatalf("Secret %s/%s (owners %v) for binding %s/%s", secret.Namespace, secret.Name, secret.OwnerReferences, binding.Namespace, binding.Name)
	}
	for k := range secret.Data {
		if errs := validation.IsConfigMapKey(k); len(errs) > 0 {
			t.Fatalf("the Secret has the invalid key %q: %v", k, errs)
		}
	}
	typ := string(secret.Data[TypeKey])
	switch {
	case secret.Type == corev1.SecretTypeOpaque:
		if typ != "" && len(validation.IsDNS1123Subdomain(typ)) == 0 {
			t.Fatalf("Secret of type Opaque for the service type %q", typ)
		}
	case string(secret.Type) != SecretTypePrefix+typ || len(validation.IsDNS1123Subdomain(typ)) > 0:
		t.Fatalf("Secret of type %q for the service type %q", secret.Type, typ)
	}
}

// checkLastTransform checks that after is before changed by tr, as the documentation of
// each transform says. A JSONPath's value is not recomputed: its key must be there.
func checkLastTransform(t *testing.T, before, after map[string][]byte, tr *v1beta1.SecretTransform, source *corev1.Secret) {
	t.Helper()
	want := maps.Clone(before)
	switch {
	case tr.RenameKey != nil:
		if v, ok := want[tr.RenameKey.From]; ok {
			delete(want, tr.RenameKey.From)
			want[tr.RenameKey.To] = v
		}
	case tr.AddKey != nil:
		a := tr.AddKey
		switch {
		case a.StringValue != nil:
			want[a.Key] = []byte(*a.StringValue)
		case a.JSONPathExpression != nil:
			v, ok := after[a.Key]
			if !ok {
				t.Fatalf("addKey %q from a JSONPath: no such key", a.Key)
			}
			want[a.Key] = v
		default:
			want[a.Key] = a.Value
		}
	case tr.AddKeysFrom != nil && tr.AddKeysFrom.SecretRef != nil:
		maps.Copy(want, source.Data)
	case tr.RemoveKey != nil:
		delete(want, tr.RemoveKey.Key)
	}
	// The type and provider keys are added before the transforms, so they behave like any
	// other key; empty and nil values are the same Secret data.
	if !maps.EqualFunc(after, want, bytes.Equal) {
		t.Fatalf("the last transform %+v turned\n%q\ninto\n%q, want\n%q", tr, before, after, want)
	}
}

// fuzzSecrets serves the one Secret it holds, by name, in its namespace; any other is
// not found. Only Get is implemented: building a Secret reads and never writes.
type fuzzSecrets struct {
	secret *corev1.Secret
}

func (s fuzzSecrets) Secrets(namespace string) corev1client.SecretInterface {
	return fuzzSecretClient{namespace: namespace, secret: s.secret}
}

type fuzzSecretClient struct {
	corev1client.SecretInterface
	namespace string
	secret    *corev1.Secret
}

func (c fuzzSecretClient) Get(_ context.Context, name string, _ metav1.GetOptions) (*corev1.Secret, error) {
	if c.namespace != c.secret.Namespace || name != c.secret.Name {
		return nil, apierrors.NewNotFound(corev1.Resource("secrets"), name)
	}
	return c.secret, nil
}
