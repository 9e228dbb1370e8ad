package jsondigest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/helper"
)

func TestDiffer(t *testing.T) {
	tests := []struct {
		name   string
		a, b   string
		differ bool
	}{
		{"same bytes", `{"a":1}`, `{"a":1}`, false},
		{"whitespace", `{"a":1}`, " {\n  \"a\" : 1\n}\n", false},
		{"key order", `{"a":1,"b":{"x":true,"y":null}}`, `{"b":{"y":null,"x":true},"a":1}`, false},
		{"number rendering", `{"a":1.0,"b":1e3,"c":-0.50,"d":0,"e":1E+2}`, `{"a":1,"b":1000,"c":-5e-1,"d":-0.0,"e":100}`, false},
		{"huge exponents", `1e999999999`, `10e999999998`, false},
		{"exponents beyond int64 by text", `1e99999999999999999999`, `1e99999999999999999999`, false},
		{"string escapes", `{"a":"\u003c","\u0062":"\"\\/"}`, `{"a":"<","b":"\"\\\/"}`, false},
		{"other bytes", `"é"`, `"\u00e9"`, false},
		{"invalid UTF-8 as encoding/json decodes it", "\"\xff\"", `"\ufffd"`, false},
		{"empty containers", `{"a":{},"b":[]}`, `{"b":[ ],"a":{ }}`, false},

		{"number value", `{"a":1}`, `{"a":1.5}`, true},
		{"number sign", `{"a":1}`, `{"a":-1}`, true},
		{"integers beyond float64", `9007199254740993`, `9007199254740992`, true},
		{"number exponent", `1e3`, `1e4`, true},
		{"number and string", `{"a":1}`, `{"a":"1"}`, true},
		{"array order", `[1,2]`, `[2,1]`, true},
		{"array length", `[1,2]`, `[1,2,2]`, true},
		{"nested arrays", `[[1],[2]]`, `[[1,2]]`, true},
		{"missing key", `{"a":1,"b":2}`, `{"a":1,"c":2}`, true},
		{"extra key", `{"a":1}`, `{"a":1,"b":null}`, true},
		{"null and missing", `{"a":null}`, `{}`, true},
		{"object and array", `{}`, `[]`, true},
		{"keys and values swapped", `{"a":"b"}`, `{"b":"a"}`, true},
		{"literals", `[true,false,null]`, `[false,true,null]`, true},

		// What the digest leaves to decoding: never a claim that they differ.
		{"invalid", `{"a":`, `{"a":1}`, false},
		{"trailing data", `{"a":1} {}`, `{"a":1}`, false},
		{"a key twice", `{"a":1,"a":2}`, `{"a":2}`, false},
		{"too deep", strings.Repeat("[", maxDepth+2) + strings.Repeat("]", maxDepth+2), `[]`, false},
		{"empty", ``, `{}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Differ([]byte(tc.a), []byte(tc.b)); got != tc.differ {
				t.Errorf("Differ(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.differ)
			}
			if got := Differ([]byte(tc.b), []byte(tc.a)); got != tc.differ {
				t.Errorf("Differ(%s, %s) = %v, want %v (not symmetric)", tc.b, tc.a, got, tc.differ)
			}
			if tc.differ && semanticEqual(tc.a, tc.b) {
				t.Errorf("helper.Semantic finds %s and %s equal", tc.a, tc.b)
			}
		})
	}
}

// TestRenderings digests random documents rendered in different ways, and the same with
// one value changed.
func TestRenderings(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		v := randomValue(rng, 4)
		a, b := render(rng, v), render(rng, v)
		if !semanticEqual(a, b) {
			t.Fatalf("case %d: the renderings %s and %s are not one value to helper.Semantic", i, a, b)
		}
		da, okA := Of([]byte(a))
		db, okB := Of([]byte(b))
		if !okA || !okB || da != db {
			t.Fatalf("case %d: %s (%x, %v) and %s (%x, %v) hold one value", i, a, da, okA, b, db, okB)
		}
		if c := render(rng, changed(rng, v)); !Differ([]byte(a), []byte(c)) {
			t.Fatalf("case %d: %s and %s hold different values", i, a, c)
		}
	}
}

// FuzzDiffer checks that documents helper.Semantic finds equal never differ.
func FuzzDiffer(f *testing.F) {
	for _, seed := range [][2]string{
		{`{"a":1,"b":[1,2]}`, `{"b":[1,2],"a":1.0}`},
		{`"\u00e9"`, `"é"`},
		{`-0.0e-0`, `0`},
		{`{"a":1,"a":2}`, `{"a":2}`},
		{`[1e400,"x"]`, `[10e399,"x"]`},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if Differ([]byte(a), []byte(b)) && semanticEqual(a, b) {
			t.Errorf("Differ(%q, %q), yet helper.Semantic finds them equal", a, b)
		}
	})
}

// TestDifferDoesNotAllocate compares changed parameters of about 1 KiB, as a patch of an
// instance does, without allocating.
func TestDifferDoesNotAllocate(t *testing.T) {
	params := func(storage int) []byte {
		extensions := make([]string, 0, 40)
		for n := range 40 {
			extensions = append(extensions, strconv.Quote(fmt.Sprintf("extension_%02d", n)))
		}
		return fmt.Appendf(nil, `{"extensions":[%s],"storageGB":%d,"tier":"gold","ha":true}`, strings.Join(extensions, ","), storage)
	}
	a, b := params(20), params(30)
	allocs := testing.AllocsPerRun(100, func() {
		if !Differ(a, b) {
			t.Fatal("the parameters differ")
		}
	})
	if allocs != 0 {
		t.Errorf("Differ allocates %v times, want 0", allocs)
	}
}

func semanticEqual(a, b string) bool {
	return helper.Semantic.DeepEqual(runtime.RawExtension{Raw: []byte(a)}, runtime.RawExtension{Raw: []byte(b)})
}

// value is a JSON value: nil, bool, number (a float64 of small integers and halves),
// string, []value or map[string]value.
type value = any

func randomValue(rng *rand.Rand, depth int) value {
	switch k := rng.IntN(7); {
	case depth == 0 || k < 3:
		return randomLeaf(rng)
	case k < 5:
		arr := make([]value, rng.IntN(4))
		for i := range arr {
			arr[i] = randomValue(rng, depth-1)
		}
		return arr
	default:
		obj := map[string]value{}
		for range rng.IntN(5) {
			obj[randomString(rng)] = randomValue(rng, depth-1)
		}
		return obj
	}
}

func randomLeaf(rng *rand.Rand) value {
	switch rng.IntN(5) {
	case 0:
		return nil
	case 1:
		return rng.IntN(2) == 0
	case 2:
		return float64(rng.IntN(2001)-1000) / 2
	default:
		return randomString(rng)
	}
}

func randomString(rng *rand.Rand) string {
	const letters = `ab<"\é/`
	runes := []rune(letters)
	var sb strings.Builder
	for range rng.IntN(4) {
		sb.WriteRune(runes[rng.IntN(len(runes))])
	}
	return sb.String()
}

// changed returns v with one leaf changed, or a member added.
func changed(rng *rand.Rand, v value) value {
	switch v := v.(type) {
	case []value:
		if len(v) == 0 {
			return []value{nil}
		}
		out := slices.Clone(v)
		i := rng.IntN(len(out))
		out[i] = changed(rng, out[i])
		return out
	case map[string]value:
		out := map[string]value{}
		for k, e := range v {
			out[k] = e
		}
		for k, e := range out {
			out[k] = changed(rng, e)
			return out
		}
		out["new"] = nil
		return out
	case float64:
		return v + 0.5
	case string:
		return v + "x"
	case bool:
		return !v
	}
	return false // nil
}

// render writes v as JSON with random whitespace, key order, escapes and number
// notation.
func render(rng *rand.Rand, v value) string {
	var sb strings.Builder
	renderTo(&sb, rng, v)
	return sb.String()
}

func renderTo(sb *strings.Builder, rng *rand.Rand, v value) {
	space := func() { sb.WriteString([]string{"", "", " ", "\n\t", "\r\n  "}[rng.IntN(5)]) }
	space()
	switch v := v.(type) {
	case nil:
		sb.WriteString("null")
	case bool:
		sb.WriteString(strconv.FormatBool(v))
	case float64:
		sb.WriteString(renderNumber(rng, v))
	case string:
		sb.WriteString(renderString(rng, v))
	case []value:
		sb.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				sb.WriteByte(',')
			}
			renderTo(sb, rng, e)
		}
		space()
		sb.WriteByte(']')
	case map[string]value:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
		sb.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				sb.WriteByte(',')
			}
			space()
			sb.WriteString(renderString(rng, k))
			space()
			sb.WriteByte(':')
			renderTo(sb, rng, v[k])
		}
		space()
		sb.WriteByte('}')
	}
	space()
}

// renderNumber writes n, a multiple of one half, in one of several notations.
func renderNumber(rng *rand.Rand, n float64) string {
	halves := int64(n * 2)
	sign := ""
	if halves < 0 {
		sign, halves = "-", -halves
	}
	whole, frac := halves/2, halves%2*5
	tenths := strconv.FormatInt(whole*10+frac, 10) // n is tenths × 10⁻¹
	switch rng.IntN(4) {
	case 0:
		if frac == 0 {
			return sign + strconv.FormatInt(whole, 10)
		}
		return fmt.Sprintf("%s%d.%d", sign, whole, frac)
	case 1:
		return fmt.Sprintf("%s%d.%d00", sign, whole, frac)
	case 2:
		return sign + tenths + "e-1"
	default:
		return fmt.Sprintf("%s0.%sE%d", sign, tenths, len(tenths)-1)
	}
}

// renderString quotes s, escaping some characters that need no escape.
func renderString(rng *rand.Rand, s string) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			sb.WriteByte('\\')
			sb.WriteRune(r)
		case rng.IntN(3) == 0:
			fmt.Fprintf(&sb, `\u%04x`, r)
		default:
			sb.WriteRune(r)
		}
	}
	sb.WriteByte('"')
	return sb.String()
}
