package servicebinding

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	kubeinformers "k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/brokerclient"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/indexes"
	catalogfake "github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned/fake"
	catalogfactory "github.com/kube-service-catalog/catalog/pkg/generated/informers/externalversions"
	"github.com/kube-service-catalog/catalog/pkg/osb"
	osbfake "github.com/kube-service-catalog/catalog/pkg/osb/fake"
)

// fixture is a binding loop on fake clientsets, informer indexers seeded by hand and a
// fake OSB client. Each sync is called directly; refresh copies what the loop wrote back
// into the indexer, as an informer would.
type fixture struct {
	t       *testing.T
	catalog *catalogfake.Clientset
	kube    *fake.Clientset
	osb     *osbfake.Client
	c       *Controller
	key     cache.ObjectName
	clock   *clocktesting.FakeClock
	indexer cache.Indexer
}

// fixtureObjects are the catalog objects of a fixture, to tweak before it starts.
type fixtureObjects struct {
	class    *v1beta1.ClusterServiceClass
	instance *v1beta1.ServiceInstance
	binding  *v1beta1.ServiceBinding
	kube     []runtime.Object
}

func newFixture(t *testing.T, tweak func(*fixtureObjects)) *fixture {
	t.Helper()
	broker := &v1beta1.ClusterServiceBroker{ObjectMeta: metav1.ObjectMeta{Name: "the-broker"}}
	broker.Spec.URL = "http://broker.example.com"
	class := &v1beta1.ClusterServiceClass{ObjectMeta: metav1.ObjectMeta{Name: "kv"}}
	class.Spec.ExternalID, class.Spec.ExternalName, class.Spec.Bindable = "svc-id", "kv", true
	class.Spec.BindingsRetrievable, class.Spec.Tags = true, []string{"redis"}
	class.Spec.ClusterServiceBrokerName = broker.Name
	plan := &v1beta1.ClusterServicePlan{ObjectMeta: metav1.ObjectMeta{Name: "kv-small"}}
	plan.Spec.ExternalID, plan.Spec.ExternalName = "plan-id", "small"
	plan.Spec.ClusterServiceClassRef = v1beta1.ClusterObjectReference{Name: class.Name}
	plan.Spec.ClusterServiceBrokerName = broker.Name
	props := &v1beta1.ServiceInstancePropertiesState{ClusterServiceClassExternalID: "svc-id", ClusterServicePlanExternalID: "plan-id"}
	instance := &v1beta1.ServiceInstance{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "db", Generation: 1},
		Spec:       v1beta1.ServiceInstanceSpec{ExternalID: "instance-id"},
		Status: v1beta1.ServiceInstanceStatus{
			Conditions:               []metav1.Condition{{Type: v1beta1.ConditionReady, Status: metav1.ConditionTrue, Reason: conditions.ProvisionedSuccessfully}},
			ObservedGeneration:       1,
			ClusterServiceClassRef:   &v1beta1.ClusterObjectReference{Name: class.Name},
			ClusterServicePlanRef:    &v1beta1.ClusterObjectReference{Name: plan.Name},
			ClusterServiceBrokerName: broker.Name,
			ExternalProperties:       props,
			ProvisionStatus:          v1beta1.ServiceInstanceProvisionStatusProvisioned,
			DeprovisionStatus:        v1beta1.ServiceInstanceDeprovisionStatusRequired,
		},
	}
	binding := testBinding(func(b *v1beta1.ServiceBinding) {
		b.Generation = 1
		b.Finalizers = []string{v1beta1.FinalizerServiceCatalog}
		b.Spec.UserInfo = &v1beta1.UserInfo{Username: "alice", UID: "alice-uid", Groups: []string{"dev"}}
		b.Status.UnbindStatus = v1beta1.ServiceBindingUnbindStatusNotRequired
	})
	objs := &fixtureObjects{class: class, instance: instance, binding: binding}
	if tweak != nil {
		tweak(objs)
	}
	namespace := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ns", UID: "ns-uid"}}

	f := &fixture{
		t:       t,
		catalog: catalogfake.NewClientset(broker, objs.class, plan, objs.instance, objs.binding),
		kube:    fake.NewClientset(append([]runtime.Object{namespace}, objs.kube...)...),
		osb:     osbfake.NewClient(),
		key:     cache.MetaObjectToName(binding),
		clock:   clocktesting.NewFakeClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)),
	}
	factory := catalogfactory.NewSharedInformerFactory(f.catalog, 0)
	kubeFactory := kubeinformers.NewSharedInformerFactory(f.kube, 0)
	sc := factory.Servicecatalog().V1beta1()
	if err := indexes.AddBindingIndexes(sc.ServiceBindings().Informer()); err != nil {
		t.Fatal(err)
	}
	for informer, obj := range map[cache.SharedIndexInformer]runtime.Object{
		sc.ClusterServiceBrokers().Informer(): broker, sc.ClusterServiceClasses().Informer(): objs.class,
		sc.ClusterServicePlans().Informer(): plan, sc.ServiceInstances().Informer(): objs.instance,
		sc.ServiceBindings().Informer(): objs.binding, kubeFactory.Core().V1().Namespaces().Informer(): namespace,
	} {
		if err := informer.GetIndexer().Add(obj); err != nil {
			t.Fatal(err)
		}
	}
	f.indexer = sc.ServiceBindings().Informer().GetIndexer()
	f.c = New(Config{
		Client:     f.catalog,
		KubeClient: f.kube,
		Bindings:   sc.ServiceBindings(),
		Instances:  sc.ServiceInstances(),
		Classes:    sc.ClusterServiceClasses(),
		Plans:      sc.ClusterServicePlans(),
		Brokers:    sc.ClusterServiceBrokers(),
		Namespaces: kubeFactory.Core().V1().Namespaces(),
		BrokerClients: brokerclient.NewManager(brokerclient.Options{
			Create: f.osb.CreateFunc(), Secrets: f.kube.CoreV1(), APIVersion: osb.APIVersion2_17,
		}),
		ClusterID: "cluster-id",
		Recorder:  record.NewFakeRecorder(100),
		Backoff:   controller.Backoff{Base: time.Minute, Max: time.Hour},
		Polling:   controller.Polling{MinInterval: time.Second, MaxInterval: time.Minute, MaxDuration: time.Hour},
		Clock:     f.clock,
	}, controller.Options{})
	return f
}

