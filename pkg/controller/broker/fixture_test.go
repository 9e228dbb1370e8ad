package broker

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/brokerclient"
	"github.com/kube-service-catalog/catalog/pkg/controller/indexes"
	catalogfake "github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned/fake"
	catalogfactory "github.com/kube-service-catalog/catalog/pkg/generated/informers/externalversions"
	"github.com/kube-service-catalog/catalog/pkg/osb"
	osbfake "github.com/kube-service-catalog/catalog/pkg/osb/fake"
)

var (
	start         = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	backoffBase   = 10 * time.Second
	defaultRelist = 15 * time.Minute
)

// fixture is a broker loop on a fake catalog clientset, informer indexers filled from it
// by refresh (as informers would), and a fake OSB client serving catalog.
//
// The clientset is the simple one: the field-managed fake (NewClientset) cannot create
// objects of this API, as the generated applyconfiguration schema names its types
// differently from the OpenAPI model names of the scheme. The fake API stamps UIDs and
// resourceVersions and refuses writes based on an older resourceVersion, as the API
// server does.
type fixture struct {
	t        *testing.T
	catalog  *catalogfake.Clientset
	kube     *fake.Clientset
	osb      *osbfake.Client
	recorder *record.FakeRecorder
	clock    *clocktesting.FakeClock
	c        *Controller
	rv       int
	// answer is what the broker answers to GetCatalog: a *osb.CatalogResponse or an error.
	answer any

	brokers, classes, plans, instances cache.Indexer
}

func testBroker(tweaks ...func(*v1beta1.ClusterServiceBroker)) *v1beta1.ClusterServiceBroker {
	b := &v1beta1.ClusterServiceBroker{ObjectMeta: metav1.ObjectMeta{
		Name: "the-broker", UID: "broker-uid", Generation: 1, ResourceVersion: "1",
		Finalizers: []string{v1beta1.FinalizerServiceCatalog},
	}}
	b.Spec.URL = "http://broker.example.com"
	b.Spec.RelistBehavior = v1beta1.ServiceBrokerRelistBehaviorDuration
	for _, tweak := range tweaks {
		tweak(b)
	}
	return b
}

func newFixture(t *testing.T, objs ...runtime.Object) *fixture {
	t.Helper()
	f := &fixture{
		t:        t,
		catalog:  catalogfake.NewSimpleClientset(objs...),
		kube:     fake.NewClientset(),
		osb:      osbfake.NewClient(),
		recorder: record.NewFakeRecorder(100),
		clock:    clocktesting.NewFakeClock(start),
		rv:       100,
	}
	f.catalog.PrependReactor("create", "*", f.create)
	f.catalog.PrependReactor("update", "*", f.update)
	f.osb.SetGetCatalogReaction(func(context.Context) (*osb.CatalogResponse, error) {
		switch a := f.answer.(type) {
		case error:
			return nil, a
		case *osb.CatalogResponse:
			return a, nil
		}
		t.Fatalf("no catalog answer set")
		return nil, nil
	})

	factory := catalogfactory.NewSharedInformerFactory(f.catalog, 0)
	sc := factory.Servicecatalog().V1beta1()
	for _, add := range []func() error{
		func() error { return indexes.AddClassIndexes(sc.ClusterServiceClasses().Informer()) },
		func() error { return indexes.AddPlanIndexes(sc.ClusterServicePlans().Informer()) },
		func() error { return indexes.AddInstanceIndexes(sc.ServiceInstances().Informer()) },
	} {
		if err := add(); err != nil {
			t.Fatal(err)
		}
	}
	f.brokers = sc.ClusterServiceBrokers().Informer().GetIndexer()
	f.classes = sc.ClusterServiceClasses().Informer().GetIndexer()
	f.plans = sc.ClusterServicePlans().Informer().GetIndexer()
	f.instances = sc.ServiceInstances().Informer().GetIndexer()
	f.c = New(Config{
		Client:    f.catalog,
		Brokers:   sc.ClusterServiceBrokers(),
		Classes:   sc.ClusterServiceClasses(),
		Plans:     sc.ClusterServicePlans(),
		Instances: sc.ServiceInstances(),
		BrokerClients: brokerclient.NewManager(brokerclient.Options{
			Create: f.osb.CreateFunc(), Secrets: f.kube.CoreV1(), CredentialsTTL: 365 * 24 * time.Hour, Clock: f.clock,
		}),
		Recorder:              f.recorder,
		DefaultRelistDuration: defaultRelist,
		Backoff:               controller.Backoff{Base: backoffBase, Max: time.Hour},
		Clock:                 f.clock,
	}, controller.Options{})
	f.refresh()
	f.catalog.ClearActions()
	return f
}

// create stamps a UID and a resourceVersion on a new object, as the API server does.
func (f *fixture) create(action clienttesting.Action) (bool, runtime.Object, error) {
	obj, err := apimeta.Accessor(action.(clienttesting.CreateAction).GetObject())
	if err != nil {
		return true, nil, err
	}
	f.rv++
	obj.SetUID(types.UID("uid-" + obj.GetName()))
	obj.SetResourceVersion(strconv.Itoa(f.rv))
	return false, nil, nil
}

