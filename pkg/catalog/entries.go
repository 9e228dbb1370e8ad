package catalog

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

// Object is a catalog API object: a broker, class or plan of either scope.
type Object interface {
	metav1.Object
	runtime.Object
}

// Broker is a broker of either scope as the rules and the control loops see it: one code
// path serves ClusterServiceBrokers and ServiceBrokers.
type Broker struct {
	// Scope is the broker's scope.
	Scope Scope
	// Namespace is the broker's namespace, "" for a ClusterServiceBroker.
	Namespace, Name string
	// Spec and Status are the broker's settings and state shared by both scopes, in the
	// object.
	Spec   *v1beta1.CommonServiceBrokerSpec
	Status *v1beta1.CommonServiceBrokerStatus
	// BasicSecret and BearerSecret name the Secret of the broker's credentials, at most
	// one of them; a namespaced broker's Secret is in its namespace.
	BasicSecret, BearerSecret *types.NamespacedName
	// Object is the API object, *v1beta1.ClusterServiceBroker or *v1beta1.ServiceBroker.
	Object Object
}

// Class is a class of either scope.
type Class struct {
	// Scope is the class's scope.
	Scope Scope
	// Namespace is the class's namespace, "" for a ClusterServiceClass.
	Namespace, Name string
	// BrokerName is the broker that publishes it, in the same scope (and namespace).
	BrokerName string
	// Spec and Status are the offering and its catalog state, in the object.
	Spec   *v1beta1.CommonServiceClassSpec
	Status *v1beta1.CommonServiceClassStatus
	// Object is the API object, *v1beta1.ClusterServiceClass or *v1beta1.ServiceClass.
	Object Object
}

// Plan is a plan of either scope.
type Plan struct {
	// Scope is the plan's scope.
	Scope Scope
	// Namespace is the plan's namespace, "" for a ClusterServicePlan.
	Namespace, Name string
	// BrokerName and ClassName are the broker and the class it belongs to, in the same
	// scope (and namespace).
	BrokerName, ClassName string
	// Spec and Status are the plan and its catalog state, in the object.
	Spec   *v1beta1.CommonServicePlanSpec
	Status *v1beta1.CommonServiceClassStatus
	// Object is the API object, *v1beta1.ClusterServicePlan or *v1beta1.ServicePlan.
	Object Object
}

// Key returns the informer cache key of an object of the scope: "namespace/name", or
// "name" in the cluster scope.
func Key(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace + "/" + name
}

// Key is the broker's informer cache key.
func (b *Broker) Key() string { return Key(b.Namespace, b.Name) }

// Key is the class's informer cache key.
func (c *Class) Key() string { return Key(c.Namespace, c.Name) }

// Key is the plan's informer cache key.
func (p *Plan) Key() string { return Key(p.Namespace, p.Name) }

// BrokerOf returns the broker view of a ClusterServiceBroker or ServiceBroker, and false
// for anything else.
func BrokerOf(obj any) (*Broker, bool) {
	switch b := obj.(type) {
	case *v1beta1.ClusterServiceBroker:
		view := &Broker{Scope: ClusterScope, Name: b.Name, Spec: &b.Spec.CommonServiceBrokerSpec, Status: &b.Status.CommonServiceBrokerStatus, Object: b}
		if auth := b.Spec.AuthInfo; auth != nil && auth.Basic != nil {
			view.BasicSecret = clusterSecret(auth.Basic.SecretRef)
		} else if auth != nil && auth.Bearer != nil {
			view.BearerSecret = clusterSecret(auth.Bearer.SecretRef)
		}
		return view, true
	case *v1beta1.ServiceBroker:
		view := &Broker{Scope: NamespaceScope, Namespace: b.Namespace, Name: b.Name, Spec: &b.Spec.CommonServiceBrokerSpec, Status: &b.Status.CommonServiceBrokerStatus, Object: b}
		if auth := b.Spec.AuthInfo; auth != nil && auth.Basic != nil {
			view.BasicSecret = localSecret(b.Namespace, auth.Basic.SecretRef)
		} else if auth != nil && auth.Bearer != nil {
			view.BearerSecret = localSecret(b.Namespace, auth.Bearer.SecretRef)
		}
		return view, true
	}
	return nil, false
}

// ClassOf returns the class view of a ClusterServiceClass or ServiceClass, and false for
// anything else.
func ClassOf(obj any) (*Class, bool) {
	switch c := obj.(type) {
	case *v1beta1.ClusterServiceClass:
		return &Class{Scope: ClusterScope, Name: c.Name, BrokerName: c.Spec.ClusterServiceBrokerName,
			Spec: &c.Spec.CommonServiceClassSpec, Status: &c.Status.CommonServiceClassStatus, Object: c}, true
	case *v1beta1.ServiceClass:
		return &Class{Scope: NamespaceScope, Namespace: c.Namespace, Name: c.Name, BrokerName: c.Spec.ServiceBrokerName,
			Spec: &c.Spec.CommonServiceClassSpec, Status: &c.Status.CommonServiceClassStatus, Object: c}, true
	}
	return nil, false
}

// PlanOf returns the plan view of a ClusterServicePlan or ServicePlan, and false for
// anything else.
func PlanOf(obj any) (*Plan, bool) {
	switch p := obj.(type) {
	case *v1beta1.ClusterServicePlan:
		return &Plan{Scope: ClusterScope, Name: p.Name, BrokerName: p.Spec.ClusterServiceBrokerName, ClassName: p.Spec.ClusterServiceClassRef.Name,
			Spec: &p.Spec.CommonServicePlanSpec, Status: &p.Status.CommonServiceClassStatus, Object: p}, true
	case *v1beta1.ServicePlan:
		return &Plan{Scope: NamespaceScope, Namespace: p.Namespace, Name: p.Name, BrokerName: p.Spec.ServiceBrokerName, ClassName: p.Spec.ServiceClassRef.Name,
			Spec: &p.Spec.CommonServicePlanSpec, Status: &p.Status.CommonServiceClassStatus, Object: p}, true
	}
	return nil, false
}

// clusterSecret names the Secret of a cluster broker's credentials; an auth method that
// names none gives an empty name, which the controller reports.
func clusterSecret(ref *v1beta1.ObjectReference) *types.NamespacedName {
	if ref == nil {
		return &types.NamespacedName{}
	}
	return &types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}
}

// localSecret names the Secret, in the broker's namespace, of a namespaced broker's
// credentials; an auth method that names none gives an empty name.
func localSecret(namespace string, ref *v1beta1.LocalObjectReference) *types.NamespacedName {
	if ref == nil {
		return &types.NamespacedName{}
	}
	return &types.NamespacedName{Namespace: namespace, Name: ref.Name}
}
