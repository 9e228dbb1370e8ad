// Package looptest is what the unit tests of the control loops share: an Env of fake
// clientsets that act as the API server does where the loops rely on it, the catalog's
// informers (never started: tests fill their indexers with Refresh, as informers would),
// a recording fake OSB client with scripted answers, a fake event recorder and a fake
// clock, and the checks the tests make of what a sync did: its writes, events, broker
// calls, Ready condition and requeue. Expect and Require compare what a test checks with
// cmp.Diff, so that a failure says what differs.
//
// Each loop's tests keep only their own builders: the objects they seed, and the wiring
// of their loop's New on an Env.
package looptest

import (
	"context"
	"testing"
	"time"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kubeinformers "k8s.io/client-go/informers"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/brokerclient"
	"github.com/kube-service-catalog/catalog/pkg/controller/catalogcache"
	"github.com/kube-service-catalog/catalog/pkg/controller/indexes"
	"github.com/kube-service-catalog/catalog/pkg/controller/operation"
	catalogfake "github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned/fake"
	catalogfactory "github.com/kube-service-catalog/catalog/pkg/generated/informers/externalversions"
	catalogv1beta1 "github.com/kube-service-catalog/catalog/pkg/generated/informers/externalversions/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/osb"
	osbfake "github.com/kube-service-catalog/catalog/pkg/osb/fake"
)

// Start is the fake clock's time when a test starts.
var Start = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// The pacing of the loops built on the operation engine, as OperationConfig sets it.
var (
	Backoff = controller.Backoff{Base: time.Minute, Max: time.Hour}
	Polling = controller.Polling{MinInterval: time.Second, MaxInterval: time.Minute, MaxDuration: time.Hour}
)

// CredentialsTTL is how long a broker client's credentials are kept: longer than any test
// runs, so that clients are built again only when a test makes the loop forget them.
const CredentialsTTL = 365 * 24 * time.Hour

// Env is the world a loop runs in during a unit test. The loop's sync is called directly;
// Refresh then delivers what it wrote to the indexers, as informers would.
type Env struct {
	// T is the test the Env fails.
	T testing.TB
	// Catalog is the catalog API. Its reactors act as the API server does: a create stamps
	// a UID and a resourceVersion; an update or a patch based on an older resourceVersion
	// is refused with a conflict; an update keeps the stored status and an update of the
	// status subresource keeps all but the status; every update stamps a new
	// resourceVersion. A test may prepend reactors of its own, to make a write fail.
	//
	// It is the simple clientset: the field-managed fake (NewClientset) cannot create
	// objects of this API, as the generated applyconfiguration schema names its types
	// differently from the OpenAPI model names of the scheme.
	Catalog *catalogfake.Clientset
	// Kube holds the namespaces and Secrets.
	Kube *fake.Clientset
	// OSB is the broker: every client the loops build is this fake.
	OSB *osbfake.Client
	// Recorder holds the events the loops record, a hundred at most: WantEvents takes them.
	Recorder *record.FakeRecorder
	// Clock is the loops' clock; it starts at Start and moves only when a test steps it.
	Clock *clocktesting.FakeClock
	// Informers are the catalog informers, with the indexes of package indexes.
	Informers catalogv1beta1.Interface
	// Cache reads brokers, classes and plans of both scopes from Informers.
	Cache *catalogcache.Cache
	// Namespaces is the namespace informer.
	Namespaces coreinformers.NamespaceInformer
	// Loop is the sync of the loop under test, and Key the key the test syncs: the loop's
	// fixture sets them.
	Loop controller.SyncFunc
	Key  cache.ObjectName

	// rv is the last resourceVersion the fake API stamped.
	rv int
}

// NewEnv returns an Env whose catalog API holds catalog and whose core API holds kube, with
// the indexers filled from them.
func NewEnv(t testing.TB, catalog, kube []runtime.Object) *Env {
	t.Helper()
	e := &Env{
		T:        t,
		Catalog:  catalogfake.NewSimpleClientset(catalog...),
		Kube:     fake.NewClientset(kube...),
		OSB:      osbfake.NewClient(),
		Recorder: record.NewFakeRecorder(100),
		Clock:    clocktesting.NewFakeClock(Start),
		rv:       100,
	}
	e.serveLikeAPIServer()
	e.Informers = catalogfactory.NewSharedInformerFactory(e.Catalog, 0).Servicecatalog().V1beta1()
	e.Namespaces = kubeinformers.NewSharedInformerFactory(e.Kube, 0).Core().V1().Namespaces()
	e.Cache = catalogcache.New(catalogcache.NewInformers(e.Informers))
	for _, add := range []func() error{
		e.Cache.AddIndexes,
		func() error { return indexes.AddInstanceIndexes(e.Informers.ServiceInstances().Informer()) },
		func() error { return indexes.AddBindingIndexes(e.Informers.ServiceBindings().Informer()) },
	} {
		if err := add(); err != nil {
			t.Fatal(err)
		}
	}
	e.Refresh()
	return e
}

