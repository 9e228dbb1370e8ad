package serviceinstance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
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
	"github.com/kube-service-catalog/catalog/pkg/controller/parameters"
	catalogfake "github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned/fake"
	catalogfactory "github.com/kube-service-catalog/catalog/pkg/generated/informers/externalversions"
	"github.com/kube-service-catalog/catalog/pkg/osb"
	osbfake "github.com/kube-service-catalog/catalog/pkg/osb/fake"
)

// testPassword is the value of the instance's parametersFrom Secret: it is sent to the
// broker and never stored in status.
const testPassword = "s3cr3t-parameter-value"

// The fixture's timing: the fake clock's start, the backoff and the polling bounds.
var (
	start       = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	backoffBase = time.Minute
	maxPolling  = time.Hour
)

var instancesResource = v1beta1.SchemeGroupVersion.WithResource("serviceinstances")

// fixture is an instance loop on fake clientsets, informer indexers seeded by hand and a
// fake OSB client. Each sync is called directly; refresh copies what the loop wrote back
// into the indexer, as an informer would. The fake catalog API stamps a new
// resourceVersion on every update and refuses writes based on an older one, as the API
// server does, so that a loop writing a stale copy fails here too.
type fixture struct {
	t        *testing.T
	catalog  *catalogfake.Clientset
	kube     *fake.Clientset
	osb      *osbfake.Client
	recorder *record.FakeRecorder
	clock    *clocktesting.FakeClock
	c        *Controller
	key      cache.ObjectName
	rv       int
	// pollKeys are the operation keys polled, as sent ("" for none).
	pollKeys []string

	instances, bindings, plans, brokers cache.Indexer
}

// fixtureObjects are the objects of a fixture, to tweak before it starts.
type fixtureObjects struct {
	t        *testing.T
	broker   *v1beta1.ClusterServiceBroker
	class    *v1beta1.ClusterServiceClass
	small    *v1beta1.ClusterServicePlan
	large    *v1beta1.ClusterServicePlan
	instance *v1beta1.ServiceInstance
	// catalog holds further catalog objects: other classes, plans, brokers, bindings.
	catalog []runtime.Object
	// kube holds further core objects; the namespace and the parameters Secret are there.
	kube []runtime.Object
}

func alice() *v1beta1.UserInfo {
	return &v1beta1.UserInfo{Username: "alice", UID: "alice-uid", Groups: []string{"dev"}, Extra: map[string]v1beta1.ExtraValue{"team": {"db"}}}
}

func bob() *v1beta1.UserInfo {
	return &v1beta1.UserInfo{Username: "bob", UID: "bob-uid", Groups: []string{"ops"}}
}

func testPlan(name, id, externalName string) *v1beta1.ClusterServicePlan {
	plan := &v1beta1.ClusterServicePlan{ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID("uid-" + name)}}
	plan.Spec.ExternalID, plan.Spec.ExternalName, plan.Spec.Free = id, externalName, true
	plan.Spec.ClusterServiceClassRef = v1beta1.ClusterObjectReference{Name: "kv"}
	plan.Spec.ClusterServiceBrokerName = "the-broker"
	return plan
}

func newObjects(t *testing.T) *fixtureObjects {
	broker := &v1beta1.ClusterServiceBroker{ObjectMeta: metav1.ObjectMeta{Name: "the-broker", UID: "broker-uid", Generation: 1}}
	broker.Spec.URL = "http://broker.example.com"
	class := &v1beta1.ClusterServiceClass{ObjectMeta: metav1.ObjectMeta{Name: "kv", UID: "class-uid"}}
	class.Spec.ExternalID, class.Spec.ExternalName, class.Spec.Bindable, class.Spec.PlanUpdatable = "svc-id", "kv", true, true
	class.Spec.ClusterServiceBrokerName = broker.Name
	instance := &v1beta1.ServiceInstance{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: "ns", Name: "db", UID: "instance-uid", Generation: 1, ResourceVersion: "1",
			Finalizers: []string{v1beta1.FinalizerServiceCatalog},
		},
		Spec: v1beta1.ServiceInstanceSpec{
			PlanReference:  v1beta1.PlanReference{ClusterServiceClassExternalName: "kv", ClusterServicePlanExternalName: "small"},
			ExternalID:     "instance-id",
			Parameters:     &runtime.RawExtension{Raw: []byte(`{"size":3}`)},
			ParametersFrom: []v1beta1.ParametersFromSource{{SecretKeyRef: &v1beta1.SecretKeyReference{Name: "db-params", Key: "params"}}},
			UserInfo:       alice(),
		},
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "db-params"},
		Data:       map[string][]byte{"params": []byte(`{"password":"` + testPassword + `"}`)},
	}
	return &fixtureObjects{
		t: t, broker: broker, class: class, instance: instance,
		small: testPlan("kv-small", "plan-small-id", "small"),
		large: testPlan("kv-large", "plan-large-id", "large"),
		kube:  []runtime.Object{secret},
	}
}

