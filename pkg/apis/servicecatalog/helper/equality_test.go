package helper

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

func raw(doc string) *runtime.RawExtension {
	return &runtime.RawExtension{Raw: []byte(doc)}
}

func TestSemanticRawExtensions(t *testing.T) {
	tests := []struct {
		name string
		a, b *runtime.RawExtension
		want bool
	}{
		{"both nil", nil, nil, true},
		{"nil and empty object", nil, raw(`{}`), false},
		{"nil and empty extension", nil, &runtime.RawExtension{}, false},
		{"same bytes", raw(`{"a":1}`), raw(`{"a":1}`), true},
		{"whitespace", raw(`{"a":1}`), raw(" {\n  \"a\" : 1\n}\n"), true},
		{"key order", raw(`{"a":1,"b":{"x":true,"y":null}}`), raw(`{"b":{"y":null,"x":true},"a":1}`), true},
		{"number rendering", raw(`{"a":1.0,"b":1e3,"c":-0.50,"d":0}`), raw(`{"a":1,"b":1000,"c":-5e-1,"d":-0.0}`), true},
		{"number value", raw(`{"a":1}`), raw(`{"a":1.5}`), false},
		{"number sign", raw(`{"a":1}`), raw(`{"a":-1}`), false},
		{"integers beyond float64", raw(`{"a":9007199254740993}`), raw(`{"a":9007199254740992}`), false},
		{"huge exponents", raw(`{"a":1e999999999}`), raw(`{"a":10e999999998}`), true},
		{"number and string", raw(`{"a":1}`), raw(`{"a":"1"}`), false},
		{"array order", raw(`[1,2]`), raw(`[2,1]`), false},
		{"array length", raw(`[1,2]`), raw(`[1,2,2]`), false},
		{"missing key", raw(`{"a":1,"b":2}`), raw(`{"a":1,"c":2}`), false},
		{"extra key", raw(`{"a":1}`), raw(`{"a":1,"b":null}`), false},
		{"null and missing", raw(`{"a":null}`), raw(`{}`), false},
		{"object and array", raw(`{}`), raw(`[]`), false},
		{"string escapes", raw(`{"a":"\u003c"}`), raw(`{"a":"<"}`), true},
		{"invalid documents compare by bytes", raw(`{"a":`), raw(`{"a":`), true},
		{"invalid and valid", raw(`{"a":`), raw(`{"a":1}`), false},
		{"trailing data", raw(`{"a":1} {}`), raw(`{"a":1}`), false},
		{"objects without raw", &runtime.RawExtension{Object: &sc.ServiceInstance{}}, &runtime.RawExtension{Object: &sc.ServiceInstance{}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Semantic.DeepEqual(tc.a, tc.b); got != tc.want {
				t.Errorf("Semantic.DeepEqual(%s, %s) = %v, want %v", rawString(tc.a), rawString(tc.b), got, tc.want)
			}
			if got := Semantic.DeepEqual(tc.b, tc.a); got != tc.want {
				t.Errorf("Semantic.DeepEqual(%s, %s) = %v, want %v (not symmetric)", rawString(tc.b), rawString(tc.a), got, tc.want)
			}
		})
	}
}

func rawString(r *runtime.RawExtension) string {
	if r == nil {
		return "nil"
	}
	return string(r.Raw)
}

// TestSemanticUnstructuredRoundTrip checks the case the equality exists for: a spec that
// went through an unstructured map, as strategic merge patches and server-side apply do,
// is the same spec.
func TestSemanticUnstructuredRoundTrip(t *testing.T) {
	in := &v1beta1.ServiceInstance{Spec: v1beta1.ServiceInstanceSpec{
		PlanReference: v1beta1.PlanReference{ClusterServiceClassExternalName: "pg", ClusterServicePlanExternalName: "small"},
		Parameters:    raw(`{"size":"1Gi","replicas":2.0,"opts":{"z":1,"a":[true,null]}}`),
	}}
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(in)
	if err != nil {
		t.Fatal(err)
	}
	out := &v1beta1.ServiceInstance{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u, out); err != nil {
		t.Fatal(err)
	}
	if string(out.Spec.Parameters.Raw) == string(in.Spec.Parameters.Raw) {
		t.Fatalf("the unstructured roundtrip kept the bytes (%s); this test no longer shows anything", out.Spec.Parameters.Raw)
	}
	if !Semantic.DeepEqual(in.Spec, out.Spec) {
		t.Errorf("spec changed through an unstructured roundtrip:\n  before: %s\n  after:  %s", in.Spec.Parameters.Raw, out.Spec.Parameters.Raw)
	}
}

// TestSemanticKeepsAPIEqualities checks that the copy still has apiequality's rules and is
// still strict elsewhere.
func TestSemanticKeepsAPIEqualities(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	a := sc.ServiceInstanceStatus{OperationStatus: sc.OperationStatus{OperationStartTime: &metav1.Time{Time: now}}}
	b := sc.ServiceInstanceStatus{OperationStatus: sc.OperationStatus{OperationStartTime: &metav1.Time{Time: now.In(time.FixedZone("X", 3600))}}}
	if !Semantic.DeepEqual(a, b) {
		t.Errorf("the same instant in two zones compared unequal")
	}
	if !Semantic.DeepEqual(sc.ServiceInstanceSpec{ParametersFrom: []sc.ParametersFromSource{}}, sc.ServiceInstanceSpec{}) {
		t.Errorf("an empty and a nil slice compared unequal")
	}
	if Semantic.DeepEqual(sc.ServiceInstanceSpec{UpdateRequests: 1}, sc.ServiceInstanceSpec{}) {
		t.Errorf("different specs compared equal")
	}
}

func TestCanonicalNumber(t *testing.T) {
	tests := map[string]string{
		"0":         "0",
		"-0":        "0",
		"0.000":     "0",
		"0e5":       "0",
		"1":         "1e0",
		"1.0":       "1e0",
		"10":        "1e1",
		"100e-2":    "1e0",
		"0.15E1":    "15e-1",
		"1.50":      "15e-1",
		"-12.3400":  "-1234e-2",
		"123456789": "123456789e0",
		"1E+2":      "1e2",
	}
	for in, want := range tests {
		got, ok := canonicalNumber(in)
		if !ok || got != want {
			t.Errorf("canonicalNumber(%q) = %q, %v; want %q, true", in, got, ok, want)
		}
	}
	if _, ok := canonicalNumber("1e99999999999999999999"); ok {
		t.Errorf("an exponent beyond int64 was accepted")
	}
}
