package serviceinstance

import (
	"context"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/internal/looptest"
	"github.com/kube-service-catalog/catalog/pkg/osb"
	"github.com/kube-service-catalog/catalog/pkg/parameters"
)

// testPassword is the value of the instance's parametersFrom Secret: it is sent to the
// broker and never stored in status.
const testPassword = "s3cr3t-parameter-value"

// backoffBase is the first wait after a failed broker call.
var backoffBase = looptest.Backoff.Base

// fixture is an instance loop on a looptest.Env that syncs the instance ns/db.
type fixture struct {
	*looptest.Env
	c *Controller
	// pollKeys are the operation keys polled, as sent ("" for none).
	pollKeys []string
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
	fetched := metav1.NewTime(looptest.Start.Add(-time.Hour))
	plan.Status.CatalogDigest, plan.Status.LastCatalogRetrievalTime = "sha256:digest-of-"+id, &fetched
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
		PropertiesState: v1beta1.PropertiesState{Parameters: p.RedactedRaw(), ParameterChecksum: p.Checksum, UserInfo: user.DeepCopy(),
			PlanDigest: plan.Status.CatalogDigest, PlanRetrievalTime: plan.Status.LastCatalogRetrievalTime},
	}
}

// madeWith is what status records of a request the broker answered with requestIdentity.
func madeWith(props *v1beta1.ServiceInstancePropertiesState, requestIdentity string) *v1beta1.ServiceInstancePropertiesState {
	out := props.DeepCopy()
	out.RequestIdentity = requestIdentity
	return out
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
	now := metav1.NewTime(looptest.Start)
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
	f := &fixture{Env: looptest.NewEnv(t,
		append([]runtime.Object{o.broker, o.class, o.small, o.large, o.instance}, o.catalog...),
		append([]runtime.Object{namespace}, o.kube...))}
	f.c = New(f.OperationConfig(), controller.Options{})
	f.Loop, f.Key = f.c.sync, cache.MetaObjectToName(o.instance)
	return f
}

// changeSpec changes the stored instance's spec as a user would, bumping its generation,
// and lets the informer deliver it.
func (f *fixture) changeSpec(change func(*v1beta1.ServiceInstance)) {
	f.T.Helper()
	i := f.instance()
	change(i)
	f.ChangeSpec(i)
}

// delete marks the stored instance deleted by bob, as the API server does, and lets the
// informer deliver it.
func (f *fixture) delete() {
	f.T.Helper()
	i := f.instance()
	now := metav1.NewTime(f.Clock.Now())
	i.DeletionTimestamp = &now
	i.Spec.UserInfo = bob()
	f.Put(i)
	f.Refresh()
}

func (f *fixture) instance() *v1beta1.ServiceInstance {
	f.T.Helper()
	i, err := f.Catalog.ServicecatalogV1beta1().ServiceInstances(f.Key.Namespace).Get(context.Background(), f.Key.Name, metav1.GetOptions{})
	if err != nil {
		f.T.Fatal(err)
	}
	return i
}

func (f *fixture) wantReady(status metav1.ConditionStatus, reason string) *v1beta1.ServiceInstance {
	f.T.Helper()
	i := f.instance()
	looptest.WantReady(f.T, i.Status.Conditions, i.Generation, status, reason)
	return i
}

// knownPlan is the id of the plan the broker last acknowledged, or "" when it acknowledged
// none.
func knownPlan(i *v1beta1.ServiceInstance) string {
	if i.Status.ExternalProperties == nil {
		return ""
	}
	return i.Status.ExternalProperties.ClusterServicePlanExternalID
}

func readyMessage(i *v1beta1.ServiceInstance) string {
	return looptest.ReadyMessage(i.Status.Conditions)
}

// wantFailed checks the Failed condition: True with reason, or absent when reason is "".
func (f *fixture) wantFailed(reason string) {
	f.T.Helper()
	i := f.instance()
	want := looptest.ConditionState{}
	if reason != "" {
		want = looptest.ConditionState{Status: metav1.ConditionTrue, Reason: reason}
	}
	looptest.Require(f.T, "Failed condition", want, looptest.StateOf(i.Status.Conditions, v1beta1.ConditionFailed))
}

// wantWrites checks the writes of the instance since the last check: "status" for a
// status update, "update" for an update, "patch" for a patch.
func (f *fixture) wantWrites(want ...string) {
	f.T.Helper()
	f.WantWritesOf("serviceinstances", want...)
}

func (f *fixture) onProvision(list ...any) {
	next := looptest.Answers[osb.ProvisionResponse](f.T, osb.OperationProvision, list...)
	f.OSB.SetProvisionReaction(func(context.Context, *osb.ProvisionRequest) (*osb.ProvisionResponse, error) { return next() })
}

func (f *fixture) onUpdate(list ...any) {
	next := looptest.Answers[osb.UpdateResponse](f.T, osb.OperationUpdate, list...)
	f.OSB.SetUpdateReaction(func(context.Context, *osb.UpdateRequest) (*osb.UpdateResponse, error) { return next() })
}

func (f *fixture) onDeprovision(list ...any) {
	next := looptest.Answers[osb.DeprovisionResponse](f.T, osb.OperationDeprovision, list...)
	f.OSB.SetDeprovisionReaction(func(context.Context, *osb.DeprovisionRequest) (*osb.DeprovisionResponse, error) { return next() })
}

func (f *fixture) onPoll(list ...any) {
	next := looptest.Answers[osb.LastOperationResponse](f.T, osb.OperationLastOperation, list...)
	f.OSB.SetPollLastOperationReaction(func(_ context.Context, r *osb.LastOperationRequest) (*osb.LastOperationResponse, error) {
		// The fake records the request, whose key points into the loop's copy of the status.
		key := ""
		if r.OperationKey != nil {
			key = *r.OperationKey
		}
		f.pollKeys = append(f.pollKeys, key)
		return next()
	})
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

// backoffWait is the first wait of the fixture's backoff, as stored: rounded up to a second.
func backoffWait(now time.Time) time.Duration { return looptest.BackoffWait(now, backoffBase) }
