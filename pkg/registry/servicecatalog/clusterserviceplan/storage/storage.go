// Package storage stores ClusterServicePlans in etcd.
package storage

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/printers"
	"github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/clusterserviceplan"
	"github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/internal/registry"
)

// REST serves ClusterServicePlans.
type REST struct {
	*genericregistry.Store
}

var (
	_ rest.ShortNamesProvider = &REST{}
	_ rest.CategoriesProvider = &REST{}
)

// NewREST returns the storage of plans and of their status subresource.
func NewREST(scheme *runtime.Scheme, optsGetter generic.RESTOptionsGetter) (*REST, *registry.StatusREST, error) {
	store, statusStore, err := registry.NewStores(optsGetter, registry.StoreConfig{
		Resource:         sc.Resource("clusterserviceplans"),
		SingularResource: sc.Resource("clusterserviceplan"),
		NewFunc:          func() runtime.Object { return &sc.ClusterServicePlan{} },
		NewListFunc:      func() runtime.Object { return &sc.ClusterServicePlanList{} },
		Strategy:         clusterserviceplan.NewStrategy(scheme),
		StatusStrategy:   clusterserviceplan.NewStatusStrategy(scheme),
		GetAttrs:         clusterserviceplan.GetAttrs,
		TableConvertor:   printers.NewClusterServicePlanTableConvertor(),
	})
	if err != nil {
		return nil, nil, err
	}
	return &REST{store}, registry.NewStatusREST(statusStore), nil
}

// ShortNames returns the short name kubectl accepts for plans.
func (r *REST) ShortNames() []string { return []string{"csp"} }

// Categories puts plans in the servicecatalog category.
func (r *REST) Categories() []string { return []string{"servicecatalog"} }
