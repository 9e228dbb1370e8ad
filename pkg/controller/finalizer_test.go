package controller

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	"github.com/google/go-cmp/cmp"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

func TestFinalizersPatch(t *testing.T) {
	for _, tc := range []struct {
		name       string
		finalizers []string
		want       string
	}{
		{"keeps the others", []string{"other/finalizer"}, `{"metadata":{"finalizers":["other/finalizer"],"resourceVersion":"42"}}`},
		// null would work as well in a merge patch, but [] says what is meant.
		{"none left", nil, `{"metadata":{"finalizers":[],"resourceVersion":"42"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := FinalizersPatch("42", tc.finalizers)
			if err != nil {
				t.Fatal(err)
			}
			if string(data) != tc.want {
				t.Errorf("patch %s, want %s", data, tc.want)
			}
		})
	}
}

// patchRecorder is a fake Patch method of a typed client.
type patchRecorder struct {
	calls  int
	name   string
	pt     types.PatchType
	data   map[string]any
	opts   metav1.PatchOptions
	answer func(patched *v1beta1.ServiceInstance) (*v1beta1.ServiceInstance, error)
}

func (p *patchRecorder) patch(_ context.Context, name string, pt types.PatchType, data []byte, opts metav1.PatchOptions, _ ...string) (*v1beta1.ServiceInstance, error) {
	p.calls++
	p.name, p.pt, p.opts = name, pt, opts
	if err := json.Unmarshal(data, &p.data); err != nil {
		return nil, err
	}
	patched := &v1beta1.ServiceInstance{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name}}
	for _, f := range p.data["metadata"].(map[string]any)["finalizers"].([]any) {
		patched.Finalizers = append(patched.Finalizers, f.(string))
	}
	return p.answer(patched)
}

func deletingInstance(finalizers ...string) *v1beta1.ServiceInstance {
	now := metav1.Now()
	return &v1beta1.ServiceInstance{ObjectMeta: metav1.ObjectMeta{
		Namespace: "ns", Name: "db", ResourceVersion: "10", DeletionTimestamp: &now, Finalizers: finalizers,
	}}
}

func TestReleaseFinalizerRemovesOnlyTheCatalogFinalizer(t *testing.T) {
	instance := deletingInstance("other/finalizer", v1beta1.FinalizerServiceCatalog)
	key := cache.MetaObjectToName(instance)
	p := &patchRecorder{answer: func(patched *v1beta1.ServiceInstance) (*v1beta1.ServiceInstance, error) {
		patched.ResourceVersion = "11"
		return patched, nil
	}}
	writes := NewWrites()
	if err := ReleaseFinalizer(context.Background(), writes, instance, "the-manager", p.patch); err != nil {
		t.Fatal(err)
	}
	type call struct {
		Calls        int
		Name         string
		PatchType    types.PatchType
		FieldManager string
	}
	if diff := cmp.Diff(call{1, "db", types.MergePatchType, "the-manager"}, call{p.calls, p.name, p.pt, p.opts.FieldManager}); diff != "" {
		t.Fatalf("patch (-want +got):\n%s", diff)
	}
	meta := p.data["metadata"].(map[string]any)
	if !reflect.DeepEqual(meta["finalizers"], []any{"other/finalizer"}) || meta["resourceVersion"] != "10" {
		t.Errorf("patch %v", p.data)
	}
	if !reflect.DeepEqual(instance.Finalizers, []string{"other/finalizer", v1beta1.FinalizerServiceCatalog}) {
		t.Errorf("the caller's object was changed: %v", instance.Finalizers)
	}
	// Another finalizer keeps the object: the write is recorded as is.
	if !writes.Stale(key, "10") || writes.Stale(key, "11") {
		t.Errorf("the write at resourceVersion 11 is not recorded")
	}
}

func TestReleaseFinalizerOfTheLastFinalizerMarksTheCachedCopyStale(t *testing.T) {
	instance := deletingInstance(v1beta1.FinalizerServiceCatalog)
	key := cache.MetaObjectToName(instance)
	p := &patchRecorder{answer: func(patched *v1beta1.ServiceInstance) (*v1beta1.ServiceInstance, error) {
		// The API server deleted the object and answered with it as it was before.
		patched.ResourceVersion = "10"
		return patched, nil
	}}
	writes := NewWrites()
	if err := ReleaseFinalizer(context.Background(), writes, instance, "m", p.patch); err != nil {
		t.Fatal(err)
	}
	if meta := p.data["metadata"].(map[string]any); !reflect.DeepEqual(meta["finalizers"], []any{}) {
		t.Errorf("patch %v", p.data)
	}
	if !writes.Stale(key, "10") {
		t.Errorf("the cached copy at resourceVersion 10 is not stale after the release")
	}
}

func TestReleaseFinalizerErrors(t *testing.T) {
	gone := apierrors.NewNotFound(schema.GroupResource{Group: "servicecatalog.k8s.io", Resource: "serviceinstances"}, "db")
	conflict := apierrors.NewConflict(schema.GroupResource{Group: "servicecatalog.k8s.io", Resource: "serviceinstances"}, "db", errors.New("changed"))
	for _, tc := range []struct {
		name    string
		err     error
		wantErr bool
	}{
		{"already gone", gone, false},
		{"changed meanwhile", conflict, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			instance := deletingInstance(v1beta1.FinalizerServiceCatalog)
			p := &patchRecorder{answer: func(*v1beta1.ServiceInstance) (*v1beta1.ServiceInstance, error) { return nil, tc.err }}
			writes := NewWrites()
			err := ReleaseFinalizer(context.Background(), writes, instance, "m", p.patch)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want an error: %t", err, tc.wantErr)
			}
			if writes.Stale(cache.MetaObjectToName(instance), "1") {
				t.Errorf("a failed write was recorded")
			}
		})
	}
}