// sync syncs the binding and copies the stored binding into the indexer.
func (f *fixture) sync() (controller.Result, error) {
	f.t.Helper()
	result, err := f.c.sync(context.Background(), f.key)
	f.refresh()
	return result, err
}

func (f *fixture) refresh() {
	f.t.Helper()
	b, err := f.catalog.ServicecatalogV1beta1().ServiceBindings(f.key.Namespace).Get(context.Background(), f.key.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return
	}
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.indexer.Update(b); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) binding() *v1beta1.ServiceBinding {
	f.t.Helper()
	b, err := f.catalog.ServicecatalogV1beta1().ServiceBindings(f.key.Namespace).Get(context.Background(), f.key.Name, metav1.GetOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

func (f *fixture) secret() *corev1.Secret {
	s, err := f.kube.CoreV1().Secrets("ns").Get(context.Background(), "db-creds", metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

// calls returns the OSB operations called so far.
func (f *fixture) calls() []osb.Operation {
	var out []osb.Operation
	for _, a := range f.osb.Actions() {
		out = append(out, a.Type)
	}
	return out
}

func (f *fixture) wantCalls(want ...osb.Operation) {
	f.t.Helper()
	got := f.calls()
	if len(got) != len(want) {
		f.t.Fatalf("OSB calls %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			f.t.Fatalf("OSB calls %v, want %v", got, want)
		}
	}
}

func (f *fixture) wantReady(status metav1.ConditionStatus, reason string) *v1beta1.ServiceBinding {
	f.t.Helper()
	b := f.binding()
	c := apimeta.FindStatusCondition(b.Status.Conditions, v1beta1.ConditionReady)
	if c == nil || c.Status != status || c.Reason != reason {
		f.t.Fatalf("Ready %+v, want %s %s; status %+v", c, status, reason, b.Status)
	}
	return b
}

func credentialsAnswer() *osb.BindResponse {
	return &osb.BindResponse{Credentials: map[string]any{"password": testPassword, "port": 6379}, RequestIdentity: "req"}
}

// pending seeds a bind the broker completed whose credentials were never written.
func pending(o *fixtureObjects) {
	props := &v1beta1.PropertiesState{ParameterChecksum: "sum", UserInfo: o.binding.Spec.UserInfo.DeepCopy()}
	o.binding.Status.CurrentOperation = v1beta1.ServiceBindingOperationBind
	o.binding.Status.InProgressProperties = props
	o.binding.Status.ExternalProperties = props.DeepCopy()
	o.binding.Status.UnbindStatus = v1beta1.ServiceBindingUnbindStatusRequired
}

func TestAFirstBindWritesTheSecretThenTheStatus(t *testing.T) {
	f := newFixture(t, nil)
	before := f.binding().Status
	f.osb.SetBindReaction(func(ctx context.Context, r *osb.BindRequest) (*osb.BindResponse, error) {
		// A first attempt is written down with its answer: nothing before it is sent.
		if b := f.binding(); !reflect.DeepEqual(b.Status, before) {
			t.Errorf("status when the bind was sent: %+v", b.Status)
		}
		return credentialsAnswer(), nil
	})
	if _, err := f.sync(); err != nil {
		t.Fatal(err)
	}
	f.wantCalls(osb.OperationBind)
	r := f.osb.ActionsOf(osb.OperationBind)[0].Request.(*osb.BindRequest)
	if r.BindingID != "binding-id" || r.InstanceID != "instance-id" || r.ServiceID != "svc-id" || r.PlanID != "plan-id" || !r.AcceptsIncomplete ||
		r.Context == nil || r.Context.Namespace != "ns" || r.Context.ClusterID != "cluster-id" || r.BindResource == nil || r.BindResource.AppGUID != "ns-uid" ||
		r.OriginatingIdentity == nil || r.OriginatingIdentity.Username != "alice" {
		t.Errorf("bind request %+v", r)
	}
	b := f.wantReady(metav1.ConditionTrue, conditions.InjectedBindResult)
	if b.Status.Binding == nil || b.Status.Binding.Name != "db-creds" || b.Status.CurrentOperation != "" || b.Status.ExternalProperties == nil {
		t.Errorf("status %+v", b.Status)
	}
	s := f.secret()
	if s == nil || string(s.Data["password"]) != testPassword || string(s.Data["port"]) != "6379" || string(s.Data["type"]) != "redis" ||
		string(s.Data["provider"]) != "the-broker" || s.Type != "servicebinding.io/redis" {
		t.Errorf("Secret %+v", s)
	}
	// Done: nothing more happens.
	if _, err := f.sync(); err != nil {
		t.Fatal(err)
	}
	f.wantCalls(osb.OperationBind)
}

func TestAFailedSecretWriteIsRetriedFromMemory(t *testing.T) {
	f := newFixture(t, nil)
	f.osb.SetBindReaction(func(context.Context, *osb.BindRequest) (*osb.BindResponse, error) { return credentialsAnswer(), nil })
	failures := 1
	f.kube.PrependReactor("create", "secrets", func(clienttesting.Action) (bool, runtime.Object, error) {
		if failures > 0 {
			failures--
			return true, nil, apierrors.NewInternalError(errors.New("etcd is unwell"))
		}
		return false, nil, nil
	})
	if _, err := f.sync(); err == nil {
		t.Fatal("a failed Secret write must be retried")
	}
	b := f.wantReady(metav1.ConditionFalse, conditions.ErrorInjectingBindResult)
	if b.Status.CurrentOperation != v1beta1.ServiceBindingOperationBind || b.Status.ExternalProperties == nil {
		t.Errorf("status does not say the broker holds the binding: %+v", b.Status)
	}
	if _, err := f.sync(); err != nil {
		t.Fatal(err)
	}
	f.wantCalls(osb.OperationBind) // no second bind
	f.wantReady(metav1.ConditionTrue, conditions.InjectedBindResult)
	if s := f.secret(); s == nil || string(s.Data["password"]) != testPassword {
		t.Errorf("Secret %+v", s)
	}
}

func TestLostCredentialsAreFetchedAgain(t *testing.T) {
	f := newFixture(t, pending)
	f.osb.SetGetBindingReaction(func(ctx context.Context, r *osb.GetBindingRequest) (*osb.GetBindingResponse, error) {
		if r.BindingID != "binding-id" || r.InstanceID != "instance-id" {
			t.Errorf("get binding %+v", r)
		}
		return &osb.GetBindingResponse{Credentials: map[string]any{"password": testPassword}}, nil
	})
	if _, err := f.sync(); err != nil {
		t.Fatal(err)
	}
	f.wantCalls(osb.OperationGetBinding)
	f.wantReady(metav1.ConditionTrue, conditions.InjectedBindResult)
	if s := f.secret(); s == nil || string(s.Data["password"]) != testPassword {
		t.Errorf("Secret %+v", s)
	}
}

func TestLostCredentialsOfAnUnretrievableBindingMeanUnbindAndBindAgain(t *testing.T) {
	f := newFixture(t, func(o *fixtureObjects) {
		pending(o)
		o.class.Spec.BindingsRetrievable = false
	})
	f.osb.SetUnbindReaction(func(ctx context.Context, r *osb.UnbindRequest) (*osb.UnbindResponse, error) {
		if r.OriginatingIdentity != nil || r.AcceptsIncomplete || r.ServiceID != "svc-id" || r.PlanID != "plan-id" {
			t.Errorf("unbind request %+v", r)
		}
		return &osb.UnbindResponse{}, nil
	})
	f.osb.SetBindReaction(func(ctx context.Context, r *osb.BindRequest) (*osb.BindResponse, error) {
		if r.AcceptsIncomplete {
			t.Errorf("accepts_incomplete sent for an offering that is not bindings_retrievable")
		}
		return credentialsAnswer(), nil
	})
	if _, err := f.sync(); err != nil { // starts orphan mitigation
		t.Fatal(err)
	}
	if b := f.binding(); !b.Status.OrphanMitigationInProgress {
		t.Fatalf("status %+v", b.Status)
	}
	if _, err := f.sync(); err != nil { // unbinds
		t.Fatal(err)
	}
	b := f.wantReady(metav1.ConditionFalse, conditions.BindResultLost)
	if b.Status.OrphanMitigationInProgress || b.Status.UnbindStatus != v1beta1.ServiceBindingUnbindStatusNotRequired || b.Status.Attempts.NextAttemptTime != nil {
		t.Errorf("status after the unbind %+v", b.Status)
	}
	if _, err := f.sync(); err != nil { // binds again
		t.Fatal(err)
	}
	f.wantCalls(osb.OperationUnbind, osb.OperationBind)
	f.wantReady(metav1.ConditionTrue, conditions.InjectedBindResult)
}

func TestAnOwnedSecretFinishesAnInterruptedBind(t *testing.T) {
	f := newFixture(t, func(o *fixtureObjects) {
		o.binding.Status.CurrentOperation = v1beta1.ServiceBindingOperationBind
		o.binding.Status.InProgressProperties = &v1beta1.PropertiesState{ParameterChecksum: "sum"}
		o.binding.Status.UnbindStatus = v1beta1.ServiceBindingUnbindStatusRequired
		s, err := buildSecret(context.Background(), fake.NewClientset().CoreV1(), o.binding, map[string]any{"password": testPassword}, "redis", "the-broker")
		if err != nil {
			t.Fatal(err)
		}
		o.kube = append(o.kube, s)
	})
	if _, err := f.sync(); err != nil {
		t.Fatal(err)
	}
	f.wantCalls() // the broker answered before; its credentials are in the Secret
	f.wantReady(metav1.ConditionTrue, conditions.InjectedBindResult)
}

func TestANotBindablePlanFails(t *testing.T) {
	f := newFixture(t, func(o *fixtureObjects) { o.class.Spec.Bindable = false })
	if _, err := f.sync(); err != nil {
		t.Fatal(err)
	}
	f.wantCalls()
	b := f.wantReady(metav1.ConditionFalse, conditions.ErrorNonbindableServiceClass)
	if !apimeta.IsStatusConditionTrue(b.Status.Conditions, v1beta1.ConditionFailed) || b.Status.UnbindStatus != v1beta1.ServiceBindingUnbindStatusNotRequired {
		t.Errorf("status %+v", b.Status)
	}
}

func TestABindingWaitsForItsInstance(t *testing.T) {
	f := newFixture(t, func(o *fixtureObjects) {
		o.instance.Status.CurrentOperation = v1beta1.ServiceInstanceOperationUpdate
	})
	result, err := f.sync()
	if err != nil || result.RequeueAfter != 0 {
		t.Fatalf("sync: %+v, %v; instance events wake the binding up", result, err)
	}
	f.wantCalls()
	f.wantReady(metav1.ConditionFalse, conditions.ErrorInstanceNotReady)
}

func TestBindFailuresFollowTheTable(t *testing.T) {
	for _, tc := range []struct {
		name      string
		err       error
		reason    string
		failed    bool
		mitigated bool
		unbind    v1beta1.ServiceBindingUnbindStatus
	}{
		{"500", &osb.HTTPStatusCodeError{StatusCode: 500}, conditions.OrphanMitigationInProgress, false, true, v1beta1.ServiceBindingUnbindStatusRequired},
		{"timeout", &osb.TransportError{Timeout: true, MaybeReceived: true}, conditions.OrphanMitigationInProgress, false, true, v1beta1.ServiceBindingUnbindStatusRequired},
		{"204", &osb.UnexpectedStatusError{StatusCode: 204}, conditions.OrphanMitigationInProgress, false, true, v1beta1.ServiceBindingUnbindStatusRequired},
		{"malformed 201", &osb.MalformedResponseError{StatusCode: 201}, conditions.OrphanMitigationInProgress, false, true, v1beta1.ServiceBindingUnbindStatusRequired},
		{"malformed 200", &osb.MalformedResponseError{StatusCode: 200}, conditions.BindFailed, true, false, v1beta1.ServiceBindingUnbindStatusRequired},
		{"400", &osb.HTTPStatusCodeError{StatusCode: 400, Description: "no"}, conditions.BindFailed, true, false, v1beta1.ServiceBindingUnbindStatusNotRequired},
		{"409", &osb.HTTPStatusCodeError{StatusCode: 409}, conditions.BindFailed, true, false, v1beta1.ServiceBindingUnbindStatusRequired},
		{"422 RequiresApp", &osb.HTTPStatusCodeError{StatusCode: 422, ErrorCode: "RequiresApp"}, conditions.BindFailed, true, false, v1beta1.ServiceBindingUnbindStatusNotRequired},
		{"422 ConcurrencyError", &osb.HTTPStatusCodeError{StatusCode: 422, ErrorCode: "ConcurrencyError"}, conditions.BrokerBusy, false, false, v1beta1.ServiceBindingUnbindStatusRequired},
		{"408", &osb.HTTPStatusCodeError{StatusCode: 408}, conditions.BindCallFailed, false, false, v1beta1.ServiceBindingUnbindStatusRequired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			f.osb.SetBindReaction(func(context.Context, *osb.BindRequest) (*osb.BindResponse, error) { return nil, tc.err })
			if _, err := f.sync(); err != nil {
				t.Fatal(err)
			}
			b := f.wantReady(metav1.ConditionFalse, tc.reason)
			if b.Status.OrphanMitigationInProgress != tc.mitigated || apimeta.IsStatusConditionTrue(b.Status.Conditions, v1beta1.ConditionFailed) != tc.failed ||
				b.Status.UnbindStatus != tc.unbind {
				t.Errorf("status %+v", b.Status)
			}
		})
	}
}

func TestDeletionUnbindsThenDeletesTheSecretThenReleases(t *testing.T) {
	now := metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	f := newFixture(t, func(o *fixtureObjects) {
		o.binding.DeletionTimestamp = &now
		o.binding.Status.UnbindStatus = v1beta1.ServiceBindingUnbindStatusRequired
		o.binding.Status.ExternalProperties = &v1beta1.PropertiesState{ParameterChecksum: "sum"}
		o.binding.Status.Binding = &v1beta1.LocalObjectReference{Name: "db-creds"}
		o.binding.Spec.UserInfo = &v1beta1.UserInfo{Username: "bob", UID: "bob-uid"}
		s, err := buildSecret(context.Background(), fake.NewClientset().CoreV1(), o.binding, map[string]any{"password": testPassword}, "redis", "the-broker")
		if err != nil {
			t.Fatal(err)
		}
		o.kube = append(o.kube, s)
	})
	f.osb.SetUnbindReaction(func(ctx context.Context, r *osb.UnbindRequest) (*osb.UnbindResponse, error) {
		if f.secret() == nil {
			t.Errorf("the Secret was deleted before the unbind")
		}
		if r.OriginatingIdentity == nil || r.OriginatingIdentity.Username != "bob" || !r.AcceptsIncomplete {
			t.Errorf("unbind request %+v", r)
		}
		return nil, &osb.HTTPStatusCodeError{StatusCode: 410}
	})
	if _, err := f.sync(); err != nil {
		t.Fatal(err)
	}
	f.wantCalls(osb.OperationUnbind)
	if f.secret() != nil {
		t.Errorf("the Secret outlived the binding")
	}
	if b := f.binding(); len(b.Finalizers) != 0 {
		t.Errorf("finalizers %v", b.Finalizers)
	}
}

func TestDeletionRetriesAFailedUnbindLater(t *testing.T) {
	now := metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	f := newFixture(t, func(o *fixtureObjects) {
		o.binding.DeletionTimestamp = &now
		o.binding.Status.UnbindStatus = v1beta1.ServiceBindingUnbindStatusRequired
	})
	answers := []error{&osb.HTTPStatusCodeError{StatusCode: 503}, nil}
	f.osb.SetUnbindReaction(func(context.Context, *osb.UnbindRequest) (*osb.UnbindResponse, error) {
		err := answers[0]
		answers = answers[1:]
		if err != nil {
			return nil, err
		}
		return &osb.UnbindResponse{}, nil
	})
	result, err := f.sync()
	if err != nil || result.RequeueAfter < 30*time.Second {
		t.Fatalf("sync: %+v, %v", result, err)
	}
	f.wantReady(metav1.ConditionFalse, conditions.UnbindCallFailed)
	// Not before the time kept in status.
	if result, err := f.sync(); err != nil || result.RequeueAfter <= 0 {
		t.Fatalf("sync before the next attempt: %+v, %v", result, err)
	}
	f.wantCalls(osb.OperationUnbind)
	f.clock.Step(2 * time.Minute)
	if _, err := f.sync(); err != nil {
		t.Fatal(err)
	}
	f.wantCalls(osb.OperationUnbind, osb.OperationUnbind)
	if b := f.binding(); len(b.Finalizers) != 0 {
		t.Errorf("finalizers %v", b.Finalizers)
	}
}

func TestPollingAnAsyncBind(t *testing.T) {
	f := newFixture(t, nil)
	f.osb.SetBindReaction(func(context.Context, *osb.BindRequest) (*osb.BindResponse, error) {
		key := "bind/1"
		return &osb.BindResponse{Async: true, OperationKey: &key}, nil
	})
	answers := []func() (*osb.LastOperationResponse, error){
		func() (*osb.LastOperationResponse, error) {
			return &osb.LastOperationResponse{State: osb.StateInProgress, RetryAfter: 7 * time.Second}, nil
		},
		// A 410 while binding is not an answer: polling goes on.
		func() (*osb.LastOperationResponse, error) { return nil, &osb.HTTPStatusCodeError{StatusCode: 410} },
		func() (*osb.LastOperationResponse, error) {
			return &osb.LastOperationResponse{State: osb.StateSucceeded}, nil
		},
	}
	f.osb.SetPollBindingLastOperationReaction(func(ctx context.Context, r *osb.BindingLastOperationRequest) (*osb.LastOperationResponse, error) {
		if r.OperationKey == nil || *r.OperationKey != "bind/1" {
			t.Errorf("poll without the operation key: %+v", r)
		}
		answer := answers[0]
		answers = answers[1:]
		return answer()
	})
	f.osb.SetGetBindingReaction(func(context.Context, *osb.GetBindingRequest) (*osb.GetBindingResponse, error) {
		return &osb.GetBindingResponse{Credentials: map[string]any{"password": testPassword}}, nil
	})
	if result, err := f.sync(); err != nil || result.RequeueAfter <= 0 {
		t.Fatalf("bind: %+v, %v", result, err)
	}
	if b := f.wantReady(metav1.ConditionFalse, conditions.Binding); !b.Status.AsyncOpInProgress || b.Status.OperationKey != "bind/1" {
		t.Fatalf("status %+v", b.Status)
	}
	if result, err := f.sync(); err != nil || result.RequeueAfter != 7*time.Second {
		t.Fatalf("in progress: %+v, %v; want the broker's Retry-After", result, err)
	}
	if result, err := f.sync(); err != nil || result.RequeueAfter <= 0 {
		t.Fatalf("410: %+v, %v; want polling to go on", result, err)
	}
	f.wantReady(metav1.ConditionFalse, conditions.ErrorPollingLastOperation)
	if _, err := f.sync(); err != nil {
		t.Fatal(err)
	}
	f.wantCalls(osb.OperationBind, osb.OperationBindingLastOperation, osb.OperationBindingLastOperation, osb.OperationBindingLastOperation, osb.OperationGetBinding)
	f.wantReady(metav1.ConditionTrue, conditions.InjectedBindResult)
}

func TestAnAsyncBindPastTheMaximumPollingDurationIsCleanedUp(t *testing.T) {
	f := newFixture(t, nil)
	f.osb.SetBindReaction(func(context.Context, *osb.BindRequest) (*osb.BindResponse, error) {
		return &osb.BindResponse{Async: true}, nil
	})
	if _, err := f.sync(); err != nil {
		t.Fatal(err)
	}
	f.clock.Step(2 * time.Hour) // the fixture's MaxPollingDuration is an hour
	if _, err := f.sync(); err != nil {
		t.Fatal(err)
	}
	b := f.binding()
	if !b.Status.OrphanMitigationInProgress || b.Status.AsyncOpInProgress {
		t.Fatalf("status %+v", b.Status)
	}
	if c := apimeta.FindStatusCondition(b.Status.Conditions, v1beta1.ConditionOrphanMitigation); c == nil || c.Reason != conditions.OperationTimedOut {
		t.Errorf("orphan mitigation condition %+v", c)
	}
	f.wantCalls(osb.OperationBind) // no poll after the deadline
}

func TestDeletingBeforeAnyBindWasRecorded(t *testing.T) {
	now := metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	unrecorded := func(o *fixtureObjects) {
		o.binding.DeletionTimestamp = &now
		o.binding.Status.UnbindStatus = v1beta1.ServiceBindingUnbindStatusRequired // as the API server creates it
	}
	t.Run("instance provisioned: the broker is asked", func(t *testing.T) {
		// The controller may have bound and stopped before writing it down.
		f := newFixture(t, unrecorded)
		f.osb.SetUnbindReaction(func(ctx context.Context, r *osb.UnbindRequest) (*osb.UnbindResponse, error) {
			if r.BindingID != "binding-id" || r.InstanceID != "instance-id" || r.ServiceID != "svc-id" || r.PlanID != "plan-id" {
				t.Errorf("unbind request %+v", r)
			}
			return nil, &osb.HTTPStatusCodeError{StatusCode: 410}
		})
		if _, err := f.sync(); err != nil {
			t.Fatal(err)
		}
		f.wantCalls(osb.OperationUnbind)
		if b := f.binding(); len(b.Finalizers) != 0 {
			t.Errorf("finalizers %v", b.Finalizers)
		}
	})
	t.Run("instance gone: released without a call", func(t *testing.T) {
		f := newFixture(t, func(o *fixtureObjects) {
			unrecorded(o)
			o.binding.Spec.InstanceRef.Name = "no-such-instance"
		})
		if _, err := f.sync(); err != nil {
			t.Fatal(err)
		}
		f.wantCalls()
		if b := f.binding(); len(b.Finalizers) != 0 {
			t.Errorf("finalizers %v", b.Finalizers)
		}
	})
}
