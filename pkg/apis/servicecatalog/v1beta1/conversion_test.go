package v1beta1_test

import (
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/install"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

func TestFieldLabelConversion(t *testing.T) {
	scheme := runtime.NewScheme()
	install.Install(scheme)

	kinds := []struct {
		kind       string
		namespaced bool
		labels     []string
	}{
		{"ClusterServiceBroker", false, []string{}},
		{"ClusterServiceClass", false, []string{"spec.externalName", "spec.externalID", "spec.clusterServiceBrokerName"}},
		{"ClusterServicePlan", false, []string{"spec.externalName", "spec.externalID", "spec.clusterServiceBrokerName", "spec.clusterServiceClassRef.name"}},
		{"ServiceBroker", true, []string{}},
		{"ServiceClass", true, []string{"spec.externalName", "spec.externalID", "spec.serviceBrokerName"}},
		{"ServicePlan", true, []string{"spec.externalName", "spec.externalID", "spec.serviceBrokerName", "spec.serviceClassRef.name"}},
		{"ServiceInstance", true, []string{
			"spec.externalID",
			"spec.clusterServiceClassExternalName", "spec.clusterServicePlanExternalName",
			"spec.clusterServiceClassExternalID", "spec.clusterServicePlanExternalID",
			"spec.clusterServiceClassName", "spec.clusterServicePlanName",
			"spec.serviceClassExternalName", "spec.servicePlanExternalName",
			"spec.serviceClassExternalID", "spec.servicePlanExternalID",
			"spec.serviceClassName", "spec.servicePlanName",
			"status.clusterServiceClassRef.name", "status.clusterServicePlanRef.name", "status.clusterServiceBrokerName",
			"status.serviceClassRef.name", "status.servicePlanRef.name", "status.serviceBrokerName",
		}},
		{"ServiceBinding", true, []string{"spec.externalID", "spec.instanceRef.name", "spec.instanceRef.namespace", "spec.secretName"}},
	}
	for _, k := range kinds {
		t.Run(k.kind, func(t *testing.T) {
			gvk := v1beta1.SchemeGroupVersion.WithKind(k.kind)
			if got := v1beta1.FieldLabels(k.kind); !slices.Equal(got, k.labels) {
				t.Errorf("FieldLabels(%q) = %v, want %v", k.kind, got, k.labels)
			}
			for _, label := range append([]string{"metadata.name"}, k.labels...) {
				gotLabel, gotValue, err := scheme.ConvertFieldLabel(gvk, label, "v")
				if err != nil {
					t.Errorf("ConvertFieldLabel(%q): %v", label, err)
					continue
				}
				if gotLabel != label || gotValue != "v" {
					t.Errorf("ConvertFieldLabel(%q, v) = (%q, %q), want it unchanged", label, gotLabel, gotValue)
				}
			}
			_, _, err := scheme.ConvertFieldLabel(gvk, "metadata.namespace", "ns")
			if k.namespaced && err != nil {
				t.Errorf("metadata.namespace refused on a namespaced kind: %v", err)
			}
			if !k.namespaced && err == nil {
				t.Errorf("metadata.namespace accepted on a cluster-scoped kind")
			}
			for _, label := range []string{"spec.url", "spec.parameters", "status.conditions", "metadata.labels", ""} {
				if _, _, err := scheme.ConvertFieldLabel(gvk, label, "v"); err == nil {
					t.Errorf("ConvertFieldLabel(%q) succeeded, want an error", label)
				}
			}
		})
	}

	if got := v1beta1.FieldLabels("Secret"); got != nil {
		t.Errorf("FieldLabels(Secret) = %v, want nil", got)
	}
}
