// Package storage stores brokers, classes and plans of both scopes in etcd.
package storage

import (
	"errors"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/kube-service-catalog/catalog/pkg/printers"
	"github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/brokercatalog"
	"github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/internal/registry"
)

// NewREST returns the storage of the six resources and of their status subresources, by
// path: clusterservicebrokers, clusterservicebrokers/status, servicebrokers, and so on.
// Each scope's brokers, classes and plans print the same columns.
func NewREST(scheme *runtime.Scheme, optsGetter generic.RESTOptionsGetter) (map[string]rest.Storage, error) {
	storage := map[string]rest.Storage{}
	brokers, classes, plans := printers.NewBrokerTableConvertor(), printers.NewClassTableConvertor(), printers.NewPlanTableConvertor()
	err := errors.Join(
		add(storage, scheme, optsGetter, brokercatalog.ClusterServiceBrokers, brokers),
		add(storage, scheme, optsGetter, brokercatalog.ServiceBrokers, brokers),
		add(storage, scheme, optsGetter, brokercatalog.ClusterServiceClasses, classes),
		add(storage, scheme, optsGetter, brokercatalog.ServiceClasses, classes),
		add(storage, scheme, optsGetter, brokercatalog.ClusterServicePlans, plans),
		add(storage, scheme, optsGetter, brokercatalog.ServicePlans, plans),
	)
	if err != nil {
		return nil, err
	}
	return storage, nil
}

// add adds the storage of a kind and of its status to storage.
func add[T runtime.Object](storage map[string]rest.Storage, scheme *runtime.Scheme, optsGetter generic.RESTOptionsGetter, k *registry.CatalogKind[T], table rest.TableConvertor) error {
	main, status, err := registry.NewCatalogREST(scheme, optsGetter, k, table)
	if err != nil {
		return err
	}
	resource := main.DefaultQualifiedResource.Resource
	storage[resource], storage[resource+"/status"] = main, status
	return nil
}
