package brokercatalog

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/install"
)

// scheme knows the catalog's types.
var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	install.Install(s)
	return s
}()

// The fixtures are cluster-wide objects as the server stored them: generation 2, labels,
// a status. The tests use them and their namespaced twins (scopetest).

func storedBroker() *sc.ClusterServiceBroker {
	return &sc.ClusterServiceBroker{
		ObjectMeta: stored("test-broker", "tier", "gold", sc.FinalizerServiceCatalog),
		Spec: sc.ClusterServiceBrokerSpec{CommonServiceBrokerSpec: sc.CommonServiceBrokerSpec{
			URL: "https://broker.example.com", RelistBehavior: sc.ServiceBrokerRelistBehaviorDuration,
			RelistDuration: &metav1.Duration{Duration: 15 * time.Minute}, RelistRequests: 4,
		}},
		Status: sc.ClusterServiceBrokerStatus{CommonServiceBrokerStatus: sc.CommonServiceBrokerStatus{
			Conditions: []metav1.Condition{{
				Type: sc.ConditionReady, Status: metav1.ConditionTrue, Reason: "Fetched",
				LastTransitionTime: metav1.Unix(1767225600, 0), ObservedGeneration: 2,
			}},
			ObservedGeneration: 2, ObservedRelistRequests: 4, ServiceClassCount: 3, ServicePlanCount: 9,
		}},
	}
}

func storedClass() *sc.ClusterServiceClass {
	return &sc.ClusterServiceClass{
		ObjectMeta: stored("4f6e6cf6-ffdd-425f-a2c7-3c9258ad2468", "broker", "test-broker"),
		Spec: sc.ClusterServiceClassSpec{
			CommonServiceClassSpec: sc.CommonServiceClassSpec{
				ExternalName: "postgresql", ExternalID: "4f6e6cf6-ffdd-425f-a2c7-3c9258ad2468", Description: "PostgreSQL databases", Bindable: true,
				ExternalMetadata: &runtime.RawExtension{Raw: []byte(`{"displayName":"PostgreSQL","imageUrl":"https://example.com/pg.png"}`)},
			},
			ClusterServiceBrokerName: "test-broker",
		},
		Status: sc.ClusterServiceClassStatus{CommonServiceClassStatus: sc.CommonServiceClassStatus{LastCatalogRetrievalTime: &fetched}},
	}
}

func storedPlan() *sc.ClusterServicePlan {
	return &sc.ClusterServicePlan{
		ObjectMeta: stored("86064792-7ea2-467b-af93-ac9694d96d52", "class", "postgresql"),
		Status:     sc.ClusterServicePlanStatus{CommonServiceClassStatus: sc.CommonServiceClassStatus{LastCatalogRetrievalTime: &fetched}},
		Spec: sc.ClusterServicePlanSpec{
			CommonServicePlanSpec: sc.CommonServicePlanSpec{
				ExternalName: "small", ExternalID: "86064792-7ea2-467b-af93-ac9694d96d52", Description: "A small database", Free: true,
				MaximumPollingDuration:        &metav1.Duration{Duration: time.Hour},
				InstanceCreateParameterSchema: &runtime.RawExtension{Raw: []byte(`{"type":"object","properties":{"size":{"type":"string"}}}`)},
			},
			ClusterServiceBrokerName: "test-broker",
			ClusterServiceClassRef:   sc.ClusterObjectReference{Name: "4f6e6cf6-ffdd-425f-a2c7-3c9258ad2468"},
		},
	}
}

// fetched is when the fixtures' catalog was fetched.
var fetched = metav1.Unix(1767225600, 0)

// stored returns the metadata of a stored object: its name, one label, generation 2 and
// the given finalizers.
func stored(name, label, value string, finalizers ...string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, ResourceVersion: "7", Generation: 2, Labels: map[string]string{label: value}, Finalizers: finalizers}
}
