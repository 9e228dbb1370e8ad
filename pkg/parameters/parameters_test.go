package parameters

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

// secretValue appears in every Secret of these tests; no message may ever contain it.
const secretValue = "hunter2-do-not-print"

func secret(name string, data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name}, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

func raw(s string) *runtime.RawExtension { return &runtime.RawExtension{Raw: []byte(s)} }

func from(name, key string) v1beta1.ParametersFromSource {
	return v1beta1.ParametersFromSource{SecretKeyRef: &v1beta1.SecretKeyReference{Name: name, Key: key}}
}

func TestBuildMergesInlineParametersAndSecretsAndRedactsTheSecretOnes(t *testing.T) {
	kube := fake.NewClientset(
		secret("db-password", map[string]string{"params": `{"password":"` + secretValue + `","admin":{"name":"root"}}`}),
		secret("tls", map[string]string{"json": `{"cert":"` + secretValue + `"}`}),
	)
	p, err := Build(context.Background(), kube.CoreV1(), "ns", raw(`{"size":3,"name":"db"}`),
		[]v1beta1.ParametersFromSource{from("db-password", "params"), from("tls", "json")})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"size": json.Number("3"), "name": "db",
		"password": secretValue, "admin": map[string]any{"name": "root"}, "cert": secretValue,
	}
	if !reflect.DeepEqual(p.Values, want) {
		t.Errorf("values %#v, want %#v", p.Values, want)
	}
	wantRedacted := map[string]any{"size": json.Number("3"), "name": "db", "password": Redacted, "admin": Redacted, "cert": Redacted}
	if !reflect.DeepEqual(p.Redacted, wantRedacted) {
		t.Errorf("redacted %#v, want %#v", p.Redacted, wantRedacted)
	}
	stored := p.RedactedRaw()
	if stored == nil || strings.Contains(string(stored.Raw), secretValue) {
		t.Fatalf("stored parameters %v hold a secret value", stored)
	}
	var storedValues map[string]any
	if err := json.Unmarshal(stored.Raw, &storedValues); err != nil || storedValues["password"] != Redacted || storedValues["size"] != float64(3) {
		t.Errorf("stored parameters %s: %v", stored.Raw, err)
	}
	if want, _ := Checksum(p.Values); p.Checksum != want || len(p.Checksum) != 64 {
		t.Errorf("checksum %q, want the SHA-256 of the values %q", p.Checksum, want)
	}
}

func TestBuildWithoutParameters(t *testing.T) {
	for _, inline := range []*runtime.RawExtension{nil, {}, raw(`{}`)} {
		p, err := Build(context.Background(), fake.NewClientset().CoreV1(), "ns", inline, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Values) != 0 || p.RedactedRaw() != nil {
			t.Errorf("inline %v: values %v, stored %v", inline, p.Values, p.RedactedRaw())
		}
		if want, _ := Checksum(map[string]any{}); p.Checksum != want {
			t.Errorf("inline %v: checksum %q, want that of no parameters %q", inline, p.Checksum, want)
		}
	}
}

func TestChecksumIsStableAndTellsValuesApart(t *testing.T) {
	build := func(inline string) string {
		t.Helper()
		p, err := Build(context.Background(), fake.NewClientset().CoreV1(), "ns", raw(inline), nil)
		if err != nil {
			t.Fatal(err)
		}
		return p.Checksum
	}
	a := build(`{"a":1,"b":{"x":true,"y":[1,2]},"c":"z"}`)
	if b := build(` {"c":"z", "b":{"y":[1,2],"x":true}, "a":1} `); a != b {
		t.Errorf("the order of keys changed the checksum: %s, %s", a, b)
	}
	for _, other := range []string{
		`{"a":2,"b":{"x":true,"y":[1,2]},"c":"z"}`,
		`{"a":1,"b":{"x":true,"y":[2,1]},"c":"z"}`,
		`{"a":1,"b":{"x":true,"y":[1,2]}}`,
		`{"a":"1","b":{"x":true,"y":[1,2]},"c":"z"}`,
	} {
		if build(other) == a {
			t.Errorf("%s has the checksum of different values", other)
		}
	}
	// Equal maps built in different orders have one checksum.
	x, _ := Checksum(map[string]any{"k1": "v", "k2": map[string]any{"a": 1, "b": 2}})
	y, _ := Checksum(map[string]any{"k2": map[string]any{"b": 2, "a": 1}, "k1": "v"})
	if x != y {
		t.Errorf("Checksum depends on map order: %s, %s", x, y)
	}
}