// update refuses a write of an older resourceVersion, keeps the status on an update and
// the spec on a status update, and stamps a new resourceVersion.
func (f *fixture) update(action clienttesting.Action) (bool, runtime.Object, error) {
	update := action.(clienttesting.UpdateAction)
	gvr := action.GetResource()
	obj, err := apimeta.Accessor(update.GetObject())
	if err != nil {
		return true, nil, err
	}
	current, err := f.catalog.Tracker().Get(gvr, obj.GetNamespace(), obj.GetName())
	if err != nil {
		return true, nil, err
	}
	currentMeta, _ := apimeta.Accessor(current)
	if obj.GetResourceVersion() != currentMeta.GetResourceVersion() {
		return true, nil, apierrors.NewConflict(gvr.GroupResource(), obj.GetName(),
			fmt.Errorf("resourceVersion %s is not the stored %s", obj.GetResourceVersion(), currentMeta.GetResourceVersion()))
	}
	status := update.GetSubresource() == "status"
	var stored runtime.Object
	switch o := update.GetObject().(type) {
	case *v1beta1.ClusterServiceBroker:
		s := current.(*v1beta1.ClusterServiceBroker).DeepCopy()
		if status {
			s.Status = o.Status
		} else {
			s.Spec, s.ObjectMeta = o.Spec, o.ObjectMeta
		}
		stored = s
	case *v1beta1.ClusterServiceClass:
		s := current.(*v1beta1.ClusterServiceClass).DeepCopy()
		if status {
			s.Status = o.Status
		} else {
			s.Spec, s.ObjectMeta = o.Spec, o.ObjectMeta
		}
		stored = s
	case *v1beta1.ClusterServicePlan:
		s := current.(*v1beta1.ClusterServicePlan).DeepCopy()
		if status {
			s.Status = o.Status
		} else {
			s.Spec, s.ObjectMeta = o.Spec, o.ObjectMeta
		}
		stored = s
	default:
		return false, nil, nil
	}
	stored = stored.DeepCopyObject()
	storedMeta, _ := apimeta.Accessor(stored)
	f.rv++
	storedMeta.SetResourceVersion(strconv.Itoa(f.rv))
	if err := f.catalog.Tracker().Update(gvr, stored, storedMeta.GetNamespace()); err != nil {
		return true, nil, err
	}
	return true, stored.DeepCopyObject(), nil
}

