package registry

import (
	"fmt"
	"reflect"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
)

// GetAttrs returns the labels and selectable fields of an object of the kind.
func (k *CatalogKind[T]) GetAttrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	o, ok := obj.(T)
	if !ok {
		return nil, nil, fmt.Errorf("not a %s: %T", reflect.TypeFor[T](), obj)
	}
	set := fields.Set{}
	if k.Fields != nil {
		set = k.Fields(o)
	}
	meta := partsOf(o).meta
	return meta.Labels, generic.AddObjectMetaFieldsSet(set, meta, k.Namespaced), nil
}

// CatalogREST serves a broker, class or plan kind.
type CatalogREST struct {
	*genericregistry.Store
	shortName string
}

var (
	_ rest.ShortNamesProvider = &CatalogREST{}
	_ rest.CategoriesProvider = &CatalogREST{}
)

// NewCatalogREST returns the storage of a kind, the scheme's internal type T, and of its
// status subresource, printed by table.
func NewCatalogREST[T runtime.Object](scheme *runtime.Scheme, optsGetter generic.RESTOptionsGetter, k *CatalogKind[T], table rest.TableConvertor) (*CatalogREST, *StatusREST, error) {
	if err := k.check(); err != nil {
		return nil, nil, err
	}
	gvks, _, err := scheme.ObjectKinds(k.New())
	if err != nil {
		return nil, nil, err
	}
	kind, listKind := sc.SchemeGroupVersion.WithKind(gvks[0].Kind), sc.SchemeGroupVersion.WithKind(gvks[0].Kind+"List")
	if _, err := scheme.New(listKind); err != nil {
		return nil, nil, err
	}
	plural, singular := apimeta.UnsafeGuessKindToResource(kind)
	store, statusStore, err := NewStores(optsGetter, StoreConfig{
		Resource:         plural.GroupResource(),
		SingularResource: singular.GroupResource(),
		NewFunc:          func() runtime.Object { return k.New() },
		NewListFunc:      func() runtime.Object { list, _ := scheme.New(listKind); return list },
		Strategy:         k.Strategy(scheme),
		StatusStrategy:   k.StatusStrategy(scheme),
		GetAttrs:         k.GetAttrs,
		TableConvertor:   table,
	})
	if err != nil {
		return nil, nil, err
	}
	return &CatalogREST{Store: store, shortName: k.ShortName}, NewStatusREST(statusStore), nil
}

// ShortNames returns the short name kubectl accepts for the resource.
func (r *CatalogREST) ShortNames() []string { return []string{r.shortName} }

// Categories puts the resource in the servicecatalog category.
func (r *CatalogREST) Categories() []string { return []string{"servicecatalog"} }
