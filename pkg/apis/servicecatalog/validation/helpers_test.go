package validation

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// errorCase is an invalid object and where its errors are. The case's key in the error
// map is a substring of the error at field; alsoAt lists the other paths the object is
// expected to have errors at, if any. Errors anywhere else fail the test, so each case
// breaks exactly the rule it names.
type errorCase[T any] struct {
	obj    T
	field  string
	alsoAt []string
}

// expectErrors checks errs against an error case: an error at path whose text contains
// msg, an error at each of alsoAt, and no error anywhere else.
func expectErrors(t *testing.T, errs field.ErrorList, msg, path string, alsoAt ...string) {
	t.Helper()
	if len(errs) == 0 {
		t.Errorf("expected an error at %s containing %q, got none", path, msg)
		return
	}
	allowed := sets.New(alsoAt...).Insert(path)
	seen := sets.New[string]()
	found := false
	for _, err := range errs {
		seen.Insert(err.Field)
		if !allowed.Has(err.Field) {
			t.Errorf("unexpected error at %s: %v", err.Field, err)
		}
		if err.Field == path && strings.Contains(err.Error(), msg) {
			found = true
		}
	}
	if !found {
		t.Errorf("expected an error at %s containing %q, got %v", path, msg, errs)
	}
	if missing := sets.New(alsoAt...).Difference(seen); missing.Len() > 0 {
		t.Errorf("expected errors at %v as well, got %v", sets.List(missing), errs)
	}
}

// expectNoErrors fails the test when errs is not empty.
func expectNoErrors(t *testing.T, errs field.ErrorList) {
	t.Helper()
	for _, err := range errs {
		t.Errorf("unexpected error: %v", err)
	}
}

// raw wraps a JSON document as stored parameters or schema.
func raw(doc string) *runtime.RawExtension {
	return &runtime.RawExtension{Raw: []byte(doc)}
}
