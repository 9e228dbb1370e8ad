package broker

import (
	"context"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
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
type fixture struct {
	*looptest.Env
	c *Controller
	// answer is what the broker answers to GetCatalog: a *osb.CatalogResponse or an error.
	answer any
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
	f := &fixture{Env: looptest.NewEnv(t, objs, nil)}
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
	sc := f.Informers
	f.c = New(Config{
		Client:    f.Catalog,
		Brokers:   sc.ClusterServiceBrokers(),
		Classes:   sc.ClusterServiceClasses(),
		Plans:     sc.ClusterServicePlans(),
		Instances: sc.ServiceInstances(),
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

func (f *fixture) broker() *v1beta1.ClusterServiceBroker {
	f.T.Helper()
	b, err := f.Catalog.ServicecatalogV1beta1().ClusterServiceBrokers().Get(context.Background(), "the-broker", metav1.GetOptions{})
	if err != nil {
		f.T.Fatal(err)
	}
	return b
}

// changeSpec changes the stored broker's spec as a user would, bumping its generation.
func (f *fixture) changeSpec(change func(*v1beta1.ClusterServiceBroker)) {
	f.T.Helper()
	b := f.broker()
	change(b)
	f.ChangeSpec(b)
}

func (f *fixture) class(name string) *v1beta1.ClusterServiceClass {
	f.T.Helper()
	c, err := f.Catalog.ServicecatalogV1beta1().ClusterServiceClasses().Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		f.T.Fatalf("class %s: %v", name, err)
	}
	return c
}

func (f *fixture) plan(name string) *v1beta1.ClusterServicePlan {
	f.T.Helper()
	p, err := f.Catalog.ServicecatalogV1beta1().ClusterServicePlans().Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		f.T.Fatalf("plan %s: %v", name, err)
	}
	return p
}

// names returns the names of the stored classes and plans, sorted.
func (f *fixture) names() (classes, plans []string) {
	f.T.Helper()
	for _, obj := range f.Informers.ClusterServiceClasses().Informer().GetIndexer().List() {
		classes = append(classes, obj.(*v1beta1.ClusterServiceClass).Name)
	}
	for _, obj := range f.Informers.ClusterServicePlans().Informer().GetIndexer().List() {
		plans = append(plans, obj.(*v1beta1.ClusterServicePlan).Name)
	}
	slices.Sort(classes)
	slices.Sort(plans)
	return classes, plans
}

func (f *fixture) wantNames(classes, plans []string) {
	f.T.Helper()
	type names struct{ Classes, Plans []string }
	gotClasses, gotPlans := f.names()
	looptest.Require(f.T, "published names", names{classes, plans}, names{gotClasses, gotPlans}, cmpopts.EquateEmpty())
}

func (f *fixture) wantReady(status metav1.ConditionStatus, reason string) *v1beta1.ClusterServiceBroker {
	f.T.Helper()
	b := f.broker()
	looptest.WantReady(f.T, b.Status.Conditions, b.Generation, status, reason)
	return b
}

func readyMessage(b *v1beta1.ClusterServiceBroker) string {
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
