package v1beta1

import (
	"k8s.io/apimachinery/pkg/runtime"
)

func addDefaultingFuncs(scheme *runtime.Scheme) error {
	return RegisterDefaults(scheme)
}

// SetDefaults_ClusterServiceBroker fills in the relist behaviour when it is unset.
func SetDefaults_ClusterServiceBroker(obj *ClusterServiceBroker) {
	defaultRelistBehavior(&obj.Spec.CommonServiceBrokerSpec)
}

// SetDefaults_ServiceBroker fills in the relist behaviour when it is unset.
func SetDefaults_ServiceBroker(obj *ServiceBroker) {
	defaultRelistBehavior(&obj.Spec.CommonServiceBrokerSpec)
}

// defaultRelistBehavior fetches the catalog every relistDuration unless a broker says
// otherwise.
func defaultRelistBehavior(spec *CommonServiceBrokerSpec) {
	if spec.RelistBehavior == "" {
		spec.RelistBehavior = ServiceBrokerRelistBehaviorDuration
	}
}

// SetDefaults_ServiceBinding names the credentials Secret after the binding when no name
// is given. A binding created with generateName gets its Secret name from the controller.
func SetDefaults_ServiceBinding(obj *ServiceBinding) {
	if obj.Spec.SecretName == "" {
		obj.Spec.SecretName = obj.Name
	}
}
