package brokervisibility

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	kubeinformers "k8s.io/client-go/informers"
	kubefake "k8s.io/client-go/kubernetes/fake"

	"github.com/kube-service-catalog/catalog/pkg/admission/internal/admissiontest"
	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/scopetest"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

func broker(name string, selector *metav1.LabelSelector) *v1beta1.ClusterServiceBroker {
	b := &v1beta1.ClusterServiceBroker{ObjectMeta: metav1.ObjectMeta{Name: name}}
	b.Spec.NamespaceSelector = selector
	return b
}

func class(name, broker string) *v1beta1.ClusterServiceClass {
	c := &v1beta1.ClusterServiceClass{ObjectMeta: metav1.ObjectMeta{Name: name}}
	c.Spec.ExternalName, c.Spec.ExternalID, c.Spec.ClusterServiceBrokerName = name+"-offering", name+"-id", broker
	return c
}

func namespace(name string, labels map[string]string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
}

// newPlugin returns the plugin over brokers "open" (no selector) and "prod-only"
// (env=prod), and namespaces "prod" and "dev".
func newPlugin(t *testing.T) *Plugin {
	t.Helper()
	p := New()
	kube := kubefake.NewClientset(namespace("prod", map[string]string{"env": "prod"}), namespace("dev", map[string]string{"env": "dev"}))
	f := kubeinformers.NewSharedInformerFactory(kube, 0)
	p.SetExternalKubeInformerFactory(f)
	// The namespaced twin of class "restricted", in dev, names a ServiceBroker called
	// prod-only too.
	twin := scopetest.Versioned(class("restricted", "prod-only")).(*v1beta1.ServiceClass)
	twin.Namespace = "dev"
	admissiontest.Initialize(t, p, true, []runtime.Object{
		broker("open", nil), class("everywhere", "open"),
		broker("prod-only", &metav1.LabelSelector{MatchLabels: map[string]string{"env": "prod"}}), class("restricted", "prod-only"), twin,
	}...)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	f.Start(ctx.Done())
	f.WaitForCacheSync(ctx.Done())
	return p
}

func TestValidate(t *testing.T) {
	p := newPlugin(t)
	for _, tc := range []struct {
		name, namespace, class, refusal string
	}{
		{name: "a broker without a selector", namespace: "dev", class: "everywhere-offering"},
		{name: "a namespace the selector matches", namespace: "prod", class: "restricted-offering"},
		{name: "a namespace it does not", namespace: "dev", class: "restricted-offering",
			refusal: `spec.clusterServiceClassExternalName: Forbidden: class "restricted-offering": broker prod-only offers its classes only in namespaces whose labels match env=prod; namespace dev does not`},
		{name: "an unknown class", namespace: "dev", class: "nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			i := &sc.ServiceInstance{ObjectMeta: metav1.ObjectMeta{Namespace: tc.namespace, Name: "db"},
				Spec: sc.ServiceInstanceSpec{PlanReference: sc.PlanReference{ClusterServiceClassExternalName: tc.class, ClusterServicePlanExternalName: "small"}}}
			err := admissiontest.Validate(p, admissiontest.Attributes(i, nil))
			if tc.refusal == "" {
				if err != nil {
					t.Errorf("refused: %v", err)
				}
				return
			}
			if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), tc.refusal) {
				t.Errorf("error %v, want Invalid saying %q", err, tc.refusal)
			}
		})
	}
}

// TestValidateLeavesNamespacedClasses checks that the plugin judges the cluster's brokers
// only: a ServiceBroker offers its classes in its own namespace, whatever a
// ClusterServiceBroker's selector says. An instance of the namespaced twin of the
// restricted class, in dev, is let through where one of the class itself is refused.
func TestValidateLeavesNamespacedClasses(t *testing.T) {
	p := newPlugin(t)
	restricted := &sc.ServiceInstance{ObjectMeta: metav1.ObjectMeta{Namespace: "dev", Name: "db"},
		Spec: sc.ServiceInstanceSpec{PlanReference: sc.PlanReference{ClusterServiceClassExternalName: "restricted-offering", ClusterServicePlanExternalName: "small"}}}
	if err := admissiontest.Validate(p, admissiontest.Attributes(restricted, nil)); !apierrors.IsInvalid(err) {
		t.Fatalf("the cluster class: got %v, want Invalid", err)
	}
	if err := admissiontest.Validate(p, admissiontest.Attributes(scopetest.Instance(restricted), nil)); err != nil {
		t.Errorf("a class of the namespace named alike: got %v, want it let through", err)
	}
}
