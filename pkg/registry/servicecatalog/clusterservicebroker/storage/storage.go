// Package storage stores ClusterServiceBrokers in etcd.
package storage

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/printers"
	"github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/clusterservicebroker"
	"github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/internal/registry"
)

// REST serves ClusterServiceBrokers.
type REST struct {
	*genericregistry.Store
}

var (
	_ rest.ShortNamesProvider = &REST{}
	_ rest.CategoriesProvider = &REST{}
)

// NewREST returns the storage of brokers and of their status subresource.
func NewREST(scheme *runtime.Scheme, optsGetter generic.RESTOptionsGetter) (*REST, *registry.StatusREST, error) {
	store, statusStore, err := registry.NewStores(optsGetter, registry.StoreConfig{
		Resource:         sc.Resource("clusterservicebrokers"),
		SingularResource: sc.Resource("clusterservicebroker"),
		NewFunc:          func() runtime.Object { return &sc.ClusterServiceBroker{} },
		NewListFunc:      func() runtime.Object { return &sc.ClusterServiceBrokerList{} },
		Strategy:         clusterservicebroker.NewStrategy(scheme),
		StatusStrategy:   clusterservicebroker.NewStatusStrategy(scheme),
		GetAttrs:         clusterservicebroker.GetAttrs,
		TableConvertor:   printers.NewClusterServiceBrokerTableConvertor(),
	})
	if err != nil {
		return nil, nil, err
	}
	return &REST{store}, registry.NewStatusREST(statusStore), nil
}

// ShortNames returns the short name kubectl accepts for brokers.
func (r *REST) ShortNames() []string { return []string{"csb"} }

// Categories puts brokers in the servicecatalog category.
func (r *REST) Categories() []string { return []string{"servicecatalog"} }