// params builds the parameters the instance's spec asks for.
func (o *fixtureObjects) params() *parameters.Parameters {
	o.t.Helper()
	p, err := parameters.Build(context.Background(), fake.NewClientset(o.kube...).CoreV1(), o.instance.Namespace,
		o.instance.Spec.Parameters, o.instance.Spec.ParametersFrom)
	if err != nil {
		o.t.Fatal(err)
	}
	return p
}

// props is what a request for the spec's parameters on plan records.
func (o *fixtureObjects) props(plan *v1beta1.ClusterServicePlan, user *v1beta1.UserInfo) *v1beta1.ServiceInstancePropertiesState {
	p := o.params()
	return &v1beta1.ServiceInstancePropertiesState{
		ClusterServiceClassExternalID:  o.class.Spec.ExternalID,
		ClusterServicePlanExternalName: plan.Spec.ExternalName,
		ClusterServicePlanExternalID:   plan.Spec.ExternalID,
		PropertiesState:                v1beta1.PropertiesState{Parameters: p.RedactedRaw(), ParameterChecksum: p.Checksum, UserInfo: user.DeepCopy()},
	}
}

// provisioned seeds an instance the broker provisioned on its plan small with the
// parameters of the spec as it is now: tweak the spec afterwards (and bump the
// generation) to ask for an update.
func provisioned(o *fixtureObjects) {
	status := &o.instance.Status
	status.Conditions = []metav1.Condition{{Type: v1beta1.ConditionReady, Status: metav1.ConditionTrue, Reason: conditions.ProvisionedSuccessfully, ObservedGeneration: 1}}
	status.ObservedGeneration = 1
	status.ClusterServiceClassRef = &v1beta1.ClusterObjectReference{Name: o.class.Name}
	status.ClusterServicePlanRef = &v1beta1.ClusterObjectReference{Name: o.small.Name}
	status.ClusterServiceBrokerName = o.broker.Name
	status.ExternalProperties = o.props(o.small, alice())
	status.ProvisionStatus = v1beta1.ServiceInstanceProvisionStatusProvisioned
	status.DeprovisionStatus = v1beta1.ServiceInstanceDeprovisionStatusRequired
}

// changeSpec bumps the generation, as the API server does on a spec change.
func changeSpec(o *fixtureObjects, change func(*v1beta1.ServiceInstanceSpec)) {
	change(&o.instance.Spec)
	o.instance.Generation++
}

// deleting marks the instance deleted by bob, whom the API server records in spec.userInfo.
func deleting(o *fixtureObjects) {
	now := metav1.NewTime(start)
	o.instance.DeletionTimestamp = &now
	o.instance.Spec.UserInfo = bob()
}

