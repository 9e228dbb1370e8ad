package servicebinding

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
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
	// extra holds further catalog objects.
	extra []runtime.Object
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
		append([]runtime.Object{broker, objs.class, plan, objs.instance, objs.binding}, objs.extra...),
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

// secretData returns the data of the binding's Secret as strings, or nil when there is no
// Secret.
func (f *fixture) secretData() map[string]string {
	f.T.Helper()
	if s := f.secret(); s != nil {
		return stringData(s)
	}
	return nil
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