// refresh fills the indexers with the stored objects, as informers would.
func (f *fixture) refresh() {
	f.t.Helper()
	ctx := context.Background()
	sc := f.catalog.ServicecatalogV1beta1()
	brokers, err := sc.ClusterServiceBrokers().List(ctx, metav1.ListOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	classes, err := sc.ClusterServiceClasses().List(ctx, metav1.ListOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	plans, err := sc.ClusterServicePlans().List(ctx, metav1.ListOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	instances, err := sc.ServiceInstances("").List(ctx, metav1.ListOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	replace := func(indexer cache.Indexer, items []any) {
		if err := indexer.Replace(items, ""); err != nil {
			f.t.Fatal(err)
		}
	}
	replace(f.brokers, items(brokers.Items))
	replace(f.classes, items(classes.Items))
	replace(f.plans, items(plans.Items))
	replace(f.instances, items(instances.Items))
}

func items[T any](list []T) []any {
	out := make([]any, len(list))
	for i := range list {
		out[i] = &list[i]
	}
	return out
}

// sync syncs the broker and refreshes the indexers.
func (f *fixture) sync() (controller.Result, error) {
	f.t.Helper()
	result, err := f.c.sync(context.Background(), cache.ObjectName{Name: "the-broker"})
	f.refresh()
	return result, err
}

func (f *fixture) mustSync() controller.Result {
	f.t.Helper()
	result, err := f.sync()
	if err != nil {
		f.t.Fatalf("sync: %v", err)
	}
	return result
}

func (f *fixture) broker() *v1beta1.ClusterServiceBroker {
	f.t.Helper()
	b, err := f.catalog.ServicecatalogV1beta1().ClusterServiceBrokers().Get(context.Background(), "the-broker", metav1.GetOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

// changeSpec changes the stored broker's spec as a user would, bumping its generation.
func (f *fixture) changeSpec(change func(*v1beta1.ClusterServiceBroker)) {
	f.t.Helper()
	b := f.broker()
	change(b)
	b.Generation++
	if _, err := f.catalog.ServicecatalogV1beta1().ClusterServiceBrokers().Update(context.Background(), b, metav1.UpdateOptions{}); err != nil {
		f.t.Fatal(err)
	}
	f.refresh()
	f.catalog.ClearActions()
}

func (f *fixture) class(name string) *v1beta1.ClusterServiceClass {
	f.t.Helper()
	c, err := f.catalog.ServicecatalogV1beta1().ClusterServiceClasses().Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		f.t.Fatalf("class %s: %v", name, err)
	}
	return c
}

func (f *fixture) plan(name string) *v1beta1.ClusterServicePlan {
	f.t.Helper()
	p, err := f.catalog.ServicecatalogV1beta1().ClusterServicePlans().Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		f.t.Fatalf("plan %s: %v", name, err)
	}
	return p
}

// names returns the names of the stored classes and plans, sorted.
func (f *fixture) names() (classes, plans []string) {
	f.t.Helper()
	for _, obj := range f.classes.List() {
		classes = append(classes, obj.(*v1beta1.ClusterServiceClass).Name)
	}
	for _, obj := range f.plans.List() {
		plans = append(plans, obj.(*v1beta1.ClusterServicePlan).Name)
	}
	slices.Sort(classes)
	slices.Sort(plans)
	return classes, plans
}

func (f *fixture) wantNames(classes, plans []string) {
	f.t.Helper()
	gotClasses, gotPlans := f.names()
	if !slices.Equal(gotClasses, classes) || !slices.Equal(gotPlans, plans) {
		f.t.Fatalf("classes %v and plans %v, want %v and %v", gotClasses, gotPlans, classes, plans)
	}
}

func (f *fixture) wantReady(status metav1.ConditionStatus, reason string) *v1beta1.ClusterServiceBroker {
	f.t.Helper()
	b := f.broker()
	c := apimeta.FindStatusCondition(b.Status.Conditions, v1beta1.ConditionReady)
	if c == nil || c.Status != status || c.Reason != reason || c.ObservedGeneration != b.Generation {
		f.t.Fatalf("Ready %+v, want %s %s at generation %d; status %+v", c, status, reason, b.Generation, b.Status)
	}
	return b
}

func readyMessage(b *v1beta1.ClusterServiceBroker) string {
	if c := apimeta.FindStatusCondition(b.Status.Conditions, v1beta1.ConditionReady); c != nil {
		return c.Message
	}
	return ""
}

// fetches is the number of catalog requests so far.
func (f *fixture) fetches() int { return len(f.osb.ActionsOf(osb.OperationGetCatalog)) }

func (f *fixture) wantFetches(n int) {
	f.t.Helper()
	if got := f.fetches(); got != n {
		f.t.Fatalf("%d catalog requests, want %d", got, n)
	}
}

// wantEvents checks the reasons of the events recorded since the last check.
func (f *fixture) wantEvents(reasons ...string) []string {
	f.t.Helper()
	var events, got []string
	for {
		select {
		case e := <-f.recorder.Events:
			events = append(events, e)
			got = append(got, strings.Fields(e)[1])
			continue
		default:
		}
		break
	}
	if !slices.Equal(got, reasons) {
		f.t.Fatalf("events %q, want reasons %v", events, reasons)
	}
	return events
}

// writes returns the writes since the last call as "verb resource[/subresource] name".
func (f *fixture) writes() []string {
	var out []string
	for _, a := range f.catalog.Actions() {
		verb := a.GetVerb()
		if verb == "get" || verb == "list" || verb == "watch" {
			continue
		}
		what := a.GetResource().Resource
		if a.GetSubresource() != "" {
			what += "/" + a.GetSubresource()
		}
		name := ""
		switch a := a.(type) {
		case clienttesting.CreateAction:
			name = objectName(a.GetObject())
		case clienttesting.UpdateAction:
			name = objectName(a.GetObject())
		case clienttesting.DeleteAction:
			name = a.GetName()
		case clienttesting.PatchAction:
			name = a.GetName()
		}
		out = append(out, verb+" "+what+" "+name)
	}
	f.catalog.ClearActions()
	return out
}

func (f *fixture) wantWrites(want ...string) {
	f.t.Helper()
	got := f.writes()
	slices.Sort(got)
	want = slices.Clone(want)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		f.t.Fatalf("writes %q, want %q", got, want)
	}
}

func objectName(obj runtime.Object) string {
	m, err := apimeta.Accessor(obj)
	if err != nil {
		return "?"
	}
	return m.GetName()
}

// Catalog builders.
func catalog(services ...osb.Service) *osb.CatalogResponse {
	return &osb.CatalogResponse{Services: services, RequestIdentity: "req-catalog"}
}

func service(id, name string, plans ...osb.Plan) osb.Service {
	return osb.Service{ID: id, Name: name, Description: "The " + name + " service", Bindable: true, Plans: plans}
}

func plan(id, name string) osb.Plan {
	return osb.Plan{ID: id, Name: name, Description: "The " + name + " plan"}
}

func instanceOn(name, class, plan string) *v1beta1.ServiceInstance {
	i := &v1beta1.ServiceInstance{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: types.UID("uid-" + name)}}
	i.Status.ClusterServiceBrokerName = "the-broker"
	i.Status.ClusterServiceClassRef = &v1beta1.ClusterObjectReference{Name: class}
	i.Status.ClusterServicePlanRef = &v1beta1.ClusterObjectReference{Name: plan}
	return i
}

// backoffWait is a wait of the fixture's backoff as stored: rounded up to a second.
func backoffWait(now time.Time, d time.Duration) time.Duration {
	return now.Add(d).Truncate(time.Second).Add(time.Second).Sub(now)
}
