// Package indexes adds the informer indexes the control loops look objects up by, so that
// no loop lists the API to find related objects.
package indexes

import (
	"fmt"

	"k8s.io/client-go/tools/cache"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/catalog"
)

// Index names. Values of the indexes of classes, plans and instances are catalog.Key
// of the namespace and the name: a bare name in the cluster scope, "namespace/name" in a
// namespace, so that one index serves both scopes without mixing them.
const (
	// ByBroker indexes classes, plans and instances by the key of their broker.
	ByBroker = "broker"
	// ByPlan indexes instances by the key of their resolved plan.
	ByPlan = "plan"
	// ByClass indexes instances by the key of their resolved class, and plans by the key
	// of their class.
	ByClass = "class"
	// ByInstance indexes bindings by namespace/instance name.
	ByInstance = "instance"
	// ByExternalName indexes classes by the key of the offering's name in the broker's
	// catalog.
	ByExternalName = "externalName"
	// ByExternalID indexes classes by the key of the offering's id in the broker's catalog.
	ByExternalID = "externalID"
)

// AddClassIndexes indexes classes of either scope by broker, external name and external
// ID.
func AddClassIndexes(informer cache.SharedIndexInformer) error {
	class := func(value func(*catalog.Class) string) cache.IndexFunc {
		return viewed(catalog.ClassOf, func(c *catalog.Class) string { return keyIn(c.Namespace, value(c)) })
	}
	return informer.AddIndexers(cache.Indexers{
		ByBroker:       class(func(c *catalog.Class) string { return c.BrokerName }),
		ByExternalName: class(func(c *catalog.Class) string { return c.Spec.ExternalName }),
		ByExternalID:   class(func(c *catalog.Class) string { return c.Spec.ExternalID }),
	})
}

// AddPlanIndexes indexes plans of either scope by broker and by class.
func AddPlanIndexes(informer cache.SharedIndexInformer) error {
	return informer.AddIndexers(cache.Indexers{
		ByBroker: viewed(catalog.PlanOf, func(p *catalog.Plan) string { return keyIn(p.Namespace, p.BrokerName) }),
		ByClass:  viewed(catalog.PlanOf, func(p *catalog.Plan) string { return keyIn(p.Namespace, p.ClassName) }),
	})
}

// AddInstanceIndexes indexes instances by their resolved broker, class and plan.
func AddInstanceIndexes(informer cache.SharedIndexInformer) error {
	return informer.AddIndexers(cache.Indexers{
		ByBroker: by(func(i *v1beta1.ServiceInstance) string { return Resolved(i).Broker }),
		ByClass:  by(func(i *v1beta1.ServiceInstance) string { return Resolved(i).Class }),
		ByPlan:   by(func(i *v1beta1.ServiceInstance) string { return Resolved(i).Plan }),
	})
}

// ResolvedRefs are the broker, class and plan an instance's status says it resolved, as
// index values (catalog.Key); empty before it resolved them.
type ResolvedRefs struct {
	// Scope is the scope of the three.
	Scope catalog.Scope
	// Broker, Class and Plan are their index values.
	Broker, Class, Plan string
	// BrokerName, ClassName and PlanName are their names, in the instance's namespace
	// for the namespace scope.
	BrokerName, ClassName, PlanName string
}

// Resolved returns the broker, class and plan an instance resolved, in whichever scope.
func Resolved(i *v1beta1.ServiceInstance) ResolvedRefs {
	s := &i.Status
	if s.ServiceBrokerName != "" || s.ServiceClassRef != nil || s.ServicePlanRef != nil {
		r := ResolvedRefs{Scope: catalog.NamespaceScope, BrokerName: s.ServiceBrokerName, ClassName: localName(s.ServiceClassRef), PlanName: localName(s.ServicePlanRef)}
		r.Broker, r.Class, r.Plan = keyIn(i.Namespace, r.BrokerName), keyIn(i.Namespace, r.ClassName), keyIn(i.Namespace, r.PlanName)
		return r
	}
	r := ResolvedRefs{Scope: catalog.ClusterScope, BrokerName: s.ClusterServiceBrokerName,
		ClassName: refName(s.ClusterServiceClassRef), PlanName: refName(s.ClusterServicePlanRef)}
	r.Broker, r.Class, r.Plan = r.BrokerName, r.ClassName, r.PlanName
	return r
}

// AddBindingIndexes indexes bindings by the namespace and name of their instance.
func AddBindingIndexes(informer cache.SharedIndexInformer) error {
	return informer.AddIndexers(cache.Indexers{
		ByInstance: by(func(b *v1beta1.ServiceBinding) string {
			return InstanceKey(b.InstanceNamespace(), b.Spec.InstanceRef.Name)
		}),
	})
}

// viewed indexes the objects view accepts by value of their view.
func viewed[V any](view func(any) (V, bool), value func(V) string) cache.IndexFunc {
	return func(obj interface{}) ([]string, error) {
		v, ok := view(obj)
		if !ok {
			return nil, fmt.Errorf("not a catalog entry: %T", obj)
		}
		if s := value(v); s != "" {
			return []string{s}, nil
		}
		return nil, nil
	}
}

// keyIn is the index value of a name in a namespace ("" for the cluster scope); an empty
// name indexes nothing.
func keyIn(namespace, name string) string {
	if name == "" {
		return ""
	}
	return catalog.Key(namespace, name)
}

func localName(ref *v1beta1.LocalObjectReference) string {
	if ref == nil {
		return ""
	}
	return ref.Name
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
