// Package catalogcache is how the control loops read brokers, classes and plans of both
// scopes, ClusterServiceBrokers and their classes and plans as well as ServiceBrokers and
// theirs, from the informer caches: one lookup per question, whichever the scope, answered
// with the views of package catalog.
package catalogcache

import (
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/cache"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/catalog"
	"github.com/kube-service-catalog/catalog/pkg/controller/indexes"
	informers "github.com/kube-service-catalog/catalog/pkg/generated/informers/externalversions/servicecatalog/v1beta1"
)

// Informers are the informers of brokers, classes and plans of both scopes.
type Informers struct {
	ClusterBrokers informers.ClusterServiceBrokerInformer
	ClusterClasses informers.ClusterServiceClassInformer
	ClusterPlans   informers.ClusterServicePlanInformer
	Brokers        informers.ServiceBrokerInformer
	Classes        informers.ServiceClassInformer
	Plans          informers.ServicePlanInformer
}

// NewInformers returns the informers of brokers, classes and plans from a factory's group.
func NewInformers(f informers.Interface) Informers {
	return Informers{
		ClusterBrokers: f.ClusterServiceBrokers(), ClusterClasses: f.ClusterServiceClasses(), ClusterPlans: f.ClusterServicePlans(),
		Brokers: f.ServiceBrokers(), Classes: f.ServiceClasses(), Plans: f.ServicePlans(),
	}
}

// Cache reads brokers, classes and plans of both scopes.
type Cache struct {
	brokers, classes, plans [2]cache.SharedIndexInformer
}

// New returns the reader of the informers. Call AddIndexes before they start.
func New(i Informers) *Cache {
	return &Cache{
		brokers: [2]cache.SharedIndexInformer{i.ClusterBrokers.Informer(), i.Brokers.Informer()},
		classes: [2]cache.SharedIndexInformer{i.ClusterClasses.Informer(), i.Classes.Informer()},
		plans:   [2]cache.SharedIndexInformer{i.ClusterPlans.Informer(), i.Plans.Informer()},
	}
}

// AddIndexes adds the indexes of package indexes to the class and plan informers.
func (c *Cache) AddIndexes() error {
	for s := range c.classes {
		if err := indexes.AddClassIndexes(c.classes[s]); err != nil {
			return err
		}
		if err := indexes.AddPlanIndexes(c.plans[s]); err != nil {
			return err
		}
	}
	return nil
}

// Synced returns whether each informer has synced.
func (c *Cache) Synced() []cache.InformerSynced {
	var out []cache.InformerSynced
	for _, set := range [][2]cache.SharedIndexInformer{c.brokers, c.classes, c.plans} {
		out = append(out, set[0].HasSynced, set[1].HasSynced)
	}
	return out
}

// BrokerInformer returns the informer of the scope's brokers, for a loop to watch.
func (c *Cache) BrokerInformer(s catalog.Scope) cache.SharedIndexInformer { return c.brokers[s] }

// ClassInformer returns the informer of the scope's classes.
func (c *Cache) ClassInformer(s catalog.Scope) cache.SharedIndexInformer { return c.classes[s] }

// PlanInformer returns the informer of the scope's plans.
func (c *Cache) PlanInformer(s catalog.Scope) cache.SharedIndexInformer { return c.plans[s] }

// Broker returns the broker of scope s called name (in namespace, for the namespace
// scope), or a NotFound API error. The view is of the cached object: do not change it.
func (c *Cache) Broker(s catalog.Scope, namespace, name string) (*catalog.Broker, error) {
	return get(c.brokers[s], s.BrokerKind(), scoped(s, namespace), name, catalog.BrokerOf)
}

// Class returns the class of scope s called name, or a NotFound API error.
func (c *Cache) Class(s catalog.Scope, namespace, name string) (*catalog.Class, error) {
	return get(c.classes[s], s.ClassKind(), scoped(s, namespace), name, catalog.ClassOf)
}

// Plan returns the plan of scope s called name, or a NotFound API error.
func (c *Cache) Plan(s catalog.Scope, namespace, name string) (*catalog.Plan, error) {
	return get(c.plans[s], s.PlanKind(), scoped(s, namespace), name, catalog.PlanOf)
}

// Classes returns the classes of scope s (in namespace) whose index of package indexes
// has value.
func (c *Cache) Classes(s catalog.Scope, namespace, index, value string) ([]*catalog.Class, error) {
	return byIndex(c.classes[s], index, catalog.Key(scoped(s, namespace), value), catalog.ClassOf)
}

// Plans returns the plans of scope s (in namespace) whose index has value.
func (c *Cache) Plans(s catalog.Scope, namespace, index, value string) ([]*catalog.Plan, error) {
	return byIndex(c.plans[s], index, catalog.Key(scoped(s, namespace), value), catalog.PlanOf)
}

// scoped is the namespace of an object of scope s: none in the cluster scope.
func scoped(s catalog.Scope, namespace string) string {
	if s == catalog.ClusterScope {
		return ""
	}
	return namespace
}

func get[V any](informer cache.SharedIndexInformer, kind, namespace, name string, view func(any) (V, bool)) (V, error) {
	var none V
	obj, ok, err := informer.GetIndexer().GetByKey(catalog.Key(namespace, name))
	if err != nil {
		return none, err
	}
	if !ok {
		return none, apierrors.NewNotFound(sc.Resource(resource(kind)), name)
	}
	v, ok := view(obj)
	if !ok {
		return none, fmt.Errorf("not a %s: %T", kind, obj)
	}
	return v, nil
}

// resource is the resource name of a kind: ClusterServiceClass is clusterserviceclasses.
func resource(kind string) string {
	plural := strings.ToLower(kind) + "s"
	if strings.HasSuffix(kind, "s") {
		plural = strings.ToLower(kind) + "es"
	}
	return plural
}

func byIndex[V any](informer cache.SharedIndexInformer, index, value string, view func(any) (V, bool)) ([]V, error) {
	objs, err := informer.GetIndexer().ByIndex(index, value)
	if err != nil {
		return nil, err
	}
	out := make([]V, 0, len(objs))
	for _, obj := range objs {
		if v, ok := view(obj); ok {
			out = append(out, v)
		}
	}
	return out, nil
}
