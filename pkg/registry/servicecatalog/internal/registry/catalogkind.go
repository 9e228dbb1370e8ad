package registry

import (
	"context"
	"fmt"
	"reflect"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/helper"
)

// CatalogKind describes one kind of broker, class or plan, of either scope, to the
// strategy, status strategy and storage the six kinds share. They are written the same
// way: a create clears the status and starts the generation, an update keeps the status
// and bumps the generation on a spec change, a status update keeps the spec and metadata.
// They differ only by their type, their validation, their selectable fields and, for
// brokers, the finalizer and a spec field the server keeps.
//
// T is a pointer to a struct with the fields ObjectMeta, Spec and Status, which the
// strategies reach by reflection; NewCatalogREST refuses any other type.
type CatalogKind[T runtime.Object] struct {
	// ShortName is the short name kubectl accepts for the resource, such as "nsc".
	ShortName string
	// Namespaced tells whether objects of the kind live in namespaces.
	Namespaced bool
	// Finalizer tells whether a new object gets the catalog's finalizer.
	Finalizer bool
	// KeepUnset names the spec fields the server keeps when an update leaves them empty,
	// so that replacing an object from its original manifest does not reset them.
	KeepUnset []string
	// Validation checks objects of the kind.
	Validation Validation[T]
	// Fields returns the selectable fields of an object besides its name and namespace;
	// nil when there are none.
	Fields func(T) fields.Set
}

// Validation are the validation functions of a kind.
type Validation[T runtime.Object] struct {
	create, update, statusUpdate func(obj, old T) field.ErrorList
}

// Validate returns the validation of a kind: of new objects, of updates and of status
// updates.
func Validate[T runtime.Object](create func(T) field.ErrorList, update, statusUpdate func(obj, old T) field.ErrorList) Validation[T] {
	return Validation[T]{create: func(obj, _ T) field.ErrorList { return create(obj) }, update: update, statusUpdate: statusUpdate}
}

// parts are the metadata, spec and status of a catalog object.
type parts struct {
	meta         *metav1.ObjectMeta
	spec, status reflect.Value
}

// partsOf returns the parts of obj, of a type check accepted.
func partsOf(obj runtime.Object) parts {
	v := reflect.ValueOf(obj).Elem()
	return parts{meta: v.FieldByName("ObjectMeta").Addr().Interface().(*metav1.ObjectMeta), spec: v.FieldByName("Spec"), status: v.FieldByName("Status")}
}

// check makes sure the strategies can reach the parts of the kind's objects and the spec
// fields the server keeps.
func (k *CatalogKind[T]) check() error {
	t := reflect.TypeFor[T]()
	if t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("%s is not a pointer to a struct", t)
	}
	for _, name := range []string{"ObjectMeta", "Spec", "Status"} {
		if _, ok := t.Elem().FieldByName(name); !ok {
			return fmt.Errorf("%s has no field %s", t, name)
		}
	}
	if k.Validation.create == nil || k.Validation.update == nil || k.Validation.statusUpdate == nil {
		return fmt.Errorf("the kind of %s has no validation", t)
	}
	spec, _ := t.Elem().FieldByName("Spec")
	for _, name := range k.KeepUnset {
		if _, ok := spec.Type.FieldByName(name); !ok {
			return fmt.Errorf("the spec of %s has no field %s", t, name)
		}
	}
	return nil
}

// New returns an empty object of the kind.
func (k *CatalogKind[T]) New() T {
	return reflect.New(reflect.TypeFor[T]().Elem()).Interface().(T)
}

// catalogStrategy governs creates, updates and deletes of a catalog kind.
type catalogStrategy[T runtime.Object] struct {
	Defaults
	kind *CatalogKind[T]
}

// catalogStatusStrategy governs writes to the status subresource of a catalog kind.
type catalogStatusStrategy[T runtime.Object] struct {
	catalogStrategy[T]
}

// Strategy returns the strategy of the kind.
func (k *CatalogKind[T]) Strategy(typer runtime.ObjectTyper) Strategy {
	return catalogStrategy[T]{Defaults: NewDefaults(typer, k.Namespaced), kind: k}
}

// StatusStrategy returns the strategy of the kind's status subresource.
func (k *CatalogKind[T]) StatusStrategy(typer runtime.ObjectTyper) StatusStrategy {
	return catalogStatusStrategy[T]{catalogStrategy[T]{Defaults: NewDefaults(typer, k.Namespaced), kind: k}}
}

// PrepareForCreate clears the status, starts the generation and adds the finalizer if the
// kind has one.
func (s catalogStrategy[T]) PrepareForCreate(_ context.Context, obj runtime.Object) {
	if _, ok := obj.(T); !ok {
		return
	}
	p := partsOf(obj)
	p.status.SetZero()
	p.meta.Generation = 1
	if s.kind.Finalizer {
		AddFinalizer(p.meta)
	}
}

// PrepareForUpdate keeps the status and the spec fields the server keeps when the request
// leaves them empty, and bumps the generation when the spec changes.
func (s catalogStrategy[T]) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	if !both[T](obj, old) {
		return
	}
	p, prev := partsOf(obj), partsOf(old)
	p.status.Set(prev.status)
	for _, name := range s.kind.KeepUnset {
		if f := p.spec.FieldByName(name); f.IsZero() {
			f.Set(prev.spec.FieldByName(name))
		}
	}
	if !helper.Semantic.DeepEqual(p.spec.Interface(), prev.spec.Interface()) {
		p.meta.Generation = prev.meta.Generation + 1
	}
}

// Validate checks a new object.
func (s catalogStrategy[T]) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return s.validate(s.kind.Validation.create, obj, obj)
}

// ValidateUpdate checks a change to an object.
func (s catalogStrategy[T]) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	return s.validate(s.kind.Validation.update, obj, old)
}

// validate runs check on obj and old, or refuses objects of another kind.
func (s catalogStrategy[T]) validate(check func(obj, old T) field.ErrorList, obj, old runtime.Object) field.ErrorList {
	if !both[T](obj, old) {
		return field.ErrorList{field.InternalError(nil, fmt.Errorf("expected %s, got %T and %T", reflect.TypeFor[T](), obj, old))}
	}
	return check(obj.(T), old.(T))
}

// GetResetFields returns the fields a status write cannot set.
func (catalogStatusStrategy[T]) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return StatusResetFields()
}

// PrepareForUpdate keeps everything but the status.
func (s catalogStatusStrategy[T]) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	if !both[T](obj, old) {
		return
	}
	p, prev := partsOf(obj), partsOf(old)
	p.spec.Set(prev.spec)
	metav1.ResetObjectMetaForStatus(p.meta, prev.meta)
}

// ValidateUpdate checks a change to an object's status.
func (s catalogStatusStrategy[T]) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	return s.validate(s.kind.Validation.statusUpdate, obj, old)
}

// both tells whether obj and old are both of type T.
func both[T runtime.Object](obj, old runtime.Object) bool {
	_, ok := obj.(T)
	_, okOld := old.(T)
	return ok && okOld
}