func newFixture(t *testing.T, tweaks ...func(*fixtureObjects)) *fixture {
	t.Helper()
	o := newObjects(t)
	for _, tweak := range tweaks {
		tweak(o)
	}
	namespace := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ns", UID: "ns-uid"}}
	catalogObjects := append([]runtime.Object{o.broker, o.class, o.small, o.large, o.instance}, o.catalog...)
	f := &fixture{
		t:        t,
		catalog:  catalogfake.NewClientset(catalogObjects...),
		kube:     fake.NewClientset(append([]runtime.Object{namespace}, o.kube...)...),
		osb:      osbfake.NewClient(),
		recorder: record.NewFakeRecorder(100),
		clock:    clocktesting.NewFakeClock(start),
		key:      cache.MetaObjectToName(o.instance),
		rv:       1,
	}
	f.catalog.PrependReactor("update", "serviceinstances", f.updateInstance)
	f.catalog.PrependReactor("patch", "serviceinstances", f.checkPatchPrecondition)

	factory := catalogfactory.NewSharedInformerFactory(f.catalog, 0)
	kubeFactory := kubeinformers.NewSharedInformerFactory(f.kube, 0)
	sc := factory.Servicecatalog().V1beta1()
	for _, add := range []func() error{
		func() error { return indexes.AddClassIndexes(sc.ClusterServiceClasses().Informer()) },
		func() error { return indexes.AddPlanIndexes(sc.ClusterServicePlans().Informer()) },
		func() error { return indexes.AddInstanceIndexes(sc.ServiceInstances().Informer()) },
		func() error { return indexes.AddBindingIndexes(sc.ServiceBindings().Informer()) },
	} {
		if err := add(); err != nil {
			t.Fatal(err)
		}
	}
	informerOf := map[string]cache.SharedIndexInformer{
		"ClusterServiceBroker": sc.ClusterServiceBrokers().Informer(), "ClusterServiceClass": sc.ClusterServiceClasses().Informer(),
		"ClusterServicePlan": sc.ClusterServicePlans().Informer(), "ServiceInstance": sc.ServiceInstances().Informer(),
		"ServiceBinding": sc.ServiceBindings().Informer(),
	}
	for _, obj := range catalogObjects {
		kind := strings.TrimPrefix(fmt.Sprintf("%T", obj), "*v1beta1.")
		if err := informerOf[kind].GetIndexer().Add(obj); err != nil {
			t.Fatal(err)
		}
	}
	if err := kubeFactory.Core().V1().Namespaces().Informer().GetIndexer().Add(namespace); err != nil {
		t.Fatal(err)
	}
	f.instances = sc.ServiceInstances().Informer().GetIndexer()
	f.bindings = sc.ServiceBindings().Informer().GetIndexer()
	f.plans = sc.ClusterServicePlans().Informer().GetIndexer()
	f.brokers = sc.ClusterServiceBrokers().Informer().GetIndexer()
	f.c = New(Config{
		Client:     f.catalog,
		KubeClient: f.kube,
		Instances:  sc.ServiceInstances(),
		Bindings:   sc.ServiceBindings(),
		Classes:    sc.ClusterServiceClasses(),
		Plans:      sc.ClusterServicePlans(),
		Brokers:    sc.ClusterServiceBrokers(),
		Namespaces: kubeFactory.Core().V1().Namespaces(),
		BrokerClients: brokerclient.NewManager(brokerclient.Options{
			Create: f.osb.CreateFunc(), Secrets: f.kube.CoreV1(), APIVersion: osb.APIVersion2_17,
			// Clients are rebuilt only when the tests say so (Forget), not by time.
			CredentialsTTL: 365 * 24 * time.Hour, Clock: f.clock,
		}),
		ClusterID: "cluster-id",
		Recorder:  f.recorder,
		Backoff:   controller.Backoff{Base: backoffBase, Max: time.Hour},
		Polling:   controller.Polling{MinInterval: time.Second, MaxInterval: time.Minute, MaxDuration: maxPolling},
		Clock:     f.clock,
	}, controller.Options{})
	return f
}

// updateInstance stores an instance update as the API server would: it refuses an update
// of an older resourceVersion, keeps the spec on a status update, and stamps a new
// resourceVersion.
func (f *fixture) updateInstance(action clienttesting.Action) (bool, runtime.Object, error) {
	update := action.(clienttesting.UpdateAction)
	obj := update.GetObject().(*v1beta1.ServiceInstance)
	current, err := f.catalog.Tracker().Get(instancesResource, obj.Namespace, obj.Name)
	if err != nil {
		return true, nil, err
	}
	stored := current.(*v1beta1.ServiceInstance).DeepCopy()
	if obj.ResourceVersion != stored.ResourceVersion {
		return true, nil, apierrors.NewConflict(instancesResource.GroupResource(), obj.Name,
			fmt.Errorf("resourceVersion %s is not the stored %s", obj.ResourceVersion, stored.ResourceVersion))
	}
	if update.GetSubresource() == "status" {
		stored.Status = *obj.Status.DeepCopy()
	} else {
		stored = obj.DeepCopy()
	}
	f.rv++
	stored.ResourceVersion = strconv.Itoa(f.rv)
	if err := f.catalog.Tracker().Update(instancesResource, stored, stored.Namespace); err != nil {
		return true, nil, err
	}
	return true, stored.DeepCopy(), nil
}

