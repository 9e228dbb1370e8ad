package initializer

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/catalog"
	clientset "github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned"
	informers "github.com/kube-service-catalog/catalog/pkg/generated/informers/externalversions"
	scinformers "github.com/kube-service-catalog/catalog/pkg/generated/informers/externalversions/servicecatalog/v1beta1"
	sclisters "github.com/kube-service-catalog/catalog/pkg/generated/listers/servicecatalog/v1beta1"
)

// CatalogReader is what the catalog's admission plugins read catalog objects with; the
// server gives all of them the same one. Every read is served from the server's memory,
// each kind from where it is cheapest to reach:
//
//   - classes and plans of both scopes, few and rarely written, from shared informers on
//     the loopback client, indexed by the fields instances name them by; every lookup
//     returns the scope-independent views of package catalog, so that a plugin serves
//     ClusterServiceClasses and ServiceClasses with one code path;
//   - single instances from the server's own ServiceInstance storage, in process;
//   - instances and bindings by external ID from the watch cache, listed through the
//     loopback client.
//
// Informers of instances and bindings would cost a second decoded copy of every write.
type CatalogReader struct {
	factory   informers.SharedInformerFactory
	client    clientset.Interface
	instances ServiceInstanceGetter
	// The indexers of the class and plan informers by scope, and the broker lister, once
	// WatchClassesAndPlans and WatchBrokers asked for them: the factory allocates on
	// every look-up, and the reader looks classes and plans up on every request.
	classIndexers, planIndexers [catalog.NamespaceScope + 1]cache.Indexer
	brokerLister                sclisters.ClusterServiceBrokerLister
}

// NewCatalogReader returns a reader of classes and plans from f's informers, single
// instances from instances, and objects by external ID through client. The server starts
// f once it runs.
func NewCatalogReader(f informers.SharedInformerFactory, client clientset.Interface, instances ServiceInstanceGetter) *CatalogReader {
	return &CatalogReader{factory: f, client: client, instances: instances}
}

// WatchClassesAndPlans asks for the class and plan informers of both scopes and their
// indexes, so that they start with the others; the reader's class and plan lookups need
// it. Call it before the informers start. The returned function reports whether all have
// synced.
func (r *CatalogReader) WatchClassesAndPlans() (synced func() bool, err error) {
	var all []cache.SharedIndexInformer
	for _, scope := range []catalog.Scope{catalog.ClusterScope, catalog.NamespaceScope} {
		classes, plans := r.classes(scope), r.plans(scope)
		if err := addIndexes(classes, byExternalName, byExternalID); err != nil {
			return nil, err
		}
		if err := addIndexes(plans, byClass); err != nil {
			return nil, err
		}
		r.classIndexers[scope], r.planIndexers[scope] = classes.GetIndexer(), plans.GetIndexer()
		all = append(all, classes, plans)
	}
	return func() bool {
		for _, i := range all {
			if !i.HasSynced() {
				return false
			}
		}
		return true
	}, nil
}

// Classes returns the classes of scope that an instance of namespace naming its class n's
// way with value names: none, one, or, by external name or ID, several. A namespaced
// class is found only in its namespace.
func (r *CatalogReader) Classes(_ context.Context, scope catalog.Scope, namespace string, n catalog.Naming, value string) ([]*catalog.Class, error) {
	if scope == catalog.ClusterScope {
		namespace = ""
	}
	indexer := r.classIndexer(scope)
	if n == catalog.ByName {
		return get(indexer, catalog.Key(namespace, value), catalog.ClassOf)
	}
	// The indexes are named after the fields they index.
	return byIndex(indexer, n.SelectableField(), catalog.Key(namespace, value), catalog.ClassOf)
}

// Plan returns the plan of scope called name, in namespace for a namespaced plan, or nil.
func (r *CatalogReader) Plan(_ context.Context, scope catalog.Scope, namespace, name string) (*catalog.Plan, error) {
	if scope == catalog.ClusterScope {
		namespace = ""
	}
	plans, err := get(r.planIndexer(scope), catalog.Key(namespace, name), catalog.PlanOf)
	if err != nil || len(plans) == 0 {
		return nil, err
	}
	return plans[0], nil
}

