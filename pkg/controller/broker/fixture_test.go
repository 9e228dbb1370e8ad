package broker

import (
	"context"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/catalog"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/brokerclient"
	"github.com/kube-service-catalog/catalog/pkg/controller/internal/looptest"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// The fixture's timing: the backoff of failed fetches and the relist period.
var (
	backoffBase   = 10 * time.Second
	defaultRelist = 15 * time.Minute
)

// fixture is a broker loop on a looptest.Env whose fake OSB client serves the catalog.
// Its Key is the broker "the-broker" the test is about: the ClusterServiceBroker, or the
// ServiceBroker of a namespace (see in); its helpers read that broker's scope and
// namespace.
type fixture struct {
	*looptest.Env
	c *Controller
	// answer is what the broker answers to GetCatalog: a *osb.CatalogResponse or an error.
	answer any
}

// brokerMeta is the metadata of the test's broker "the-broker" in namespace ("" for the
// cluster).
func brokerMeta(namespace string) metav1.ObjectMeta {
	uid := "broker-uid"
	if namespace != "" {
		uid += "-" + namespace
	}
	return metav1.ObjectMeta{
		Namespace: namespace, Name: "the-broker", UID: types.UID(uid), Generation: 1, ResourceVersion: "1",
		Finalizers: []string{v1beta1.FinalizerServiceCatalog},
	}
}

// brokerSpec is the spec of the test's brokers.
func brokerSpec() v1beta1.CommonServiceBrokerSpec {
	return v1beta1.CommonServiceBrokerSpec{URL: "http://broker.example.com", RelistBehavior: v1beta1.ServiceBrokerRelistBehaviorDuration}
}

// testBroker is the ClusterServiceBroker "the-broker".
func testBroker(tweaks ...func(*v1beta1.ClusterServiceBroker)) *v1beta1.ClusterServiceBroker {
	b := &v1beta1.ClusterServiceBroker{ObjectMeta: brokerMeta(""), Spec: v1beta1.ClusterServiceBrokerSpec{CommonServiceBrokerSpec: brokerSpec()}}
	for _, tweak := range tweaks {
		tweak(b)
	}
	return b
}

// namespacedBroker is the ServiceBroker "the-broker" of namespace.
func namespacedBroker(namespace string, tweaks ...func(*v1beta1.ServiceBroker)) *v1beta1.ServiceBroker {
	b := &v1beta1.ServiceBroker{ObjectMeta: brokerMeta(namespace), Spec: v1beta1.ServiceBrokerSpec{CommonServiceBrokerSpec: brokerSpec()}}
	for _, tweak := range tweaks {
		tweak(b)
	}
	return b
}

// newFixture returns a fixture of the ClusterServiceBroker "the-broker", whose API holds
// objs: Secrets in the core API, the others in the catalog API.
func newFixture(t *testing.T, objs ...runtime.Object) *fixture {
	t.Helper()
	var catalogObjs, kubeObjs []runtime.Object
	for _, obj := range objs {
		if _, ok := obj.(*corev1.Secret); ok {
			kubeObjs = append(kubeObjs, obj)
		} else {
			catalogObjs = append(catalogObjs, obj)
		}
	}
	f := &fixture{Env: looptest.NewEnv(t, catalogObjs, kubeObjs)}
	f.OSB.SetGetCatalogReaction(func(context.Context) (*osb.CatalogResponse, error) {
		switch a := f.answer.(type) {
		case error:
			return nil, a
		case *osb.CatalogResponse:
			return a, nil
		}
		t.Fatalf("no catalog answer set")
		return nil, nil
	})
	f.c = New(Config{
		Client:    f.Catalog,
		Catalog:   f.Cache,
		Instances: f.Informers.ServiceInstances(),
		BrokerClients: brokerclient.NewManager(brokerclient.Options{
			Create: f.OSB.CreateFunc(), Secrets: f.Kube.CoreV1(), CredentialsTTL: looptest.CredentialsTTL, Clock: f.Clock,
		}),
		Recorder:              f.Recorder,
		DefaultRelistDuration: defaultRelist,
		Backoff:               controller.Backoff{Base: backoffBase, Max: time.Hour},
		Clock:                 f.Clock,
	}, controller.Options{})
	f.Loop, f.Key = f.c.sync, cache.ObjectName{Name: "the-broker"}
	return f
}

// in makes the fixture's broker the ServiceBroker "the-broker" of namespace ("" for the
// ClusterServiceBroker), and returns the fixture.
func (f *fixture) in(namespace string) *fixture {
	f.Key = cache.ObjectName{Namespace: namespace, Name: "the-broker"}
	return f
}

// scope is the scope of the fixture's broker.
func (f *fixture) scope() catalog.Scope { return scopeOf(f.Key) }

// resource returns the resource name of a namespaced kind ("serviceclasses") in the
// scope of the fixture's broker, as the fixture's writes name it.
func (f *fixture) resource(namespaced string) string {
	if f.scope() == catalog.ClusterScope {
		return "cluster" + namespaced
	}
	return namespaced
}

// stored returns the view of a stored catalog object of the fixture's scope and namespace.
func stored[V any](f *fixture, resource, name string, view func(any) (V, bool)) V {
	f.T.Helper()
	gvr := v1beta1.SchemeGroupVersion.WithResource(f.resource(resource))
	obj, err := f.Catalog.Tracker().Get(gvr, f.Key.Namespace, name)
	if err != nil {
		f.T.Fatalf("%s %s: %v", gvr.Resource, name, err)
	}
	v, ok := view(obj.DeepCopyObject())
	if !ok {
		f.T.Fatalf("%s %s: %T", gvr.Resource, name, obj)
	}
	return v
}

// broker, class and plan return the stored broker, and the stored class or plan of the
// name, of the fixture's scope and namespace.
func (f *fixture) broker() *catalog.Broker {
	f.T.Helper()
	return stored(f, "servicebrokers", f.Key.Name, catalog.BrokerOf)
}

func (f *fixture) class(name string) *catalog.Class {
	f.T.Helper()
	return stored(f, "serviceclasses", name, catalog.ClassOf)
}

func (f *fixture) plan(name string) *catalog.Plan {
	f.T.Helper()
	return stored(f, "serviceplans", name, catalog.PlanOf)
}

// changeSpec changes the stored broker's spec as a user would, bumping its generation.
func (f *fixture) changeSpec(change func(*catalog.Broker)) {
	f.T.Helper()
	b := f.broker()
	change(b)
	f.ChangeSpec(b.Object)
}

// markDeleted marks the stored broker deleted, as the API server does on a delete while
// the finalizer holds it, and delivers it; the write is not counted among the loop's.
func (f *fixture) markDeleted() {
	f.T.Helper()
	b := f.broker()
	b.Object.SetDeletionTimestamp(&metav1.Time{Time: looptest.Start})
	f.Put(b.Object)
	f.Refresh()
}

// names returns the names of the classes and plans of the fixture's scope and namespace,
// sorted.
func (f *fixture) names() (classes, plans []string) {
	f.T.Helper()
	list := func(informer cache.SharedIndexInformer) []string {
		var out []string
		for _, obj := range informer.GetIndexer().List() {
			if m := obj.(metav1.Object); m.GetNamespace() == f.Key.Namespace {
				out = append(out, m.GetName())
			}
		}
		slices.Sort(out)
		return out
	}
	return list(f.Cache.ClassInformer(f.scope())), list(f.Cache.PlanInformer(f.scope()))
}

func (f *fixture) wantNames(classes, plans []string) {
	f.T.Helper()
	type names struct{ Classes, Plans []string }
	gotClasses, gotPlans := f.names()
	looptest.Require(f.T, "published names", names{classes, plans}, names{gotClasses, gotPlans}, cmpopts.EquateEmpty())
}

func (f *fixture) wantReady(status metav1.ConditionStatus, reason string) *catalog.Broker {
	f.T.Helper()
	b := f.broker()
	looptest.WantReady(f.T, b.Status.Conditions, b.Object.GetGeneration(), status, reason)
	return b
}

func readyMessage(b *catalog.Broker) string {
	return looptest.ReadyMessage(b.Status.Conditions)
}

// fetches is the number of catalog requests so far.
func (f *fixture) fetches() int { return len(f.OSB.ActionsOf(osb.OperationGetCatalog)) }

func (f *fixture) wantFetches(n int) {
	f.T.Helper()
	if got := f.fetches(); got != n {
		f.T.Fatalf("%d catalog requests, want %d", got, n)
	}
}

// createInstance stores an instance and delivers it.
func (f *fixture) createInstance(i *v1beta1.ServiceInstance) {
	f.T.Helper()
	if _, err := f.Catalog.ServicecatalogV1beta1().ServiceInstances(i.Namespace).Create(context.Background(), i, metav1.CreateOptions{}); err != nil {
		f.T.Fatal(err)
	}
	f.Refresh()
}

// deleteInstance deletes an instance and delivers the deletion.
func (f *fixture) deleteInstance(namespace, name string) {
	f.T.Helper()
	if err := f.Catalog.ServicecatalogV1beta1().ServiceInstances(namespace).Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil {
		f.T.Fatal(err)
	}
	f.Refresh()
}

// Catalog builders.
func catalogOf(services ...osb.Service) *osb.CatalogResponse {
	return &osb.CatalogResponse{Services: services, RequestIdentity: "req-catalog"}
}

func service(id, name string, plans ...osb.Plan) osb.Service {
	return osb.Service{ID: id, Name: name, Description: "The " + name + " service", Bindable: true, Plans: plans}
}

func plan(id, name string) osb.Plan {
	return osb.Plan{ID: id, Name: name, Description: "The " + name + " plan"}
}

// instanceOn is an instance of namespace "ns" that resolved the class and plan of the
// ClusterServiceBroker "the-broker".
func instanceOn(name, class, plan string) *v1beta1.ServiceInstance {
	i := &v1beta1.ServiceInstance{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: types.UID("uid-" + name)}}
	i.Status.ClusterServiceBrokerName = "the-broker"
	i.Status.ClusterServiceClassRef = &v1beta1.ClusterObjectReference{Name: class}
	i.Status.ClusterServicePlanRef = &v1beta1.ClusterObjectReference{Name: plan}
	return i
}

// namespacedInstanceOn is an instance of namespace that resolved the class and plan of the
// namespace's ServiceBroker "the-broker".
func namespacedInstanceOn(namespace, name, class, plan string) *v1beta1.ServiceInstance {
	i := &v1beta1.ServiceInstance{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, UID: types.UID("uid-" + namespace + "-" + name)}}
	i.Status.ServiceBrokerName = "the-broker"
	i.Status.ServiceClassRef = &v1beta1.LocalObjectReference{Name: class}
	i.Status.ServicePlanRef = &v1beta1.LocalObjectReference{Name: plan}
	return i
}
