package params_test

import (
	"testing"

	"github.com/kube-service-catalog/catalog/pkg/cli/params"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name  string
		pairs []string
		json  string
		want  string
	}{
		{"nothing", nil, "", ""},
		{"numbers, booleans and null are JSON", []string{"storageGB=20", "ha=true", "ratio=0.5", "none=null"}, "", `{"ha":true,"none":null,"ratio":0.5,"storageGB":20}`},
		{"words are strings", []string{"version=sixteen", "empty="}, "", `{"empty":"","version":"sixteen"}`},
		{"a quoted number stays a string", []string{`zip="01234"`}, "", `{"zip":"01234"}`},
		{"objects and arrays are strings", []string{`tags=["a"]`, `o={"a":1}`}, "", `{"o":"{\"a\":1}","tags":"[\"a\"]"}`},
		{"only the first = splits", []string{"query=a=b"}, "", `{"query":"a=b"}`},
		{"JSON object merges", []string{"storageGB=20"}, `{"extensions":["postgis"],"big":12345678901234567890}`, `{"big":12345678901234567890,"extensions":["postgis"],"storageGB":20}`},
	} {
		got, err := params.Parse(tc.pairs, tc.json)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		gotJSON := ""
		if got != nil {
			gotJSON = string(got.Raw)
		}
		if gotJSON != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, gotJSON, tc.want)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		pairs []string
		json  string
		want  string
	}{
		{"no =", []string{"storageGB"}, "", `parameter "storageGB": want key=value`},
		{"no key", []string{"=20"}, "", `parameter "=20": want key=value`},
		{"twice by -p", []string{"a=1", "a=2"}, "", `parameter "a" is given twice`},
		{"by -p and the JSON", []string{"storageGB=20"}, `{"storageGB":10}`, `parameter "storageGB" is given twice`},
		{"JSON not an object", nil, `[1]`, "--params-json must be one JSON object, such as '{\"storageGB\": 20}': got an array"},
		{"JSON null", nil, `null`, "--params-json must be one JSON object, such as '{\"storageGB\": 20}': got null"},
		{"two JSON objects", nil, `{} {}`, "--params-json must be one JSON object, such as '{\"storageGB\": 20}': more than one JSON value"},
		{"not JSON", nil, `{storageGB: 1}`, "--params-json must be one JSON object, such as '{\"storageGB\": 20}': invalid character 's' looking for beginning of object key string"},
	} {
		_, err := params.Parse(tc.pairs, tc.json)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: error %v, want %s", tc.name, err, tc.want)
		}
	}
}
