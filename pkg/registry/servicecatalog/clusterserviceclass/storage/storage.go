// Package storage stores ClusterServiceClasses in etcd.
package storage

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/printers"
	"github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/clusterserviceclass"
	"github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/internal/registry"
)

// REST serves ClusterServiceClasses.
type REST struct {
	*genericregistry.Store
}

var (
	_ rest.ShortNamesProvider = &REST{}
	_ rest.CategoriesProvider = &REST{}
)

// NewREST returns the storage of classes and of their status subresource.
func NewREST(scheme *runtime.Scheme, optsGetter generic.RESTOptionsGetter) (*REST, *registry.StatusREST, error) {
	store, statusStore, err := registry.NewStores(optsGetter, registry.StoreConfig{
		Resource:         sc.Resource("clusterserviceclasses"),
		SingularResource: sc.Resource("clusterserviceclass"),
		NewFunc:          func() runtime.Object { return &sc.ClusterServiceClass{} },
		NewListFunc:      func() runtime.Object { return &sc.ClusterServiceClassList{} },
		Strategy:         clusterserviceclass.NewStrategy(scheme),
		StatusStrategy:   clusterserviceclass.NewStatusStrategy(scheme),
		GetAttrs:         clusterserviceclass.GetAttrs,
		TableConvertor:   printers.NewClusterServiceClassTableConvertor(),
	})
	if err != nil {
		return nil, nil, err
	}
	return &REST{store}, registry.NewStatusREST(statusStore), nil
}

// ShortNames returns the short name kubectl accepts for classes.
func (r *REST) ShortNames() []string { return []string{"csc"} }

// Categories puts classes in the servicecatalog category.
func (r *REST) Categories() []string { return []string{"servicecatalog"} }
