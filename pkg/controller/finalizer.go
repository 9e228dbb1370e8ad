package controller

import (
	"context"
	"encoding/json"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

// FinalizersPatch returns a JSON merge patch that sets an object's finalizers, guarded by
// the resourceVersion the caller read, so that it fails rather than undo a change it did
// not see.
func FinalizersPatch(resourceVersion string, finalizers []string) ([]byte, error) {
	if finalizers == nil {
		finalizers = []string{}
	}
	return json.Marshal(map[string]any{"metadata": map[string]any{
		"resourceVersion": resourceVersion,
		"finalizers":      finalizers,
	}})
}

// PatchFunc is the Patch method of a generated typed client.
type PatchFunc[T metav1.Object] func(ctx context.Context, name string, pt types.PatchType, data []byte, opts metav1.PatchOptions, subresources ...string) (T, error)

// ReleaseFinalizer removes the catalog finalizer from obj, which lets the API server
// delete it, and records the write so that a stale cached copy cannot make the loop call
// the broker again.
func ReleaseFinalizer[T metav1.Object](ctx context.Context, writes *Writes, obj T, fieldManager string, patch PatchFunc[T]) error {
	finalizers := slices.DeleteFunc(slices.Clone(obj.GetFinalizers()), func(f string) bool { return f == v1beta1.FinalizerServiceCatalog })
	data, err := FinalizersPatch(obj.GetResourceVersion(), finalizers)
	if err != nil {
		return err
	}
	updated, err := patch(ctx, obj.GetName(), types.MergePatchType, data, metav1.PatchOptions{FieldManager: fieldManager})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	key := cache.MetaObjectToName(obj)
	if len(updated.GetFinalizers()) == 0 {
		// Deleted: the API server answered with the version before the deletion.
		writes.Released(key, updated.GetResourceVersion())
	} else {
		writes.Wrote(key, updated.GetResourceVersion())
	}
	return nil
}
