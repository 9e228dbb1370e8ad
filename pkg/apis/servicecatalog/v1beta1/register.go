package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupName is the API group served by the catalog.
const GroupName = "servicecatalog.k8s.io"

// SchemeGroupVersion is the group and version of this package.
var SchemeGroupVersion = schema.GroupVersion{Group: GroupName, Version: "v1beta1"}

var (
	// SchemeBuilder collects the functions that register this version with a scheme.
	SchemeBuilder      runtime.SchemeBuilder
	localSchemeBuilder = &SchemeBuilder
	// AddToScheme registers this version's types, defaults and conversions with a scheme.
	AddToScheme = localSchemeBuilder.AddToScheme
)

func init() {
	// Only hand-written functions are registered here; the generated files register
	// theirs, so this file compiles without them.
	localSchemeBuilder.Register(addKnownTypes, addDefaultingFuncs, addFieldLabelConversionFuncs)
}

// Resource returns the group-qualified resource for an unqualified resource name.
func Resource(resource string) schema.GroupResource {
	return SchemeGroupVersion.WithResource(resource).GroupResource()
}

func addKnownTypes(scheme *runtime.Scheme) error {
	scheme.AddKnownTypes(SchemeGroupVersion,
		&ClusterServiceBroker{},
		&ClusterServiceBrokerList{},
		&ClusterServiceClass{},
		&ClusterServiceClassList{},
		&ClusterServicePlan{},
		&ClusterServicePlanList{},
		&ServiceBroker{},
		&ServiceBrokerList{},
		&ServiceClass{},
		&ServiceClassList{},
		&ServicePlan{},
		&ServicePlanList{},
		&ServiceInstance{},
		&ServiceInstanceList{},
		&ServiceBinding{},
		&ServiceBindingList{},
		&Intervention{},
	)
	metav1.AddToGroupVersion(scheme, SchemeGroupVersion)
	return nil
}
