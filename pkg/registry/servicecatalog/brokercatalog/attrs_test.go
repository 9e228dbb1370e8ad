package brokercatalog

import (
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/scopetest"
	"github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/internal/registrytest"
)

// TestGetAttrs checks the selectable fields of each kind: those the v1beta1 field labels
// accept, the namespaced kinds' with the names of the namespace scope and their namespace.
func TestGetAttrs(t *testing.T) {
	const (
		class = "4f6e6cf6-ffdd-425f-a2c7-3c9258ad2468"
		plan  = "86064792-7ea2-467b-af93-ac9694d96d52"
		ns    = scopetest.Namespace
	)
	tests := []struct {
		kind     string
		getAttrs func(runtime.Object) (labels.Set, fields.Set, error)
		obj      runtime.Object
		want     fields.Set
	}{
		{"ClusterServiceBroker", ClusterServiceBrokers.GetAttrs, storedBroker(), fields.Set{"metadata.name": "test-broker"}},
		{"ServiceBroker", ServiceBrokers.GetAttrs, scopetest.Broker(storedBroker()), fields.Set{"metadata.name": "test-broker", "metadata.namespace": ns}},
		{"ClusterServiceClass", ClusterServiceClasses.GetAttrs, storedClass(), fields.Set{
			"metadata.name": class, "spec.externalName": "postgresql", "spec.externalID": class, "spec.clusterServiceBrokerName": "test-broker",
		}},
		{"ServiceClass", ServiceClasses.GetAttrs, scopetest.Class(storedClass()), fields.Set{
			"metadata.name": class, "metadata.namespace": ns, "spec.externalName": "postgresql", "spec.externalID": class, "spec.serviceBrokerName": "test-broker",
		}},
		{"ClusterServicePlan", ClusterServicePlans.GetAttrs, storedPlan(), fields.Set{
			"metadata.name": plan, "spec.externalName": "small", "spec.externalID": plan, "spec.clusterServiceBrokerName": "test-broker",
			"spec.clusterServiceClassRef.name": class,
		}},
		{"ServicePlan", ServicePlans.GetAttrs, scopetest.Plan(storedPlan()), fields.Set{
			"metadata.name": plan, "metadata.namespace": ns, "spec.externalName": "small", "spec.externalID": plan, "spec.serviceBrokerName": "test-broker",
			"spec.serviceClassRef.name": class,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.kind, func(t *testing.T) {
			gotLabels, gotFields, err := tc.getAttrs(tc.obj)
			if err != nil {
				t.Fatal(err)
			}
			if len(gotLabels) != 1 {
				t.Errorf("labels = %v, want the object's", gotLabels)
			}
			if !reflect.DeepEqual(gotFields, tc.want) {
				t.Errorf("fields = %v, want %v", gotFields, tc.want)
			}
			registrytest.CheckFieldLabels(t, tc.kind, tc.want["metadata.namespace"] != "", gotFields)
			if _, _, err := tc.getAttrs(&sc.ServiceInstance{}); err == nil {
				t.Errorf("GetAttrs of an instance succeeded, want an error")
			}
		})
	}
	if _, _, err := ServiceClasses.GetAttrs(storedClass()); err == nil {
		t.Errorf("GetAttrs of ServiceClasses accepts a ClusterServiceClass")
	}
}