// PlansOfClass returns the plans of class, in its scope.
func (r *CatalogReader) PlansOfClass(_ context.Context, class *catalog.Class) ([]*catalog.Plan, error) {
	return byIndex(r.planIndexer(class.Scope), byClass, class.Key(), catalog.PlanOf)
}

// ClassOf returns the class an instance of namespace names with ref, in whichever scope
// and naming it uses, or nil when it names none, the catalog has no such class, or
// several classes match.
func (r *CatalogReader) ClassOf(ctx context.Context, namespace string, ref catalog.PlanReference) (*catalog.Class, error) {
	n := catalog.NamingOf(ref)
	if n.Class(ref) == "" {
		return nil, nil
	}
	classes, err := r.Classes(ctx, catalog.ScopeOf(ref), namespace, n, n.Class(ref))
	if err != nil || len(classes) != 1 {
		return nil, err
	}
	return classes[0], nil
}

// PlanOf returns the plan an instance of namespace names with ref, in whichever scope and
// naming it uses, or nil when the catalog has no such plan, or several classes match.
func (r *CatalogReader) PlanOf(ctx context.Context, namespace string, ref catalog.PlanReference) (*catalog.Plan, error) {
	class, err := r.ClassOf(ctx, namespace, ref)
	if err != nil || class == nil {
		return nil, err
	}
	plans, err := r.PlansOfClass(ctx, class)
	if err != nil {
		return nil, err
	}
	n := catalog.NamingOf(ref)
	for _, plan := range plans {
		if n.NamesPlan(ref, catalog.Names{Name: plan.Name, ExternalName: plan.Spec.ExternalName, ExternalID: plan.Spec.ExternalID}) {
			return plan, nil
		}
	}
	return nil, nil
}

// InstancePlan returns the plan an instance is on: the one the controller resolved, in
// either scope, else the one its spec names; nil when there is none.
func (r *CatalogReader) InstancePlan(ctx context.Context, instance *sc.ServiceInstance) (*catalog.Plan, error) {
	if ref := instance.Status.ClusterServicePlanRef; ref != nil && ref.Name != "" {
		return r.Plan(ctx, catalog.ClusterScope, "", ref.Name)
	}
	if ref := instance.Status.ServicePlanRef; ref != nil && ref.Name != "" {
		return r.Plan(ctx, catalog.NamespaceScope, instance.Namespace, ref.Name)
	}
	return r.PlanOf(ctx, instance.Namespace, catalog.PlanReference(instance.Spec.PlanReference))
}

// InstanceClass returns the class of an instance: the one the controller resolved, in
// either scope, else the one its spec names; nil when there is none.
func (r *CatalogReader) InstanceClass(ctx context.Context, instance *sc.ServiceInstance) (*catalog.Class, error) {
	resolved := func(scope catalog.Scope, name string) (*catalog.Class, error) {
		classes, err := r.Classes(ctx, scope, instance.Namespace, catalog.ByName, name)
		if err != nil || len(classes) == 0 {
			return nil, err
		}
		return classes[0], nil
	}
	if ref := instance.Status.ClusterServiceClassRef; ref != nil && ref.Name != "" {
		return resolved(catalog.ClusterScope, ref.Name)
	}
	if ref := instance.Status.ServiceClassRef; ref != nil && ref.Name != "" {
		return resolved(catalog.NamespaceScope, ref.Name)
	}
	return r.ClassOf(ctx, instance.Namespace, catalog.PlanReference(instance.Spec.PlanReference))
}

// ServiceInstance returns the instance, or a NotFound API error.
func (r *CatalogReader) ServiceInstance(ctx context.Context, namespace, name string) (*sc.ServiceInstance, error) {
	return r.instances.GetServiceInstance(ctx, namespace, name)
}

// ServiceInstancesWithExternalID returns the instances, in every namespace, whose
// spec.externalID is id.
func (r *CatalogReader) ServiceInstancesWithExternalID(ctx context.Context, id string) ([]types.NamespacedName, error) {
	list, err := r.client.ServicecatalogV1beta1().ServiceInstances(metav1.NamespaceAll).List(ctx, withExternalID(id))
	if err != nil {
		return nil, err
	}
	var out []types.NamespacedName
	for _, i := range list.Items {
		if i.Spec.ExternalID == id {
			out = append(out, types.NamespacedName{Namespace: i.Namespace, Name: i.Name})
		}
	}
	return out, nil
}

