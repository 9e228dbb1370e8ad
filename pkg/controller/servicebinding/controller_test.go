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
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/internal/looptest"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// fixture is a binding loop on a looptest.Env that syncs the binding ns/db-creds.
type fixture struct {
	*looptest.Env
	c *Controller
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
	f := &fixture{Env: looptest.NewEnv(t,
		[]runtime.Object{broker, objs.class, plan, objs.instance, objs.binding},
		append([]runtime.Object{namespace}, objs.kube...))}
	f.c = New(f.OperationConfig(), controller.Options{})
	f.Loop, f.Key = f.c.sync, cache.MetaObjectToName(binding)
	return f
}

func (f *fixture) binding() *v1beta1.ServiceBinding {
	f.T.Helper()
	b, err := f.Catalog.ServicecatalogV1beta1().ServiceBindings(f.Key.Namespace).Get(context.Background(), f.Key.Name, metav1.GetOptions{})
	if err != nil {
		f.T.Fatal(err)
	}
	return b
}

func (f *fixture) secret() *corev1.Secret {
	s, err := f.Kube.CoreV1().Secrets("ns").Get(context.Background(), "db-creds", metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		f.T.Fatal(err)
	}
	return s
}

func (f *fixture) wantReady(status metav1.ConditionStatus, reason string) *v1beta1.ServiceBinding {
	f.T.Helper()
	b := f.binding()
	looptest.WantReady(f.T, b.Status.Conditions, b.Generation, status, reason)
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
	f.OSB.SetBindReaction(func(ctx context.Context, r *osb.BindRequest) (*osb.BindResponse, error) {
		// A first attempt is written down with its answer: nothing before it is sent.
		if b := f.binding(); !reflect.DeepEqual(b.Status, before) {
			t.Errorf("status when the bind was sent: %+v", b.Status)
		}
		return credentialsAnswer(), nil
	})
	if _, err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.WantCalls(osb.OperationBind)
	r := looptest.Request[osb.BindRequest](f.Env, osb.OperationBind, 0)
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
	if _, err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.WantCalls(osb.OperationBind)
}

func TestAFailedSecretWriteIsRetriedFromMemory(t *testing.T) {
	f := newFixture(t, nil)
	f.OSB.SetBindReaction(func(context.Context, *osb.BindRequest) (*osb.BindResponse, error) { return credentialsAnswer(), nil })
	failures := 1
	f.Kube.PrependReactor("create", "secrets", func(clienttesting.Action) (bool, runtime.Object, error) {
		if failures > 0 {
			failures--
			return true, nil, apierrors.NewInternalError(errors.New("etcd is unwell"))
		}
		return false, nil, nil
	})
	if _, err := f.Sync(); err == nil {
		t.Fatal("a failed Secret write must be retried")
	}
	b := f.wantReady(metav1.ConditionFalse, conditions.ErrorInjectingBindResult)
	if b.Status.CurrentOperation != v1beta1.ServiceBindingOperationBind || b.Status.ExternalProperties == nil {
		t.Errorf("status does not say the broker holds the binding: %+v", b.Status)
	}
	if _, err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.WantCalls(osb.OperationBind) // no second bind
	f.wantReady(metav1.ConditionTrue, conditions.InjectedBindResult)
	if s := f.secret(); s == nil || string(s.Data["password"]) != testPassword {
		t.Errorf("Secret %+v", s)
	}
}

func TestLostCredentialsAreFetchedAgain(t *testing.T) {
	f := newFixture(t, pending)
	f.OSB.SetGetBindingReaction(func(ctx context.Context, r *osb.GetBindingRequest) (*osb.GetBindingResponse, error) {
		if r.BindingID != "binding-id" || r.InstanceID != "instance-id" {
			t.Errorf("get binding %+v", r)
		}
		return &osb.GetBindingResponse{Credentials: map[string]any{"password": testPassword}}, nil
	})
	if _, err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.WantCalls(osb.OperationGetBinding)
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
	f.OSB.SetUnbindReaction(func(ctx context.Context, r *osb.UnbindRequest) (*osb.UnbindResponse, error) {
		if r.OriginatingIdentity != nil || r.AcceptsIncomplete || r.ServiceID != "svc-id" || r.PlanID != "plan-id" {
			t.Errorf("unbind request %+v", r)
		}
		return &osb.UnbindResponse{}, nil
	})
	f.OSB.SetBindReaction(func(ctx context.Context, r *osb.BindRequest) (*osb.BindResponse, error) {
		if r.AcceptsIncomplete {
			t.Errorf("accepts_incomplete sent for an offering that is not bindings_retrievable")
		}
		return credentialsAnswer(), nil
	})
	if _, err := f.Sync(); err != nil { // starts orphan mitigation
		t.Fatal(err)
	}
	if b := f.binding(); !b.Status.OrphanMitigationInProgress {
		t.Fatalf("status %+v", b.Status)
	}
	if _, err := f.Sync(); err != nil { // unbinds
		t.Fatal(err)
	}
	b := f.wantReady(metav1.ConditionFalse, conditions.BindResultLost)
	if b.Status.OrphanMitigationInProgress || b.Status.UnbindStatus != v1beta1.ServiceBindingUnbindStatusNotRequired || b.Status.Attempts.NextAttemptTime != nil {
		t.Errorf("status after the unbind %+v", b.Status)
	}
	if _, err := f.Sync(); err != nil { // binds again
		t.Fatal(err)
	}
	f.WantCalls(osb.OperationUnbind, osb.OperationBind)
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
	if _, err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.WantCalls() // the broker answered before; its credentials are in the Secret
	f.wantReady(metav1.ConditionTrue, conditions.InjectedBindResult)
}

