// Package offerings reads what the service catalog offers, from each scope that has
// brokers (a Source): the brokers, their classes and their plans in one shape whatever
// the scope; it says which of them a namespace may use, and finds the class and plan a
// user names by external name.
//
// Sources lists the scopes, in the order in which a class of a given external name is
// looked for: a scope added there is served by every command.
package offerings

import (
	"context"
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/catalog"
	"github.com/kube-service-catalog/catalog/pkg/cli/clients"
	"github.com/kube-service-catalog/catalog/pkg/cli/kinds"
)

// Scope is where a broker and its classes and plans live.
type Scope string

// The scopes of brokers.
const (
	// Cluster is the scope of ClusterServiceBrokers, ClusterServiceClasses and
	// ClusterServicePlans: offered to every namespace the broker's namespaceSelector
	// matches.
	Cluster Scope = "cluster"
	// Namespace is the scope of the brokers, classes and plans of one namespace.
	Namespace Scope = "namespace"
)

// Broker is a broker of any scope.
type Broker struct {
	// Namespace is the broker's namespace, "" in the cluster scope.
	Namespace string
	// Name is the broker's name.
	Name string
	// Conditions are the broker's conditions.
	Conditions []metav1.Condition
	// Deleting tells whether the broker is being deleted.
	Deleting bool
	// Object is the broker as the API server returned it.
	Object runtime.Object
}

// Class is a class of any scope.
type Class struct {
	// Namespace is the class's namespace, "" in the cluster scope.
	Namespace string
	// Name is the class's Kubernetes name.
	Name string
	// ExternalName is its name in the broker's catalog.
	ExternalName string
	// Description is the broker's description of it.
	Description string
	// BrokerName is the name of its broker.
	BrokerName string
	// Removed tells whether the broker no longer offers it.
	Removed bool
	// Object is the class as the API server returned it.
	Object runtime.Object
}

// Plan is a plan of any scope.
type Plan struct {
	// Namespace is the plan's namespace, "" in the cluster scope.
	Namespace string
	// Name is the plan's Kubernetes name.
	Name string
	// ExternalName is its name in the broker's catalog.
	ExternalName string
	// Description is the broker's description of it.
	Description string
	// ClassName is the Kubernetes name of its class.
	ClassName string
	// BrokerName is the name of its broker.
	BrokerName string
	// Free tells whether it costs nothing.
	Free bool
	// CreateSchema tells whether it has a JSON schema of the parameters of a new instance.
	CreateSchema bool
	// Removed tells whether the broker no longer offers it.
	Removed bool
	// Object is the plan as the API server returned it.
	Object runtime.Object
}

// Resolution is what an instance's spec was resolved to by the controller, by
// Kubernetes names.
type Resolution struct {
	// Namespace is the namespace of the class, plan and broker; "" in the cluster scope.
	Namespace string
	// Class is the class's name.
	Class string
	// Plan is the plan's name.
	Plan string
	// Broker is the broker's name.
	Broker string
}

// Source reads the brokers, classes and plans of one scope.
type Source interface {
	// Scope is the scope it reads.
	Scope() Scope
	// Kinds are the scope's kinds of brokers, classes and plans.
	Kinds() (broker, class, plan kinds.Kind)
	// Read lists the scope's brokers, classes and plans seen from namespace ("" for
	// every namespace). Brokers the user may not read leave Catalog.Notes.
	Read(ctx context.Context, namespace string) (*Catalog, error)
	// NotOffered says, per broker name, why a broker of c does not offer its classes in
	// namespace; a broker that does is not in the map. What cannot be checked is added
	// to c's notes.
	NotOffered(ctx context.Context, c *Catalog, namespace string) (map[string]string, error)
	// Resolved returns what the controller resolved instance's class, plan and broker
	// to, when they are of this scope.
	Resolved(instance *v1beta1.ServiceInstance) (Resolution, bool)
	// Named returns the class and plan instance's spec names in this scope, and how it
	// names them ("external name", "external ID" or "name"), when it names a class of
	// this scope.
	Named(instance *v1beta1.ServiceInstance) (class, plan, by string, ok bool)
	// SetExternalNames makes spec name a class and a plan of this scope by external
	// name; plan may be empty.
	SetExternalNames(spec *v1beta1.ServiceInstanceSpec, class, plan string)
}

