package initializer

import (
	"context"
	"fmt"
	"sync/atomic"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
)

// ServiceInstanceGetter reads one ServiceInstance as the API server stores it; the
// CatalogReader reads single instances with one.
type ServiceInstanceGetter interface {
	// GetServiceInstance returns the instance, or a NotFound API error.
	GetServiceInstance(ctx context.Context, namespace, name string) (*sc.ServiceInstance, error)
}

// StoredInstances reads instances straight from the server's own ServiceInstance storage,
// in process: no HTTP request to the server itself, no encoding, and a read served by the
// watch cache, as a loopback GET with resourceVersion "0" would be. The server builds its
// storage after admission, so the storage is handed over with SetStorage once it exists;
// reads fail until then.
type StoredInstances struct {
	storage atomic.Pointer[rest.Getter]
}

var _ ServiceInstanceGetter = &StoredInstances{}

// SetStorage sets the ServiceInstance storage reads go to.
func (s *StoredInstances) SetStorage(storage rest.Getter) {
	s.storage.Store(&storage)
}

// GetServiceInstance reads the instance from the storage's watch cache.
func (s *StoredInstances) GetServiceInstance(ctx context.Context, namespace, name string) (*sc.ServiceInstance, error) {
	storage := s.storage.Load()
	if storage == nil {
		return nil, fmt.Errorf("the ServiceInstance storage is not set up yet")
	}
	obj, err := (*storage).Get(genericapirequest.WithNamespace(ctx, namespace), name, &metav1.GetOptions{ResourceVersion: "0"})
	if err != nil {
		return nil, err
	}
	instance, ok := obj.(*sc.ServiceInstance)
	if !ok {
		return nil, fmt.Errorf("the ServiceInstance storage returned a %T", obj)
	}
	return instance, nil
}