func TestBuildErrors(t *testing.T) {
	secrets := []*corev1.Secret{
		secret("params", map[string]string{
			"good":   `{"password":"` + secretValue + `"}`,
			"other":  `{"user":"` + secretValue + `"}`,
			"array":  `["` + secretValue + `"]`,
			"string": `"` + secretValue + `"`,
			"broken": `{"password":"` + secretValue,
			"two":    `{"a":"` + secretValue + `"}{"b":1}`,
			"null":   `null`,
		}),
	}
	for _, tc := range []struct {
		name    string
		inline  *runtime.RawExtension
		from    []v1beta1.ParametersFromSource
		message string
	}{
		{"inline array", raw(`["` + secretValue + `"]`), nil, "spec.parameters must be a JSON object"},
		{"inline string", raw(`"` + secretValue + `"`), nil, "spec.parameters must be a JSON object"},
		{"inline null", raw(`null`), nil, "spec.parameters must be a JSON object"},
		{"inline with trailing data", raw(`{"a":"` + secretValue + `"} {"b":1}`), nil, "spec.parameters must be a JSON object"},
		{"inline not JSON", raw(`{"a":"` + secretValue), nil, "spec.parameters must be a JSON object"},
		{"no source", nil, []v1beta1.ParametersFromSource{{}}, "spec.parametersFrom[0] names no source"},
		{"missing Secret", nil, []v1beta1.ParametersFromSource{from("params", "good"), from("nope", "good")},
			`spec.parametersFrom[1]: Secret "nope" not found`},
		{"missing key", nil, []v1beta1.ParametersFromSource{from("params", "nope")}, `spec.parametersFrom[0]: Secret "params" has no key "nope"`},
		{"array in a Secret", nil, []v1beta1.ParametersFromSource{from("params", "array")},
			`spec.parametersFrom[0]: key "array" of Secret "params" must hold a JSON object`},
		{"string in a Secret", nil, []v1beta1.ParametersFromSource{from("params", "string")},
			`spec.parametersFrom[0]: key "string" of Secret "params" must hold a JSON object`},
		{"broken JSON in a Secret", nil, []v1beta1.ParametersFromSource{from("params", "broken")},
			`spec.parametersFrom[0]: key "broken" of Secret "params" must hold a JSON object`},
		{"two objects in a Secret", nil, []v1beta1.ParametersFromSource{from("params", "two")},
			`spec.parametersFrom[0]: key "two" of Secret "params" must hold a JSON object`},
		{"null in a Secret", nil, []v1beta1.ParametersFromSource{from("params", "null")},
			`spec.parametersFrom[0]: key "null" of Secret "params" must hold a JSON object`},
		{"a key inline and in a Secret", raw(`{"password":"` + secretValue + `"}`), []v1beta1.ParametersFromSource{from("params", "good")},
			`parameter "password" is given by both spec.parameters and Secret "params" key "good"`},
		{"a key in two Secrets", nil, []v1beta1.ParametersFromSource{from("params", "good"), from("params", "other"), from("params", "good")},
			`parameter "password" is given by both Secret "params" key "good" and Secret "params" key "good"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs := make([]runtime.Object, len(secrets))
			for i, s := range secrets {
				objs[i] = s
			}
			p, err := Build(context.Background(), fake.NewClientset(objs...).CoreV1(), "ns", tc.inline, tc.from)
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Build = %v, %v; want a *parameters.Error", p, err)
			}
			if err.Error() != tc.message {
				t.Errorf("message %q, want %q", err.Error(), tc.message)
			}
			if strings.Contains(err.Error(), secretValue) {
				t.Errorf("message %q holds a parameter value", err.Error())
			}
		})
	}
}

func TestBuildReadsSecretsOfTheObjectsNamespaceOnly(t *testing.T) {
	kube := fake.NewClientset(secret("params", map[string]string{"good": `{"a":1}`}))
	_, err := Build(context.Background(), kube.CoreV1(), "elsewhere", nil, []v1beta1.ParametersFromSource{from("params", "good")})
	var pe *Error
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), `Secret "params" not found`) {
		t.Errorf("Build in another namespace = %v", err)
	}
}

func TestBuildPassesOnAFailedSecretRead(t *testing.T) {
	kube := fake.NewClientset()
	kube.PrependReactor("get", "secrets", func(clienttesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewServiceUnavailable("etcd is unwell")
	})
	_, err := Build(context.Background(), kube.CoreV1(), "ns", nil, []v1beta1.ParametersFromSource{from("params", "good")})
	var pe *Error
	if err == nil || errors.As(err, &pe) {
		t.Fatalf("Build = %v; want an error to retry, not one the user must fix", err)
	}
	if !apierrors.IsServiceUnavailable(err) || !strings.Contains(err.Error(), "ns/params") {
		t.Errorf("error %v does not wrap the API error and name the Secret", err)
	}
}