// Refresh fills every indexer with the objects stored, as informers would: what a test
// added to an indexer by hand and not to the API is gone afterwards.
func (e *Env) Refresh() {
	e.T.Helper()
	gv := v1beta1.SchemeGroupVersion
	for _, k := range []struct {
		api      clienttesting.ObjectTracker
		gvr      schema.GroupVersionResource
		kind     string
		informer cache.SharedIndexInformer
	}{
		{e.Catalog.Tracker(), gv.WithResource("clusterservicebrokers"), "ClusterServiceBroker", e.Informers.ClusterServiceBrokers().Informer()},
		{e.Catalog.Tracker(), gv.WithResource("clusterserviceclasses"), "ClusterServiceClass", e.Informers.ClusterServiceClasses().Informer()},
		{e.Catalog.Tracker(), gv.WithResource("clusterserviceplans"), "ClusterServicePlan", e.Informers.ClusterServicePlans().Informer()},
		{e.Catalog.Tracker(), gv.WithResource("servicebrokers"), "ServiceBroker", e.Informers.ServiceBrokers().Informer()},
		{e.Catalog.Tracker(), gv.WithResource("serviceclasses"), "ServiceClass", e.Informers.ServiceClasses().Informer()},
		{e.Catalog.Tracker(), gv.WithResource("serviceplans"), "ServicePlan", e.Informers.ServicePlans().Informer()},
		{e.Catalog.Tracker(), gv.WithResource("serviceinstances"), "ServiceInstance", e.Informers.ServiceInstances().Informer()},
		{e.Catalog.Tracker(), gv.WithResource("servicebindings"), "ServiceBinding", e.Informers.ServiceBindings().Informer()},
		{e.Kube.Tracker(), schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}, "Namespace", e.Namespaces.Informer()},
	} {
		list, err := k.api.List(k.gvr, k.gvr.GroupVersion().WithKind(k.kind), metav1.NamespaceAll)
		if err != nil {
			e.T.Fatalf("listing %s: %v", k.gvr.Resource, err)
		}
		objs, err := apimeta.ExtractList(list)
		if err != nil {
			e.T.Fatal(err)
		}
		items := make([]any, len(objs))
		for i := range objs {
			items[i] = objs[i]
		}
		if err := k.informer.GetIndexer().Replace(items, ""); err != nil {
			e.T.Fatal(err)
		}
	}
}

// OperationConfig is the configuration of a loop built on the operation engine (the
// instance and binding loops) on the Env: its clients, informers, broker clients of OSB
// API version 2.17 built on the fake OSB client, cluster id "cluster-id", and the pacing
// of Backoff and Polling.
func (e *Env) OperationConfig() operation.Config {
	return operation.Config{
		Client:     e.Catalog,
		KubeClient: e.Kube,
		Instances:  e.Informers.ServiceInstances(),
		Bindings:   e.Informers.ServiceBindings(),
		Catalog:    e.Cache,
		Namespaces: e.Namespaces,
		BrokerClients: brokerclient.NewManager(brokerclient.Options{
			Create: e.OSB.CreateFunc(), Secrets: e.Kube.CoreV1(), APIVersion: osb.APIVersion2_17,
			CredentialsTTL: CredentialsTTL, Clock: e.Clock,
		}),
		ClusterID: "cluster-id",
		Recorder:  e.Recorder,
		Backoff:   Backoff,
		Polling:   Polling,
		Clock:     e.Clock,
	}
}

// Sync syncs Key, then lets the informers deliver what the sync wrote.
func (e *Env) Sync() (controller.Result, error) {
	e.T.Helper()
	result, err := e.Loop(context.Background(), e.Key)
	e.Refresh()
	return result, err
}

// MustSync is Sync that stops the test on an error.
func (e *Env) MustSync() controller.Result {
	e.T.Helper()
	result, err := e.Sync()
	if err != nil {
		e.T.Fatalf("sync: %v", err)
	}
	return result
}