func TestANotBindablePlanFails(t *testing.T) {
	f := newFixture(t, func(o *fixtureObjects) { o.class.Spec.Bindable = false })
	if _, err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.WantCalls()
	b := f.wantReady(metav1.ConditionFalse, conditions.ErrorNonbindableServiceClass)
	if !apimeta.IsStatusConditionTrue(b.Status.Conditions, v1beta1.ConditionFailed) || b.Status.UnbindStatus != v1beta1.ServiceBindingUnbindStatusNotRequired {
		t.Errorf("status %+v", b.Status)
	}
}

func TestABindingWaitsForItsInstance(t *testing.T) {
	f := newFixture(t, func(o *fixtureObjects) {
		o.instance.Status.CurrentOperation = v1beta1.ServiceInstanceOperationUpdate
	})
	result, err := f.Sync()
	if err != nil || result.RequeueAfter != 0 {
		t.Fatalf("sync: %+v, %v; instance events wake the binding up", result, err)
	}
	f.WantCalls()
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
			f.OSB.SetBindReaction(func(context.Context, *osb.BindRequest) (*osb.BindResponse, error) { return nil, tc.err })
			if _, err := f.Sync(); err != nil {
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
	now := metav1.NewTime(looptest.Start)
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
	f.OSB.SetUnbindReaction(func(ctx context.Context, r *osb.UnbindRequest) (*osb.UnbindResponse, error) {
		if f.secret() == nil {
			t.Errorf("the Secret was deleted before the unbind")
		}
		if r.OriginatingIdentity == nil || r.OriginatingIdentity.Username != "bob" || !r.AcceptsIncomplete {
			t.Errorf("unbind request %+v", r)
		}
		return nil, &osb.HTTPStatusCodeError{StatusCode: 410}
	})
	if _, err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.WantCalls(osb.OperationUnbind)
	if f.secret() != nil {
		t.Errorf("the Secret outlived the binding")
	}
	if b := f.binding(); len(b.Finalizers) != 0 {
		t.Errorf("finalizers %v", b.Finalizers)
	}
}

func TestDeletionRetriesAFailedUnbindLater(t *testing.T) {
	now := metav1.NewTime(looptest.Start)
	f := newFixture(t, func(o *fixtureObjects) {
		o.binding.DeletionTimestamp = &now
		o.binding.Status.UnbindStatus = v1beta1.ServiceBindingUnbindStatusRequired
	})
	next := looptest.Answers[osb.UnbindResponse](t, osb.OperationUnbind, &osb.HTTPStatusCodeError{StatusCode: 503}, &osb.UnbindResponse{})
	f.OSB.SetUnbindReaction(func(context.Context, *osb.UnbindRequest) (*osb.UnbindResponse, error) { return next() })
	result, err := f.Sync()
	if err != nil || result.RequeueAfter < 30*time.Second {
		t.Fatalf("sync: %+v, %v", result, err)
	}
	f.wantReady(metav1.ConditionFalse, conditions.UnbindCallFailed)
	// Not before the time kept in status.
	if result, err := f.Sync(); err != nil || result.RequeueAfter <= 0 {
		t.Fatalf("sync before the next attempt: %+v, %v", result, err)
	}
	f.WantCalls(osb.OperationUnbind)
	f.Clock.Step(2 * time.Minute)
	if _, err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.WantCalls(osb.OperationUnbind, osb.OperationUnbind)
	if b := f.binding(); len(b.Finalizers) != 0 {
		t.Errorf("finalizers %v", b.Finalizers)
	}
}

func TestPollingAnAsyncBind(t *testing.T) {
	f := newFixture(t, nil)
	f.OSB.SetBindReaction(func(context.Context, *osb.BindRequest) (*osb.BindResponse, error) {
		key := "bind/1"
		return &osb.BindResponse{Async: true, OperationKey: &key}, nil
	})
	next := looptest.Answers[osb.LastOperationResponse](t, osb.OperationBindingLastOperation,
		&osb.LastOperationResponse{State: osb.StateInProgress, RetryAfter: 7 * time.Second},
		// A 410 while binding is not an answer: polling goes on.
		&osb.HTTPStatusCodeError{StatusCode: 410},
		&osb.LastOperationResponse{State: osb.StateSucceeded},
	)
	f.OSB.SetPollBindingLastOperationReaction(func(ctx context.Context, r *osb.BindingLastOperationRequest) (*osb.LastOperationResponse, error) {
		if r.OperationKey == nil || *r.OperationKey != "bind/1" {
			t.Errorf("poll without the operation key: %+v", r)
		}
		return next()
	})
	f.OSB.SetGetBindingReaction(func(context.Context, *osb.GetBindingRequest) (*osb.GetBindingResponse, error) {
		return &osb.GetBindingResponse{Credentials: map[string]any{"password": testPassword}}, nil
	})
	if result, err := f.Sync(); err != nil || result.RequeueAfter <= 0 {
		t.Fatalf("bind: %+v, %v", result, err)
	}
	if b := f.wantReady(metav1.ConditionFalse, conditions.Binding); !b.Status.AsyncOpInProgress || b.Status.OperationKey != "bind/1" {
		t.Fatalf("status %+v", b.Status)
	}
	if result, err := f.Sync(); err != nil || result.RequeueAfter != 7*time.Second {
		t.Fatalf("in progress: %+v, %v; want the broker's Retry-After", result, err)
	}
	if result, err := f.Sync(); err != nil || result.RequeueAfter <= 0 {
		t.Fatalf("410: %+v, %v; want polling to go on", result, err)
	}
	f.wantReady(metav1.ConditionFalse, conditions.ErrorPollingLastOperation)
	if _, err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.WantCalls(osb.OperationBind, osb.OperationBindingLastOperation, osb.OperationBindingLastOperation, osb.OperationBindingLastOperation, osb.OperationGetBinding)
	f.wantReady(metav1.ConditionTrue, conditions.InjectedBindResult)
}

func TestAnAsyncBindPastTheMaximumPollingDurationIsCleanedUp(t *testing.T) {
	f := newFixture(t, nil)
	f.OSB.SetBindReaction(func(context.Context, *osb.BindRequest) (*osb.BindResponse, error) {
		return &osb.BindResponse{Async: true}, nil
	})
	if _, err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.Clock.Step(2 * time.Hour) // the fixture's MaxPollingDuration is an hour
	if _, err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	b := f.binding()
	if !b.Status.OrphanMitigationInProgress || b.Status.AsyncOpInProgress {
		t.Fatalf("status %+v", b.Status)
	}
	if c := apimeta.FindStatusCondition(b.Status.Conditions, v1beta1.ConditionOrphanMitigation); c == nil || c.Reason != conditions.OperationTimedOut {
		t.Errorf("orphan mitigation condition %+v", c)
	}
	f.WantCalls(osb.OperationBind) // no poll after the deadline
}

func TestDeletingBeforeAnyBindWasRecorded(t *testing.T) {
	now := metav1.NewTime(looptest.Start)
	unrecorded := func(o *fixtureObjects) {
		o.binding.DeletionTimestamp = &now
		o.binding.Status.UnbindStatus = v1beta1.ServiceBindingUnbindStatusRequired // as the API server creates it
	}
	t.Run("instance provisioned: the broker is asked", func(t *testing.T) {
		// The controller may have bound and stopped before writing it down.
		f := newFixture(t, unrecorded)
		f.OSB.SetUnbindReaction(func(ctx context.Context, r *osb.UnbindRequest) (*osb.UnbindResponse, error) {
			if r.BindingID != "binding-id" || r.InstanceID != "instance-id" || r.ServiceID != "svc-id" || r.PlanID != "plan-id" {
				t.Errorf("unbind request %+v", r)
			}
			return nil, &osb.HTTPStatusCodeError{StatusCode: 410}
		})
		if _, err := f.Sync(); err != nil {
			t.Fatal(err)
		}
		f.WantCalls(osb.OperationUnbind)
		if b := f.binding(); len(b.Finalizers) != 0 {
			t.Errorf("finalizers %v", b.Finalizers)
		}
	})
	t.Run("instance gone: released without a call", func(t *testing.T) {
		f := newFixture(t, func(o *fixtureObjects) {
			unrecorded(o)
			o.binding.Spec.InstanceRef.Name = "no-such-instance"
		})
		if _, err := f.Sync(); err != nil {
			t.Fatal(err)
		}
		f.WantCalls()
		if b := f.binding(); len(b.Finalizers) != 0 {
			t.Errorf("finalizers %v", b.Finalizers)
		}
	})
}
