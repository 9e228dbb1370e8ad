package validation

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestParametersWarnings(t *testing.T) {
	path := field.NewPath("spec", "parameters")
	tests := []struct {
		name   string
		params *runtime.RawExtension
		want   []string // the keys warned about, in order
	}{
		{name: "no parameters", params: nil},
		{name: "empty", params: raw("")},
		{name: "not JSON", params: raw(`{"password":`)},
		{name: "not an object", params: raw(`["password"]`)},
		{name: "nothing secret", params: raw(`{"size":"1Gi","passthrough":true,"keyspace":"k","pass":"p"}`)},
		{name: "nested keys are not inspected", params: raw(`{"db":{"password":"x"}}`)},
		{name: "keys match by substring", params: raw(`{"tokenTTL":"1h"}`), want: []string{"tokenTTL"}},
		{name: "password", params: raw(`{"password":"hunter2"}`), want: []string{"password"}},
		{
			name:   "every kind of secret-looking key, sorted",
			params: raw(`{"size":1,"adminPassword":"x","DB_PASSWD":"x","clientSecret":"x","api_key":"x","apiKey":"x","private-key":"x","privateKey":"x","TOKEN":"x","credentials":"x"}`),
			want:   []string{"DB_PASSWD", "TOKEN", "adminPassword", "apiKey", "api_key", "clientSecret", "credentials", "private-key", "privateKey"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ParametersWarnings(tc.params, path)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d warnings %q, want %d about %q", len(got), got, len(tc.want), tc.want)
			}
			for i, key := range tc.want {
				wantPrefix := path.Key(key).String() + `: "` + key + `" looks like a secret`
				if !strings.HasPrefix(got[i], wantPrefix) {
					t.Errorf("warning %d = %q, want it to start with %q", i, got[i], wantPrefix)
				}
				if !strings.Contains(got[i], "parametersFrom") {
					t.Errorf("warning %d = %q does not point at parametersFrom", i, got[i])
				}
			}
		})
	}
}

// TestParametersWarningsNeverEchoValues checks that warnings, which end up in client
// output and audit logs, name keys but never repeat values.
func TestParametersWarningsNeverEchoValues(t *testing.T) {
	const secret = "hunter2-very-secret"
	warnings := ParametersWarnings(raw(`{"password":"`+secret+`","token":{"value":"`+secret+`"}}`), field.NewPath("spec", "parameters"))
	if len(warnings) != 2 {
		t.Fatalf("got %d warnings, want 2: %q", len(warnings), warnings)
	}
	for _, w := range warnings {
		if strings.Contains(w, secret) {
			t.Errorf("warning repeats a value: %q", w)
		}
	}
}
