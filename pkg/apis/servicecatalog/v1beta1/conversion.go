package v1beta1

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
)

// selectable describes the field labels users and the controller can select on for one
// kind. The registry publishes exactly these fields; metadata.name (and
// metadata.namespace for namespaced kinds) are always selectable. (An unnamed type: the
// OpenAPI generator describes every named type of the package.)
type selectable = struct {
	namespaced bool
	labels     []string
}

// fieldLabels are the selectable fields of every kind. Instances select on the fields of
// either scope they name their class and plan with, and on what the controller resolved.
var fieldLabels = map[string]selectable{
	"ClusterServiceBroker": {false, []string{}},
	"ClusterServiceClass":  {false, []string{"spec.externalName", "spec.externalID", "spec.clusterServiceBrokerName"}},
	"ClusterServicePlan": {false, []string{
		"spec.externalName", "spec.externalID", "spec.clusterServiceBrokerName", "spec.clusterServiceClassRef.name",
	}},
	"ServiceBroker": {true, []string{}},
	"ServiceClass":  {true, []string{"spec.externalName", "spec.externalID", "spec.serviceBrokerName"}},
	"ServicePlan":   {true, []string{"spec.externalName", "spec.externalID", "spec.serviceBrokerName", "spec.serviceClassRef.name"}},
	"ServiceInstance": {true, []string{
		"spec.externalID",
		"spec.clusterServiceClassExternalName",
		"spec.clusterServicePlanExternalName",
		"spec.clusterServiceClassExternalID",
		"spec.clusterServicePlanExternalID",
		"spec.clusterServiceClassName",
		"spec.clusterServicePlanName",
		"spec.serviceClassExternalName",
		"spec.servicePlanExternalName",
		"spec.serviceClassExternalID",
		"spec.servicePlanExternalID",
		"spec.serviceClassName",
		"spec.servicePlanName",
		"status.clusterServiceClassRef.name",
		"status.clusterServicePlanRef.name",
		"status.clusterServiceBrokerName",
		"status.serviceClassRef.name",
		"status.servicePlanRef.name",
		"status.serviceBrokerName",
	}},
	"ServiceBinding": {true, []string{
		"spec.externalID",
		"spec.instanceRef.name",
		"spec.instanceRef.namespace",
		"spec.secretName",
	}},
}

func addFieldLabelConversionFuncs(scheme *runtime.Scheme) error {
	for kind, s := range fieldLabels {
		if err := scheme.AddFieldLabelConversionFunc(SchemeGroupVersion.WithKind(kind), fieldLabelConversion(s)); err != nil {
			return err
		}
	}
	return nil
}

func fieldLabelConversion(s selectable) runtime.FieldLabelConversionFunc {
	allowed := map[string]bool{"metadata.name": true}
	if s.namespaced {
		allowed["metadata.namespace"] = true
	}
	for _, l := range s.labels {
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
	return fieldLabels[kind].labels
}
