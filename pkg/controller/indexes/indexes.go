// Package indexes adds the informer indexes the control loops look objects up by, so that
// no loop lists the API to find related objects.
package indexes

import (
	"fmt"

	"k8s.io/client-go/tools/cache"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

// Index names.
const (
	// ByBroker indexes classes, plans and instances by the name of their broker.
	ByBroker = "broker"
	// ByPlan indexes instances by the name of their resolved ClusterServicePlan.
	ByPlan = "plan"
	// ByClass indexes instances by the name of their resolved ClusterServiceClass, and
	// plans by the name of their class.
	ByClass = "class"
	// ByInstance indexes bindings by namespace/instance name.
	ByInstance = "instance"
	// ByExternalName indexes classes by the offering's name in the broker's catalog.
	ByExternalName = "externalName"
	// ByExternalID indexes classes by the offering's id in the broker's catalog.
	ByExternalID = "externalID"
)

// AddClassIndexes indexes classes by broker, external name and external ID.
func AddClassIndexes(informer cache.SharedIndexInformer) error {
	return informer.AddIndexers(cache.Indexers{
		ByBroker:       by(func(c *v1beta1.ClusterServiceClass) string { return c.Spec.ClusterServiceBrokerName }),
		ByExternalName: by(func(c *v1beta1.ClusterServiceClass) string { return c.Spec.ExternalName }),
		ByExternalID:   by(func(c *v1beta1.ClusterServiceClass) string { return c.Spec.ExternalID }),
	})
}

// AddPlanIndexes indexes plans by broker and by class.
func AddPlanIndexes(informer cache.SharedIndexInformer) error {
	return informer.AddIndexers(cache.Indexers{
		ByBroker: by(func(p *v1beta1.ClusterServicePlan) string { return p.Spec.ClusterServiceBrokerName }),
		ByClass:  by(func(p *v1beta1.ClusterServicePlan) string { return p.Spec.ClusterServiceClassRef.Name }),
	})
}

// AddInstanceIndexes indexes instances by their resolved broker, class and plan.
func AddInstanceIndexes(informer cache.SharedIndexInformer) error {
	return informer.AddIndexers(cache.Indexers{
		ByBroker: by(func(i *v1beta1.ServiceInstance) string { return i.Status.ClusterServiceBrokerName }),
		ByClass:  by(func(i *v1beta1.ServiceInstance) string { return refName(i.Status.ClusterServiceClassRef) }),
		ByPlan:   by(func(i *v1beta1.ServiceInstance) string { return refName(i.Status.ClusterServicePlanRef) }),
	})
}

// AddBindingIndexes indexes bindings by the namespace and name of their instance.
func AddBindingIndexes(informer cache.SharedIndexInformer) error {
	return informer.AddIndexers(cache.Indexers{
		ByInstance: by(func(b *v1beta1.ServiceBinding) string {
			return InstanceKey(b.InstanceNamespace(), b.Spec.InstanceRef.Name)
		}),
	})
}

// by indexes objects of type T by value; an empty value indexes nothing.
func by[T any](value func(T) string) cache.IndexFunc {
	return func(obj interface{}) ([]string, error) {
		o, ok := obj.(T)
		if !ok {
			var want T
			return nil, fmt.Errorf("not a %T: %T", want, obj)
		}
		if v := value(o); v != "" {
			return []string{v}, nil
		}
		return nil, nil
	}
}

func refName(ref *v1beta1.ClusterObjectReference) string {
	if ref == nil {
		return ""
	}
	return ref.Name
}

// InstanceKey is the ByInstance index value of an instance.
func InstanceKey(namespace, name string) string {
	return namespace + "/" + name
}
