// Package storage stores ServiceBindings in etcd.
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
	"github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/servicebinding"
)

// REST serves ServiceBindings.
type REST struct {
	*genericregistry.Store
}

var (
	_ rest.ShortNamesProvider = &REST{}
	_ rest.CategoriesProvider = &REST{}
)

// NewREST returns the storage of bindings and of their subresources: status, retry and
// abandon.
func NewREST(scheme *runtime.Scheme, optsGetter generic.RESTOptionsGetter) (*REST, map[string]rest.Storage, error) {
	store, statusStore, err := registry.NewStores(optsGetter, registry.StoreConfig{
		Resource:         sc.Resource("servicebindings"),
		SingularResource: sc.Resource("servicebinding"),
		NewFunc:          func() runtime.Object { return &sc.ServiceBinding{} },
		NewListFunc:      func() runtime.Object { return &sc.ServiceBindingList{} },
		Strategy:         servicebinding.NewStrategy(scheme),
		StatusStrategy:   servicebinding.NewStatusStrategy(scheme),
		GetAttrs:         servicebinding.GetAttrs,
		TableConvertor:   printers.NewServiceBindingTableConvertor(),
		ExternalIDs: &idclaim.Kind{
			Name:          "ServiceBinding",
			GroupKind:     sc.Kind("ServiceBinding"),
			ExternalID:    func(obj runtime.Object) string { return obj.(*sc.ServiceBinding).Spec.ExternalID },
			SetExternalID: func(obj runtime.Object, id string) { obj.(*sc.ServiceBinding).Spec.ExternalID = id },
		},
	})
	if err != nil {
		return nil, nil, err
	}
	return &REST{store}, map[string]rest.Storage{
		"status":  registry.NewStatusREST(statusStore),
		"retry":   registry.NewInterventionREST(statusStore, servicebinding.Retry),
		"abandon": registry.NewInterventionREST(statusStore, servicebinding.Abandon),
	}, nil
}

// ShortNames returns the short name kubectl accepts for bindings.
func (r *REST) ShortNames() []string { return []string{"sb"} }

// Categories puts bindings in the servicecatalog category.
func (r *REST) Categories() []string { return []string{"servicecatalog"} }
