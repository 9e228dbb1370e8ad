package broker

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/catalog"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	v1beta1client "github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned/typed/servicecatalog/v1beta1"
)

// This file holds the only typed code of the loop: the writes of each scope's kinds and
// the objects a drafted entry becomes in each scope. The rest works on the views of
// package catalog and on entries, and serves both scopes alike.

// brokerWrites reads and writes the brokers of one scope.
type brokerWrites interface {
	// fetch returns a copy of the broker key names, read with get from the informer
	// cache, as controller.Writer.Fetch does.
	fetch(key cache.ObjectName, get func() (catalog.Object, error)) (*catalog.Broker, bool, error)
	updateStatus(ctx context.Context, broker *catalog.Broker) error
	releaseFinalizer(ctx context.Context, broker *catalog.Broker) error
}

// typedBrokers are the brokerWrites of the broker kind T.
type typedBrokers[T controller.Object[T]] struct {
	writer *controller.Writer[T]
}

func (b typedBrokers[T]) fetch(key cache.ObjectName, get func() (catalog.Object, error)) (*catalog.Broker, bool, error) {
	obj, ok, err := b.writer.Fetch(key, func() (T, error) {
		cached, err := get()
		if err != nil {
			var none T
			return none, err
		}
		return cached.(T), nil
	})
	if !ok {
		return nil, false, err
	}
	view, _ := catalog.BrokerOf(obj)
	return view, true, nil
}

func (b typedBrokers[T]) updateStatus(ctx context.Context, broker *catalog.Broker) error {
	_, err := b.writer.UpdateStatus(ctx, broker.Object.(T))
	return err
}

func (b typedBrokers[T]) releaseFinalizer(ctx context.Context, broker *catalog.Broker) error {
	return b.writer.ReleaseFinalizer(ctx, broker.Object.(T))
}

// objectWrites writes the classes or the plans of one scope.
type objectWrites interface {
	get(ctx context.Context, namespace, name string) (catalog.Object, error)
	create(ctx context.Context, obj catalog.Object) (catalog.Object, error)
	update(ctx context.Context, obj catalog.Object) (catalog.Object, error)
	updateStatus(ctx context.Context, obj catalog.Object) (catalog.Object, error)
	// delete deletes the object of the name, if it still has uid.
	delete(ctx context.Context, namespace, name string, uid types.UID) error
}

// typedClient is the part of the generated client of classes or plans that publishing
// uses.
type typedClient[T any] interface {
	Get(ctx context.Context, name string, opts metav1.GetOptions) (T, error)
	Create(ctx context.Context, obj T, opts metav1.CreateOptions) (T, error)
	Update(ctx context.Context, obj T, opts metav1.UpdateOptions) (T, error)
	UpdateStatus(ctx context.Context, obj T, opts metav1.UpdateOptions) (T, error)
	Delete(ctx context.Context, name string, opts metav1.DeleteOptions) error
}

// typedObjects are the objectWrites of the kind T: the generated client of a namespace
// ("" in the cluster scope).
type typedObjects[T catalog.Object] func(namespace string) typedClient[T]

func (c typedObjects[T]) get(ctx context.Context, namespace, name string) (catalog.Object, error) {
	return untyped(c(namespace).Get(ctx, name, metav1.GetOptions{}))
}

func (c typedObjects[T]) create(ctx context.Context, obj catalog.Object) (catalog.Object, error) {
	return untyped(c(obj.GetNamespace()).Create(ctx, obj.(T), metav1.CreateOptions{FieldManager: FieldManager}))
}

func (c typedObjects[T]) update(ctx context.Context, obj catalog.Object) (catalog.Object, error) {
	return untyped(c(obj.GetNamespace()).Update(ctx, obj.(T), metav1.UpdateOptions{FieldManager: FieldManager}))
}

func (c typedObjects[T]) updateStatus(ctx context.Context, obj catalog.Object) (catalog.Object, error) {
	return untyped(c(obj.GetNamespace()).UpdateStatus(ctx, obj.(T), metav1.UpdateOptions{FieldManager: FieldManager}))
}

