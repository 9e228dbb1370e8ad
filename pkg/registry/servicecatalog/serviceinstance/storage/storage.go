// Package storage stores ServiceInstances in etcd.
package storage

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/printers"
	"github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/internal/idclaim"
	"github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/internal/registry"
	"github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/serviceinstance"
)

// REST serves ServiceInstances.
type REST struct {
	*genericregistry.Store
}

var (
	_ rest.ShortNamesProvider = &REST{}
	_ rest.CategoriesProvider = &REST{}
)

// NewREST returns the storage of instances and of their subresources: status, retry
// and abandon.
func NewREST(scheme *runtime.Scheme, optsGetter generic.RESTOptionsGetter) (*REST, map[string]rest.Storage, error) {
	store, statusStore, err := registry.NewStores(optsGetter, registry.StoreConfig{
		Resource:         sc.Resource("serviceinstances"),
		SingularResource: sc.Resource("serviceinstance"),
		NewFunc:          func() runtime.Object { return &sc.ServiceInstance{} },
		NewListFunc:      func() runtime.Object { return &sc.ServiceInstanceList{} },
		Strategy:         serviceinstance.NewStrategy(scheme),
		StatusStrategy:   serviceinstance.NewStatusStrategy(scheme),
		GetAttrs:         serviceinstance.GetAttrs,
		TableConvertor:   printers.NewServiceInstanceTableConvertor(),
		ExternalIDs: &idclaim.Kind{
			Name:          "ServiceInstance",
			GroupKind:     sc.Kind("ServiceInstance"),
			ExternalID:    func(obj runtime.Object) string { return obj.(*sc.ServiceInstance).Spec.ExternalID },
			SetExternalID: func(obj runtime.Object, id string) { obj.(*sc.ServiceInstance).Spec.ExternalID = id },
		},
	})
	if err != nil {
		return nil, nil, err
	}
	return &REST{store}, map[string]rest.Storage{
		"status":  registry.NewStatusREST(statusStore),
		"retry":   registry.NewInterventionREST(statusStore, serviceinstance.Retry),
		"abandon": registry.NewInterventionREST(statusStore, serviceinstance.Abandon),
	}, nil
}

// ShortNames returns the short name kubectl accepts for instances.
func (r *REST) ShortNames() []string { return []string{"si"} }

// Categories puts instances in the servicecatalog category.
func (r *REST) Categories() []string { return []string{"servicecatalog"} }
