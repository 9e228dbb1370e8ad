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
	class := func(obj interface{}) (*v1beta1.ClusterServiceClass, error) {
		c, ok := obj.(*v1beta1.ClusterServiceClass)
		if !ok {
			return nil, fmt.Errorf("not a ClusterServiceClass: %T", obj)
		}
		return c, nil
	}
	return informer.AddIndexers(cache.Indexers{
		ByBroker: func(obj interface{}) ([]string, error) {
			c, err := class(obj)
			if err != nil {
				return nil, err
			}
			return []string{c.Spec.ClusterServiceBrokerName}, nil
		},
		ByExternalName: func(obj interface{}) ([]string, error) {
			c, err := class(obj)
			if err != nil {
				return nil, err
			}
			return []string{c.Spec.ExternalName}, nil
		},
		ByExternalID: func(obj interface{}) ([]string, error) {
			c, err := class(obj)
			if err != nil {
				return nil, err
			}
			return []string{c.Spec.ExternalID}, nil
		},
	})
}

// AddPlanIndexes indexes plans by broker and by class.
func AddPlanIndexes(informer cache.SharedIndexInformer) error {
	return informer.AddIndexers(cache.Indexers{
		ByBroker: func(obj interface{}) ([]string, error) {
			plan, ok := obj.(*v1beta1.ClusterServicePlan)
			if !ok {
				return nil, fmt.Errorf("not a ClusterServicePlan: %T", obj)
			}
			return []string{plan.Spec.ClusterServiceBrokerName}, nil
		},
		ByClass: func(obj interface{}) ([]string, error) {
			plan, ok := obj.(*v1beta1.ClusterServicePlan)
			if !ok {
				return nil, fmt.Errorf("not a ClusterServicePlan: %T", obj)
			}
			return []string{plan.Spec.ClusterServiceClassRef.Name}, nil
		},
	})
}

// AddInstanceIndexes indexes instances by their resolved broker, class and plan.
func AddInstanceIndexes(informer cache.SharedIndexInformer) error {
	instance := func(obj interface{}) (*v1beta1.ServiceInstance, error) {
		i, ok := obj.(*v1beta1.ServiceInstance)
		if !ok {
			return nil, fmt.Errorf("not a ServiceInstance: %T", obj)
		}
		return i, nil
	}
	return informer.AddIndexers(cache.Indexers{
		ByBroker: func(obj interface{}) ([]string, error) {
			i, err := instance(obj)
			if err != nil || i.Status.ClusterServiceBrokerName == "" {
				return nil, err
			}
			return []string{i.Status.ClusterServiceBrokerName}, nil
		},
		ByClass: func(obj interface{}) ([]string, error) {
			i, err := instance(obj)
			if err != nil || i.Status.ClusterServiceClassRef == nil {
				return nil, err
			}
			return []string{i.Status.ClusterServiceClassRef.Name}, nil
		},
		ByPlan: func(obj interface{}) ([]string, error) {
			i, err := instance(obj)
			if err != nil || i.Status.ClusterServicePlanRef == nil {
				return nil, err
			}
			return []string{i.Status.ClusterServicePlanRef.Name}, nil
		},
	})
}

// AddBindingIndexes indexes bindings by the namespace and name of their instance.
func AddBindingIndexes(informer cache.SharedIndexInformer) error {
	return informer.AddIndexers(cache.Indexers{ByInstance: func(obj interface{}) ([]string, error) {
		b, ok := obj.(*v1beta1.ServiceBinding)
		if !ok {
			return nil, fmt.Errorf("not a ServiceBinding: %T", obj)
		}
		return []string{InstanceKey(b.Namespace, b.Spec.InstanceRef.Name)}, nil
	}})
}

// InstanceKey is the ByInstance index value of an instance.
func InstanceKey(namespace, name string) string {
	return namespace + "/" + name
}