// Sources are the scopes the catalog serves, in the order in which a class is looked
// for by its external name: a class of the user's namespace, then one of the cluster.
func Sources(set *clients.Set) []Source {
	client := set.Catalog.ServicecatalogV1beta1()
	return []Source{&namespaceSource{client: client}, &clusterSource{client: client, kube: set.Kube}}
}

// Select returns the sources of scope, or all of them for "".
func Select(sources []Source, scope string) ([]Source, error) {
	if scope == "" {
		return sources, nil
	}
	var names []string
	for _, s := range sources {
		if string(s.Scope()) == scope {
			return []Source{s}, nil
		}
		names = append(names, string(s.Scope()))
	}
	return nil, fmt.Errorf("unknown scope %q: this catalog serves %s", scope, strings.Join(names, ", "))
}

// Catalog is what a source holds.
type Catalog struct {
	// Source is the source read.
	Source Source
	// Brokers are its brokers, sorted by namespace and name.
	Brokers []Broker
	// Classes are its classes, sorted by external name.
	Classes []Class
	// Plans are its plans, sorted by external name.
	Plans []Plan
	// Notes say what could not be read, such as brokers the user may not read.
	Notes []string
}

// Broker returns the broker named name in namespace, or nil.
func (c *Catalog) Broker(namespace, name string) *Broker {
	i := slices.IndexFunc(c.Brokers, func(b Broker) bool { return b.Namespace == namespace && b.Name == name })
	if i < 0 {
		return nil
	}
	return &c.Brokers[i]
}

// Class returns the class named name in namespace, or nil.
func (c *Catalog) Class(namespace, name string) *Class {
	i := slices.IndexFunc(c.Classes, func(cl Class) bool { return cl.Namespace == namespace && cl.Name == name })
	if i < 0 {
		return nil
	}
	return &c.Classes[i]
}

// Plan returns the plan named name in namespace, or nil.
func (c *Catalog) Plan(namespace, name string) *Plan {
	i := slices.IndexFunc(c.Plans, func(p Plan) bool { return p.Namespace == namespace && p.Name == name })
	if i < 0 {
		return nil
	}
	return &c.Plans[i]
}

// PlansOf returns the plans of class.
func (c *Catalog) PlansOf(class *Class) []Plan {
	var plans []Plan
	for _, p := range c.Plans {
		if p.Namespace == class.Namespace && p.ClassName == class.Name {
			plans = append(plans, p)
		}
	}
	return plans
}

// sort orders brokers by namespace and name, classes and plans by external name.
func (c *Catalog) sort() {
	slices.SortFunc(c.Brokers, func(a, b Broker) int {
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	slices.SortFunc(c.Classes, func(a, b Class) int {
		return strings.Compare(a.ExternalName+"\x00"+a.Name, b.ExternalName+"\x00"+b.Name)
	})
	slices.SortFunc(c.Plans, func(a, b Plan) int {
		return strings.Compare(a.ExternalName+"\x00"+a.Name, b.ExternalName+"\x00"+b.Name)
	})
}

// newBroker is a broker of either scope, from the catalog's view of it.
func newBroker(obj catalog.Object) Broker {
	b, _ := catalog.BrokerOf(obj)
	return Broker{Namespace: b.Namespace, Name: b.Name, Conditions: b.Status.Conditions, Deleting: obj.GetDeletionTimestamp() != nil, Object: obj}
}

// newClass is a class of either scope, from the catalog's view of it.
func newClass(obj catalog.Object) Class {
	c, _ := catalog.ClassOf(obj)
	return Class{
		Namespace: c.Namespace, Name: c.Name, ExternalName: c.Spec.ExternalName, Description: c.Spec.Description,
		BrokerName: c.BrokerName, Removed: c.Status.RemovedFromBrokerCatalog, Object: obj,
	}
}

// newPlan is a plan of either scope, from the catalog's view of it.
func newPlan(obj catalog.Object) Plan {
	p, _ := catalog.PlanOf(obj)
	return Plan{
		Namespace: p.Namespace, Name: p.Name, ExternalName: p.Spec.ExternalName, Description: p.Spec.Description,
		ClassName: p.ClassName, BrokerName: p.BrokerName, Free: p.Spec.Free, CreateSchema: hasSchema(p.Spec.InstanceCreateParameterSchema),
		Removed: p.Status.RemovedFromBrokerCatalog, Object: obj,
	}
}

// hasSchema tells whether a plan's schema is set.
func hasSchema(schema *runtime.RawExtension) bool {
	return schema != nil && len(schema.Raw) > 0 && string(schema.Raw) != "null"
}
