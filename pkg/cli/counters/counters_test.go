package counters_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kube-service-catalog/catalog/pkg/cli/counters"
)

// A conflict (someone else changed the object in between) reads it again and patches
// with the new resourceVersion and value; the patch always names the version it read.
func TestBumpRetriesOnConflict(t *testing.T) {
	stored := struct {
		resourceVersion string
		value           int64
	}{"7", 2}
	var patches []string
	c := counters.Counter{
		Field: "updateRequests",
		Read: func(context.Context) (string, int64, error) {
			return stored.resourceVersion, stored.value, nil
		},
		Patch: func(_ context.Context, patch []byte, _ int64) (runtime.Object, error) {
			patches = append(patches, string(patch))
			if len(patches) == 1 {
				stored.resourceVersion, stored.value = "8", 5 // another client bumped it
				return nil, apierrors.NewConflict(schema.GroupResource{Resource: "serviceinstances"}, "db", nil)
			}
			return &metav1.Status{}, nil
		},
	}
	_, value, err := counters.Bump(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if value != 6 {
		t.Errorf("new value %d, want 6", value)
	}
	want := []string{
		`{"metadata":{"resourceVersion":"7"},"spec":{"updateRequests":3}}`,
		`{"metadata":{"resourceVersion":"8"},"spec":{"updateRequests":6}}`,
	}
	if diff := cmp.Diff(want, patches); diff != "" {
		t.Errorf("patches (-want +got):\n%s", diff)
	}
}

// Other errors are not retried.
func TestBumpStopsOnOtherErrors(t *testing.T) {
	calls := 0
	c := counters.Counter{
		Field: "rotationRequests",
		Read:  func(context.Context) (string, int64, error) { return "1", 0, nil },
		Patch: func(context.Context, []byte, int64) (runtime.Object, error) {
			calls++
			return nil, apierrors.NewForbidden(schema.GroupResource{Resource: "servicebindings"}, "db", nil)
		},
	}
	if _, _, err := counters.Bump(context.Background(), c); !apierrors.IsForbidden(err) || calls != 1 {
		t.Errorf("error %v after %d patches, want Forbidden after 1", err, calls)
	}
}
