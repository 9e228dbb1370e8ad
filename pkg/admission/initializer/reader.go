package initializer

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
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
)

// CatalogReader is what the catalog's admission plugins read catalog objects with; the
// server gives all of them the same one. Every read is served from the server's memory,
// each kind from where it is cheapest to reach:
//
//   - classes and plans, few and rarely written, from shared informers on the loopback
//     client, indexed by the fields instances name them by;
//   - single instances from the server's own ServiceInstance storage, in process;
//   - instances and bindings by external ID from the watch cache, listed through the
//     loopback client.
//
// Informers of instances and bindings would cost a second decoded copy of every write.
type CatalogReader struct {
	factory   informers.SharedInformerFactory
	client    clientset.Interface
	instances ServiceInstanceGetter
}

// NewCatalogReader returns a reader of classes and plans from f's informers, single
// instances from instances, and objects by external ID through client. The server starts
// f once it runs.
func NewCatalogReader(f informers.SharedInformerFactory, client clientset.Interface, instances ServiceInstanceGetter) *CatalogReader {
	return &CatalogReader{factory: f, client: client, instances: instances}
}

// WatchClassesAndPlans asks for the class and plan informers and their indexes, so that
// they start with the others; the reader's class and plan lookups need it. Call it before
// the informers start. The returned function reports whether both have synced.
func (r *CatalogReader) WatchClassesAndPlans() (synced func() bool, err error) {
	classes, plans := r.classes().Informer(), r.plans().Informer()
	if err := addIndexes(classes, byExternalName, byExternalID); err != nil {
		return nil, err
	}
	if err := addIndexes(plans, byClass); err != nil {
		return nil, err
	}
	return func() bool { return classes.HasSynced() && plans.HasSynced() }, nil
}

// ClusterServiceClasses returns the classes an instance naming its class n's way with
// value names: none, one, or, by external name or ID, several.
func (r *CatalogReader) ClusterServiceClasses(_ context.Context, n catalog.Naming, value string) ([]*v1beta1.ClusterServiceClass, error) {
	if n == catalog.ByName {
		class, err := r.classes().Lister().Get(value)
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return []*v1beta1.ClusterServiceClass{class}, nil
	}
	// The indexes are named after the fields they index.
	return byIndex[*v1beta1.ClusterServiceClass](r.classes().Informer().GetIndexer(), n.SelectableField(), value)
}

// ClusterServicePlan returns the plan called name, or a NotFound API error.
func (r *CatalogReader) ClusterServicePlan(_ context.Context, name string) (*v1beta1.ClusterServicePlan, error) {
	return r.plans().Lister().Get(name)
}

// ClusterServicePlansOfClass returns the plans of the class called class.
func (r *CatalogReader) ClusterServicePlansOfClass(_ context.Context, class string) ([]*v1beta1.ClusterServicePlan, error) {
	return byIndex[*v1beta1.ClusterServicePlan](r.plans().Informer().GetIndexer(), byClass, class)
}

// PlanOf returns the plan a spec names, in whichever naming it uses, or nil when the
// catalog has no such plan, or several classes match.
func (r *CatalogReader) PlanOf(ctx context.Context, ref catalog.PlanReference) (*v1beta1.ClusterServicePlan, error) {
	n := catalog.NamingOf(ref)
	classes, err := r.ClusterServiceClasses(ctx, n, n.Class(ref))
	if err != nil || len(classes) != 1 {
		return nil, err
	}
	plans, err := r.ClusterServicePlansOfClass(ctx, classes[0].Name)
	if err != nil {
		return nil, err
	}
	for _, plan := range plans {
		if n.NamesPlan(ref, catalog.Names{Name: plan.Name, ExternalName: plan.Spec.ExternalName, ExternalID: plan.Spec.ExternalID}) {
			return plan, nil
		}
	}
	return nil, nil
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
	return r.brokers().Informer().HasSynced
}

// ClusterServiceBroker returns the broker called name, or a NotFound API error.
func (r *CatalogReader) ClusterServiceBroker(_ context.Context, name string) (*v1beta1.ClusterServiceBroker, error) {
	return r.brokers().Lister().Get(name)
}

func (r *CatalogReader) brokers() scinformers.ClusterServiceBrokerInformer {
	return r.factory.Servicecatalog().V1beta1().ClusterServiceBrokers()
}

func (r *CatalogReader) classes() scinformers.ClusterServiceClassInformer {
	return r.factory.Servicecatalog().V1beta1().ClusterServiceClasses()
}

func (r *CatalogReader) plans() scinformers.ClusterServicePlanInformer {
	return r.factory.Servicecatalog().V1beta1().ClusterServicePlans()
}

// withExternalID lists the objects with an external ID from the watch cache
// (resourceVersion 0), as an informer would have them.
func withExternalID(id string) metav1.ListOptions {
	return metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("spec.externalID", id).String(), ResourceVersion: "0"}
}

// byIndex returns the objects of type T that index holds under value.
func byIndex[T any](indexer cache.Indexer, index, value string) ([]T, error) {
	objs, err := indexer.ByIndex(index, value)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(objs))
	for _, obj := range objs {
		o, ok := obj.(T)
		if !ok {
			return nil, fmt.Errorf("index %s holds a %T", index, obj)
		}
		out = append(out, o)
	}
	return out, nil
}