func (c typedObjects[T]) delete(ctx context.Context, namespace, name string, uid types.UID) error {
	return c(namespace).Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
}

// untyped returns what a typed call returned as a catalog.Object: nil on an error, not a
// typed nil.
func untyped[T catalog.Object](obj T, err error) (catalog.Object, error) {
	if err != nil {
		return nil, err
	}
	return obj, nil
}

// newBrokerWrites returns the brokerWrites of each scope.
func newBrokerWrites(sc v1beta1client.ServicecatalogV1beta1Interface) [2]brokerWrites {
	return [2]brokerWrites{
		catalog.ClusterScope: typedBrokers[*v1beta1.ClusterServiceBroker]{controller.NewWriter(FieldManager,
			func(string) controller.Client[*v1beta1.ClusterServiceBroker] { return sc.ClusterServiceBrokers() })},
		catalog.NamespaceScope: typedBrokers[*v1beta1.ServiceBroker]{controller.NewWriter(FieldManager,
			func(namespace string) controller.Client[*v1beta1.ServiceBroker] { return sc.ServiceBrokers(namespace) })},
	}
}

// newKinds returns the writes of classes and of plans in each scope, and the objects
// drafts become there.
func newKinds(sc v1beta1client.ServicecatalogV1beta1Interface) (classes [2]kind[classSpec], plans [2]kind[planSpec]) {
	classes[catalog.ClusterScope] = kind[classSpec]{typedObjects[*v1beta1.ClusterServiceClass](
		func(string) typedClient[*v1beta1.ClusterServiceClass] { return sc.ClusterServiceClasses() }), clusterClass}
	classes[catalog.NamespaceScope] = kind[classSpec]{typedObjects[*v1beta1.ServiceClass](
		func(namespace string) typedClient[*v1beta1.ServiceClass] { return sc.ServiceClasses(namespace) }), namespacedClass}
	plans[catalog.ClusterScope] = kind[planSpec]{typedObjects[*v1beta1.ClusterServicePlan](
		func(string) typedClient[*v1beta1.ClusterServicePlan] { return sc.ClusterServicePlans() }), clusterPlan}
	plans[catalog.NamespaceScope] = kind[planSpec]{typedObjects[*v1beta1.ServicePlan](
		func(namespace string) typedClient[*v1beta1.ServicePlan] { return sc.ServicePlans(namespace) }), namespacedPlan}
	return classes, plans
}

func clusterClass(meta metav1.ObjectMeta, broker string, d *draft[classSpec]) catalog.Object {
	return &v1beta1.ClusterServiceClass{ObjectMeta: meta, Spec: v1beta1.ClusterServiceClassSpec{CommonServiceClassSpec: d.spec, ClusterServiceBrokerName: broker}}
}

func namespacedClass(meta metav1.ObjectMeta, broker string, d *draft[classSpec]) catalog.Object {
	return &v1beta1.ServiceClass{ObjectMeta: meta, Spec: v1beta1.ServiceClassSpec{CommonServiceClassSpec: d.spec, ServiceBrokerName: broker}}
}

func clusterPlan(meta metav1.ObjectMeta, broker string, d *draft[planSpec]) catalog.Object {
	ref := v1beta1.ClusterObjectReference{Name: d.class}
	return &v1beta1.ClusterServicePlan{ObjectMeta: meta, Spec: v1beta1.ClusterServicePlanSpec{CommonServicePlanSpec: d.spec, ClusterServiceBrokerName: broker, ClusterServiceClassRef: ref}}
}

func namespacedPlan(meta metav1.ObjectMeta, broker string, d *draft[planSpec]) catalog.Object {
	ref := v1beta1.LocalObjectReference{Name: d.class}
	return &v1beta1.ServicePlan{ObjectMeta: meta, Spec: v1beta1.ServicePlanSpec{CommonServicePlanSpec: d.spec, ServiceBrokerName: broker, ServiceClassRef: ref}}
}
