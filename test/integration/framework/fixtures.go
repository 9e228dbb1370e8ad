package framework

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

// Broker returns a valid broker.
func Broker(name string) *v1beta1.ClusterServiceBroker {
	return &v1beta1.ClusterServiceBroker{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1beta1.ClusterServiceBrokerSpec{CommonServiceBrokerSpec: v1beta1.CommonServiceBrokerSpec{
			URL: "https://broker.example.com/" + name,
		}},
	}
}

// Class returns a valid class of the given broker.
func Class(name, broker string) *v1beta1.ClusterServiceClass {
	return &v1beta1.ClusterServiceClass{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1beta1.ClusterServiceClassSpec{
			CommonServiceClassSpec: v1beta1.CommonServiceClassSpec{
				ExternalName: name + "-offering",
				ExternalID:   name + "-id",
				Description:  "An offering",
				Bindable:     true,
			},
			ClusterServiceBrokerName: broker,
		},
	}
}

// Plan returns a valid plan of the given class and broker.
func Plan(name, class, broker string) *v1beta1.ClusterServicePlan {
	return &v1beta1.ClusterServicePlan{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1beta1.ClusterServicePlanSpec{
			CommonServicePlanSpec: v1beta1.CommonServicePlanSpec{
				ExternalName: name + "-plan",
				ExternalID:   name + "-id",
				Description:  "A plan",
				Free:         true,
			},
			ClusterServiceBrokerName: broker,
			ClusterServiceClassRef:   v1beta1.ClusterObjectReference{Name: class},
		},
	}
}

// Instance returns a valid instance naming its class and plan by external name.
func Instance(namespace, name, class, plan string) *v1beta1.ServiceInstance {
	return &v1beta1.ServiceInstance{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: v1beta1.ServiceInstanceSpec{
			PlanReference: v1beta1.PlanReference{
				ClusterServiceClassExternalName: class,
				ClusterServicePlanExternalName:  plan,
			},
			Parameters: &runtime.RawExtension{Raw: []byte(`{"size":"small"}`)},
		},
	}
}

// Binding returns a valid binding to the given instance.
func Binding(namespace, name, instance string) *v1beta1.ServiceBinding {
	return &v1beta1.ServiceBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: v1beta1.ServiceBindingSpec{
			InstanceRef: v1beta1.ServiceInstanceReference{Name: instance},
		},
	}
}
