package v1beta1

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
)

// Field labels users and the controller can select on, per kind. The registry publishes
// exactly these fields; metadata.name (and metadata.namespace for namespaced kinds) are
// always selectable.
var (
	clusterServiceBrokerFieldLabels = []string{}
	clusterServiceClassFieldLabels  = []string{
		"spec.externalName",
		"spec.externalID",
		"spec.clusterServiceBrokerName",
	}
	clusterServicePlanFieldLabels = []string{
		"spec.externalName",
		"spec.externalID",
		"spec.clusterServiceBrokerName",
		"spec.clusterServiceClassRef.name",
	}
	serviceInstanceFieldLabels = []string{
		"spec.externalID",
		"spec.clusterServiceClassExternalName",
		"spec.clusterServicePlanExternalName",
		"spec.clusterServiceClassExternalID",
		"spec.clusterServicePlanExternalID",
		"spec.clusterServiceClassName",
		"spec.clusterServicePlanName",
		"status.clusterServiceClassRef.name",
		"status.clusterServicePlanRef.name",
		"status.clusterServiceBrokerName",
	}
	serviceBindingFieldLabels = []string{
		"spec.externalID",
		"spec.instanceRef.name",
		"spec.instanceRef.namespace",
		"spec.secretName",
	}
)

func addFieldLabelConversionFuncs(scheme *runtime.Scheme) error {
	for kind, labels := range map[string][]string{
		"ClusterServiceBroker": clusterServiceBrokerFieldLabels,
		"ClusterServiceClass":  clusterServiceClassFieldLabels,
		"ClusterServicePlan":   clusterServicePlanFieldLabels,
		"ServiceInstance":      serviceInstanceFieldLabels,
		"ServiceBinding":       serviceBindingFieldLabels,
	} {
		namespaced := kind == "ServiceInstance" || kind == "ServiceBinding"
		if err := scheme.AddFieldLabelConversionFunc(SchemeGroupVersion.WithKind(kind), fieldLabelConversion(labels, namespaced)); err != nil {
			return err
		}
	}
	return nil
}

func fieldLabelConversion(labels []string, namespaced bool) runtime.FieldLabelConversionFunc {
	allowed := map[string]bool{"metadata.name": true}
	if namespaced {
		allowed["metadata.namespace"] = true
	}
	for _, l := range labels {
		allowed[l] = true
	}
	return func(label, value string) (string, string, error) {
		if !allowed[label] {
			return "", "", fmt.Errorf("field label not supported: %s", label)
		}
		return label, value, nil
	}
}

// FieldLabels returns the field labels that can be selected on for a kind of this group,
// metadata fields excluded.
func FieldLabels(kind string) []string {
	switch kind {
	case "ClusterServiceBroker":
		return clusterServiceBrokerFieldLabels
	case "ClusterServiceClass":
		return clusterServiceClassFieldLabels
	case "ClusterServicePlan":
		return clusterServicePlanFieldLabels
	case "ServiceInstance":
		return serviceInstanceFieldLabels
	case "ServiceBinding":
		return serviceBindingFieldLabels
	}
	return nil
}
