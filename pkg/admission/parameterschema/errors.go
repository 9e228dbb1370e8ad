package parameterschema

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var printer = message.NewPrinter(language.English)

// maxErrors bounds the errors reported for one request.
const maxErrors = 20

// fieldErrors turns a failed validation of params into errors on the fields of
// spec.parameters, one per rule broken, naming the rule and its limit. Values are never
// repeated: some came from Secrets.
func fieldErrors(params map[string]any, which Which, err error) field.ErrorList {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return field.ErrorList{field.InternalError(field.NewPath("spec", "parameters"), err)}
	}
	var out field.ErrorList
	for _, leaf := range leaves(ve) {
		out = append(out, leafErrors(params, which, leaf)...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	if len(out) > maxErrors {
		out = append(out[:maxErrors], field.TooMany(field.NewPath("spec", "parameters"), len(out), maxErrors))
	}
	return out
}

// leaves returns the errors of a validation that have no causes: the rules broken.
func leaves(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(e.Causes) == 0 {
		return []*jsonschema.ValidationError{e}
	}
	var out []*jsonschema.ValidationError
	for _, c := range e.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}

// leafErrors turns one broken rule into field errors: a missing property is an error on
// that property, as is a property the schema does not allow.
func leafErrors(params map[string]any, which Which, leaf *jsonschema.ValidationError) field.ErrorList {
	path := pathOf(params, leaf.InstanceLocation)
	rule := fmt.Sprintf("the plan's %s schema, %s", which, keyword(leaf.ErrorKind))
	var out field.ErrorList
	switch k := leaf.ErrorKind.(type) {
	case *kind.Required:
		for _, name := range k.Missing {
			out = append(out, field.Required(path.Child(name), fmt.Sprintf("is required (%s)", rule)))
		}
	case *kind.AdditionalProperties:
		for _, name := range k.Properties {
			out = append(out, field.Forbidden(path.Child(name), fmt.Sprintf("is not a parameter of this plan (%s)", rule)))
		}
	default:
		out = append(out, &field.Error{Type: field.ErrorTypeInvalid, Field: path.String(), BadValue: field.OmitValueType{},
			Detail: fmt.Sprintf("%s (%s)", describe(leaf.ErrorKind), rule)})
	}
	return out
}

// pathOf turns a location in params into a field path under spec.parameters; a token
// is an index where the value it points into is an array.
func pathOf(params map[string]any, location []string) *field.Path {
	path := field.NewPath("spec", "parameters")
	var v any = params
	for _, token := range location {
		switch current := v.(type) {
		case []any:
			i, err := strconv.Atoi(token)
			if err == nil && i >= 0 && i < len(current) {
				path, v = path.Index(i), current[i]
				continue
			}
		case map[string]any:
			path, v = path.Child(token), current[token]
			continue
		}
		path, v = path.Child(token), nil
	}
	return path
}

// keyword names the schema keyword a rule comes from. The keywords that hold a rule per
// property (dependencies, dependentRequired, dependentSchemas) end their path with the
// property's name; the keyword is the element before it.
func keyword(k jsonschema.ErrorKind) string {
	path := k.KeywordPath()
	if len(path) == 0 {
		return "schema"
	}
	if len(path) > 1 {
		switch path[len(path)-2] {
		case "dependencies", "dependentRequired", "dependentSchemas":
			return path[len(path)-2]
		}
	}
	return path[len(path)-1]
}

// describe says what a rule asks, without the value that broke it.
func describe(k jsonschema.ErrorKind) string {
	switch k := k.(type) {
	case *kind.Pattern:
		return fmt.Sprintf("must match the pattern %q", k.Want)
	case *kind.Format:
		return fmt.Sprintf("must be a valid %s", k.Want)
	case *kind.Minimum:
		return "must be at least " + number(k.Want)
	case *kind.Maximum:
		return "must be at most " + number(k.Want)
	case *kind.ExclusiveMinimum:
		return "must be greater than " + number(k.Want)
	case *kind.ExclusiveMaximum:
		return "must be less than " + number(k.Want)
	case *kind.MultipleOf:
		return "must be a multiple of " + number(k.Want)
	case *kind.MinLength:
		return fmt.Sprintf("must be at least %d characters long", k.Want)
	case *kind.MaxLength:
		return fmt.Sprintf("must be at most %d characters long", k.Want)
	case *kind.Enum:
		return "must be one of " + jsonOf(k.Want)
	case *kind.Const:
		return "must be " + jsonOf(k.Want)
	case *kind.Type:
		return fmt.Sprintf("must be of type %s, not %s", strings.Join(k.Want, " or "), k.Got)
	}
	return k.LocalizedString(printer)
}

// number prints a schema's number limit: 5, or 0.25.
func number(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	return strings.TrimRight(r.FloatString(10), "0")
}

// jsonOf prints a value of the schema as JSON.
func jsonOf(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(data)
}