// ServiceBindingsWithExternalID returns the bindings, in every namespace, whose
// spec.externalID is id.
func (r *CatalogReader) ServiceBindingsWithExternalID(ctx context.Context, id string) ([]types.NamespacedName, error) {
	list, err := r.client.ServicecatalogV1beta1().ServiceBindings(metav1.NamespaceAll).List(ctx, withExternalID(id))
	if err != nil {
		return nil, err
	}
	var out []types.NamespacedName
	for _, b := range list.Items {
		if b.Spec.ExternalID == id {
			out = append(out, types.NamespacedName{Namespace: b.Namespace, Name: b.Name})
		}
	}
	return out, nil
}

// WatchBrokers asks for the broker informer, so that it starts with the others; the
// reader's broker lookups need it. The returned function reports whether it has synced.
func (r *CatalogReader) WatchBrokers() (synced func() bool) {
	r.brokerLister = r.brokers().Lister()
	return r.brokers().Informer().HasSynced
}

// ClusterServiceBroker returns the broker called name, or a NotFound API error.
func (r *CatalogReader) ClusterServiceBroker(_ context.Context, name string) (*v1beta1.ClusterServiceBroker, error) {
	if r.brokerLister != nil {
		return r.brokerLister.Get(name)
	}
	return r.brokers().Lister().Get(name)
}

func (r *CatalogReader) brokers() scinformers.ClusterServiceBrokerInformer {
	return r.factory.Servicecatalog().V1beta1().ClusterServiceBrokers()
}

// classIndexer returns the indexer of the classes of scope.
func (r *CatalogReader) classIndexer(scope catalog.Scope) cache.Indexer {
	if indexer := r.classIndexers[scope]; indexer != nil {
		return indexer
	}
	return r.classes(scope).GetIndexer()
}

// planIndexer returns the indexer of the plans of scope.
func (r *CatalogReader) planIndexer(scope catalog.Scope) cache.Indexer {
	if indexer := r.planIndexers[scope]; indexer != nil {
		return indexer
	}
	return r.plans(scope).GetIndexer()
}

// classes returns the informer of the classes of scope.
func (r *CatalogReader) classes(scope catalog.Scope) cache.SharedIndexInformer {
	if scope == catalog.NamespaceScope {
		return r.factory.Servicecatalog().V1beta1().ServiceClasses().Informer()
	}
	return r.factory.Servicecatalog().V1beta1().ClusterServiceClasses().Informer()
}

// plans returns the informer of the plans of scope.
func (r *CatalogReader) plans(scope catalog.Scope) cache.SharedIndexInformer {
	if scope == catalog.NamespaceScope {
		return r.factory.Servicecatalog().V1beta1().ServicePlans().Informer()
	}
	return r.factory.Servicecatalog().V1beta1().ClusterServicePlans().Informer()
}

// withExternalID lists the objects with an external ID from the watch cache
// (resourceVersion 0), as an informer would have them.
func withExternalID(id string) metav1.ListOptions {
	return metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("spec.externalID", id).String(), ResourceVersion: "0"}
}

// byIndex returns the views (see catalog.ClassOf and catalog.PlanOf) of the objects index
// holds under value.
func byIndex[V any](indexer cache.Indexer, index, value string, view func(any) (V, bool)) ([]V, error) {
	objs, err := indexer.ByIndex(index, value)
	if err != nil {
		return nil, err
	}
	return views(objs, index, view)
}

// get returns the view of the object of indexer with key, or none.
func get[V any](indexer cache.Indexer, key string, view func(any) (V, bool)) ([]V, error) {
	obj, exists, err := indexer.GetByKey(key)
	if err != nil || !exists {
		return nil, err
	}
	return views([]any{obj}, key, view)
}

// views returns the views of objs, found under what.
func views[V any](objs []any, what string, view func(any) (V, bool)) ([]V, error) {
	out := make([]V, 0, len(objs))
	for _, obj := range objs {
		v, ok := view(obj)
		if !ok {
			return nil, fmt.Errorf("%s holds a %T", what, obj)
		}
		out = append(out, v)
	}
	return out, nil
}