// checkPatchPrecondition refuses a patch guarded by an older resourceVersion.
func (f *fixture) checkPatchPrecondition(action clienttesting.Action) (bool, runtime.Object, error) {
	patch := action.(clienttesting.PatchAction)
	var guard struct {
		Metadata struct {
			ResourceVersion string `json:"resourceVersion"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(patch.GetPatch(), &guard); err != nil {
		return true, nil, apierrors.NewBadRequest(err.Error())
	}
	current, err := f.catalog.Tracker().Get(instancesResource, patch.GetNamespace(), patch.GetName())
	if err != nil {
		return true, nil, err
	}
	if rv := guard.Metadata.ResourceVersion; rv != "" && rv != current.(*v1beta1.ServiceInstance).ResourceVersion {
		return true, nil, apierrors.NewConflict(instancesResource.GroupResource(), patch.GetName(), errors.New("changed"))
	}
	return false, nil, nil
}

// sync syncs the instance and copies the stored instance into the indexer.
func (f *fixture) sync() (controller.Result, error) {
	f.t.Helper()
	result, err := f.c.sync(context.Background(), f.key)
	f.refresh()
	return result, err
}

// mustSync syncs and fails the test on an error.
func (f *fixture) mustSync() controller.Result {
	f.t.Helper()
	result, err := f.sync()
	if err != nil {
		f.t.Fatalf("sync: %v", err)
	}
	return result
}

func (f *fixture) refresh() {
	f.t.Helper()
	i, err := f.catalog.ServicecatalogV1beta1().ServiceInstances(f.key.Namespace).Get(context.Background(), f.key.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return
	}
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.instances.Update(i); err != nil {
		f.t.Fatal(err)
	}
}

// changeSpec changes the stored instance's spec as a user would, bumping its generation,
// and lets the informer deliver it.
func (f *fixture) changeSpec(change func(*v1beta1.ServiceInstance)) {
	f.t.Helper()
	i := f.instance()
	change(i)
	i.Generation++
	if _, err := f.catalog.ServicecatalogV1beta1().ServiceInstances(i.Namespace).Update(context.Background(), i, metav1.UpdateOptions{}); err != nil {
		f.t.Fatal(err)
	}
	f.refresh()
	f.catalog.ClearActions()
}

// delete marks the stored instance deleted by bob, as the API server does, and lets the
// informer deliver it.
func (f *fixture) delete() {
	f.t.Helper()
	i := f.instance()
	now := metav1.NewTime(f.clock.Now())
	i.DeletionTimestamp = &now
	i.Spec.UserInfo = bob()
	f.rv++
	i.ResourceVersion = strconv.Itoa(f.rv)
	if err := f.catalog.Tracker().Update(instancesResource, i, i.Namespace); err != nil {
		f.t.Fatal(err)
	}
	f.refresh()
}

func (f *fixture) instance() *v1beta1.ServiceInstance {
	f.t.Helper()
	i, err := f.catalog.ServicecatalogV1beta1().ServiceInstances(f.key.Namespace).Get(context.Background(), f.key.Name, metav1.GetOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	return i
}

func (f *fixture) wantReady(status metav1.ConditionStatus, reason string) *v1beta1.ServiceInstance {
	f.t.Helper()
	i := f.instance()
	c := apimeta.FindStatusCondition(i.Status.Conditions, v1beta1.ConditionReady)
	if c == nil || c.Status != status || c.Reason != reason || c.ObservedGeneration != i.Generation {
		f.t.Fatalf("Ready %+v, want %s %s at generation %d; status %+v", c, status, reason, i.Generation, i.Status)
	}
	return i
}

// wantFailed checks the Failed condition: True with reason, or absent when reason is "".
func (f *fixture) wantFailed(reason string) {
	f.t.Helper()
	i := f.instance()
	c := apimeta.FindStatusCondition(i.Status.Conditions, v1beta1.ConditionFailed)
	switch {
	case reason == "" && c != nil:
		f.t.Fatalf("Failed %+v, want none", c)
	case reason != "" && (c == nil || c.Status != metav1.ConditionTrue || c.Reason != reason):
		f.t.Fatalf("Failed %+v, want True %s", c, reason)
	}
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
	if got := f.calls(); !slices.Equal(got, want) {
		f.t.Fatalf("OSB calls %v, want %v", got, want)
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

// wantWrites checks the writes of the instance since the last check: "status" for a
// status update, "update" for an update, "patch" for a patch.
func (f *fixture) wantWrites(want ...string) {
	f.t.Helper()
	got := f.writes()
	f.catalog.ClearActions()
	if !slices.Equal(got, want) {
		f.t.Fatalf("instance writes %v, want %v", got, want)
	}
}

// answers returns the scripted answers of a fake OSB operation one by one: a *R or an error.
func answers[R any](t *testing.T, op osb.Operation, list ...any) func() (*R, error) {
	i := 0
	return func() (*R, error) {
		t.Helper()
		if i >= len(list) {
			t.Fatalf("unexpected %s call %d; %d scripted", op, i+1, len(list))
		}
		answer := list[i]
		i++
		switch a := answer.(type) {
		case error:
			return nil, a
		case *R:
			return a, nil
		}
		t.Fatalf("bad scripted answer %T", answer)
		return nil, nil
	}
}

func (f *fixture) onProvision(list ...any) {
	next := answers[osb.ProvisionResponse](f.t, osb.OperationProvision, list...)
	f.osb.SetProvisionReaction(func(context.Context, *osb.ProvisionRequest) (*osb.ProvisionResponse, error) { return next() })
}

func (f *fixture) onUpdate(list ...any) {
	next := answers[osb.UpdateResponse](f.t, osb.OperationUpdate, list...)
	f.osb.SetUpdateReaction(func(context.Context, *osb.UpdateRequest) (*osb.UpdateResponse, error) { return next() })
}

func (f *fixture) onDeprovision(list ...any) {
	next := answers[osb.DeprovisionResponse](f.t, osb.OperationDeprovision, list...)
	f.osb.SetDeprovisionReaction(func(context.Context, *osb.DeprovisionRequest) (*osb.DeprovisionResponse, error) { return next() })
}

func (f *fixture) onPoll(list ...any) {
	next := answers[osb.LastOperationResponse](f.t, osb.OperationLastOperation, list...)
	f.osb.SetPollLastOperationReaction(func(_ context.Context, r *osb.LastOperationRequest) (*osb.LastOperationResponse, error) {
		// The fake records the request, whose key points into the loop's copy of the status.
		key := ""
		if r.OperationKey != nil {
			key = *r.OperationKey
		}
		f.pollKeys = append(f.pollKeys, key)
		return next()
	})
}

// request returns the request of the n-th call of op (0 is the first).
func request[R any](f *fixture, op osb.Operation, n int) *R {
	f.t.Helper()
	actions := f.osb.ActionsOf(op)
	if n >= len(actions) {
		f.t.Fatalf("%d %s calls, want at least %d", len(actions), op, n+1)
	}
	return actions[n].Request.(*R)
}

// Answers of the fake broker.
func provisioned200() *osb.ProvisionResponse {
	return &osb.ProvisionResponse{RequestIdentity: "req-provision"}
}

func provisioning202(key string) *osb.ProvisionResponse {
	return &osb.ProvisionResponse{Async: true, OperationKey: &key, RequestIdentity: "req-provision"}
}

func updated200() *osb.UpdateResponse { return &osb.UpdateResponse{RequestIdentity: "req-update"} }

func updating202(key string) *osb.UpdateResponse {
	return &osb.UpdateResponse{Async: true, OperationKey: &key, RequestIdentity: "req-update"}
}

func deprovisioned200() *osb.DeprovisionResponse {
	return &osb.DeprovisionResponse{RequestIdentity: "req-deprovision"}
}

func deprovisioning202(key string) *osb.DeprovisionResponse {
	return &osb.DeprovisionResponse{Async: true, OperationKey: &key, RequestIdentity: "req-deprovision"}
}

func state(s osb.LastOperationState, description string) *osb.LastOperationResponse {
	r := &osb.LastOperationResponse{State: s, RequestIdentity: "req-poll"}
	if description != "" {
		r.Description = &description
	}
	return r
}

func status(code int, errorCode string) error {
	return &osb.HTTPStatusCodeError{StatusCode: code, ErrorCode: errorCode, Description: "broker says " + strconv.Itoa(code)}
}

// wantRequeue checks that a result asks to sync again after d.
func wantRequeue(t *testing.T, result controller.Result, d time.Duration) {
	t.Helper()
	if result.RequeueAfter != d {
		t.Fatalf("RequeueAfter %s, want %s", result.RequeueAfter, d)
	}
}

// requeued tells whether a result asks to sync again, at once or later.
func requeued(result controller.Result) bool {
	return result.Requeue || result.RequeueAfter > 0
}

// backoffWait is the first wait of the fixture's backoff, as stored: rounded up to a second.
func backoffWait(now time.Time) time.Duration {
	return now.Add(backoffBase).Truncate(time.Second).Add(time.Second).Sub(now)
}

// writes lists the loop's writes of the instance so far: "status", "patch", ...
func (f *fixture) writes() []string {
	var got []string
	for _, a := range f.catalog.Actions() {
		if a.GetResource().Resource != "serviceinstances" {
			continue
		}
		switch {
		case a.GetVerb() == "update" && a.GetSubresource() == "status":
			got = append(got, "status")
		case a.GetVerb() == "update", a.GetVerb() == "patch", a.GetVerb() == "create", a.GetVerb() == "delete":
			got = append(got, a.GetVerb())
		}
	}
	return got
}
