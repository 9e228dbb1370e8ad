package servicecatalog

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupName is the API group served by the catalog.
const GroupName = "servicecatalog.k8s.io"

// SchemeGroupVersion is the internal version of the group.
var SchemeGroupVersion = schema.GroupVersion{Group: GroupName, Version: runtime.APIVersionInternal}

var (
	// SchemeBuilder collects the functions that register the internal types with a scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)
	// AddToScheme registers the internal types with a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

// Kind returns the group-qualified kind for an unqualified kind name.
func Kind(kind string) schema.GroupKind {
	return SchemeGroupVersion.WithKind(kind).GroupKind()
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
	return nil
}
