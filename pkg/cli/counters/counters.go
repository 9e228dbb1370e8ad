// Package counters asks the controller to act again by incrementing a counter of an
// object's spec, such as an instance's updateRequests or a binding's rotationRequests.
// The increment is a JSON merge patch that carries the resourceVersion it was computed
// from, so that two increments at once are both counted: on a conflict the object is
// read again and the patch retried.
package counters

import (
	"context"
	"encoding/json"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/util/retry"
)

// Counter is a counter field of an object's spec.
type Counter struct {
	// Field is the field's JSON name in the spec.
	Field string
	// Read returns the object's resourceVersion and the counter's value.
	Read func(ctx context.Context) (resourceVersion string, value int64, err error)
	// Patch sends patch, a JSON merge patch that sets the counter to value, and returns
	// the patched object.
	Patch func(ctx context.Context, patch []byte, value int64) (runtime.Object, error)
}

// Bump increments the counter and returns the patched object and the counter's new
// value.
func Bump(ctx context.Context, c Counter) (runtime.Object, int64, error) {
	var (
		patched runtime.Object
		value   int64
	)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		resourceVersion, current, err := c.Read(ctx)
		if err != nil {
			return err
		}
		value = current + 1
		patch, err := json.Marshal(map[string]any{
			"metadata": map[string]any{"resourceVersion": resourceVersion},
			"spec":     map[string]any{c.Field: value},
		})
		if err != nil {
			return err
		}
		patched, err = c.Patch(ctx, patch, value)
		return err
	})
	return patched, value, err
}
