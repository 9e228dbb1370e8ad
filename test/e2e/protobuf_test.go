package e2e

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned"
	"github.com/kube-service-catalog/catalog/test/framework/protowire"
)

// TestProtobufThroughTheAggregator writes a namespaced broker, an instance and a binding,
// and reads every kind of the API (list, get, watch) through kube-apiserver's aggregator,
// with a client that sends and accepts nothing but protobuf; every answer must be
// protobuf.
func TestProtobufThroughTheAggregator(t *testing.T) {
	requireStack(t)
	if !instanceLoop() {
		t.Skip("the namespaced classes are published by the controller manager, which this stack does not run")
	}
	ensureDemoBroker(t)
	const ns = "protobuf-wire"
	createNamespace(t, ns)
	var rec protowire.Recorder
	client, err := versioned.NewForConfig(rec.Config(stack.Cluster.Config(admin)))
	if err != nil {
		t.Fatal(err)
	}
	c := client.ServicecatalogV1beta1()
	ctx := t.Context()
	broker := &v1beta1.ServiceBroker{ObjectMeta: metav1.ObjectMeta{Name: "team", Namespace: ns}}
	broker.Spec.URL = stack.BrokerURL
	if _, err := c.ServiceBrokers(ns).Create(ctx, broker, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	instance := &v1beta1.ServiceInstance{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: ns}}
	instance.Spec.ClusterServiceClassExternalName = demoClass
	instance.Spec.ClusterServicePlanExternalName = demoPlan
	instance.Spec.Parameters = &runtime.RawExtension{Raw: []byte(`{"storageGB":10}`)}
	if _, err := c.ServiceInstances(ns).Create(ctx, instance, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &v1beta1.ServiceBinding{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: ns}}
	binding.Spec.InstanceRef.Name = "db"
	if _, err := c.ServiceBindings(ns).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*time.Minute, "the team broker's classes and plans in "+ns, func() (bool, string) {
		classes, err := c.ServiceClasses(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err.Error()
		}
		plans, err := c.ServicePlans(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err.Error()
		}
		return len(classes.Items) > 0 && len(plans.Items) > 0, ""
	})
	if err := protowire.ReadEveryKind(ctx, c.RESTClient(), ns); err != nil {
		t.Fatal(err)
	}
	if others, all := rec.NotProtobuf(); len(others) > 0 {
		t.Errorf("%d of %d answers through the aggregator were not protobuf: %q", len(others), all, others)
	} else {
		t.Logf("%d answers through the aggregator, every one protobuf", all)
	}
}
