package controller

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
)

// Object is an API object a loop syncs: one of the catalog kinds.
type Object[T any] interface {
	metav1.Object
	runtime.Object
	DeepCopy() T
}

// Client is the part of a generated typed client that a Writer uses.
type Client[T any] interface {
	UpdateStatus(ctx context.Context, obj T, opts metav1.UpdateOptions) (T, error)
	Patch(ctx context.Context, name string, pt types.PatchType, data []byte, opts metav1.PatchOptions, subresources ...string) (T, error)
}

// Writer reads and writes a loop's objects of one kind. It remembers the loop's writes,
// so that a sync can tell a cached copy older than its last write: acting on it would
// repeat a broker call that was already made.
type Writer[T Object[T]] struct {
	fieldManager string
	client       func(namespace string) Client[T]
	writes       *Writes
}

// NewWriter returns the writer of a kind: client gives the kind's typed client in a
// namespace ("" for a cluster-scoped kind); fieldManager names the loop in managedFields.
func NewWriter[T Object[T]](fieldManager string, client func(namespace string) Client[T]) *Writer[T] {
	return &Writer[T]{fieldManager: fieldManager, client: client, writes: NewWrites()}
}

// Fetch returns a copy of the object that key names, read with get from an informer
// cache, for a sync to change. ok is false when there is nothing to sync: the object is
// gone (and the record of it dropped), or the cache has not seen the loop's last write
// yet; the informer then delivers the newer copy and queues the key again.
func (w *Writer[T]) Fetch(key cache.ObjectName, get func() (T, error)) (obj T, ok bool, err error) {
	cached, err := get()
	switch {
	case apierrors.IsNotFound(err):
		w.writes.Forget(key)
		return obj, false, nil
	case err != nil:
		return obj, false, err
	case w.writes.Stale(key, cached.GetResourceVersion()):
		return obj, false, nil
	}
	return cached.DeepCopy(), true, nil
}

// UpdateStatus writes the object's status and returns the stored object.
func (w *Writer[T]) UpdateStatus(ctx context.Context, obj T) (T, error) {
	updated, err := w.client(obj.GetNamespace()).UpdateStatus(ctx, obj, metav1.UpdateOptions{FieldManager: w.fieldManager})
	if err != nil {
		var none T
		return none, err
	}
	w.writes.Wrote(cache.MetaObjectToName(updated), updated.GetResourceVersion())
	return updated, nil
}

// ReleaseFinalizer removes the catalog finalizer from the object, which lets the API
// server delete it.
func (w *Writer[T]) ReleaseFinalizer(ctx context.Context, obj T) error {
	return ReleaseFinalizer(ctx, w.writes, obj, w.fieldManager, w.client(obj.GetNamespace()).Patch)
}
