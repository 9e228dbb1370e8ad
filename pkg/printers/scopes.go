package printers

import (
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
)

// The brokers, classes and plans of both scopes print the same columns: each table reads
// what every broker, class or plan has, whatever its kind.

// brokerOf returns the spec and status every broker has, of a ClusterServiceBroker or a
// ServiceBroker.
func brokerOf(obj runtime.Object) (*sc.CommonServiceBrokerSpec, *sc.CommonServiceBrokerStatus, bool) {
	switch b := obj.(type) {
	case *sc.ClusterServiceBroker:
		return &b.Spec.CommonServiceBrokerSpec, &b.Status.CommonServiceBrokerStatus, true
	case *sc.ServiceBroker:
		return &b.Spec.CommonServiceBrokerSpec, &b.Status.CommonServiceBrokerStatus, true
	}
	return nil, nil, false
}

// classRow is what the class table prints of a class of either scope.
type classRow struct {
	spec   *sc.CommonServiceClassSpec
	broker string
	status *sc.CommonServiceClassStatus
}

// classOf returns the row of a ClusterServiceClass or a ServiceClass.
func classOf(obj runtime.Object) (classRow, bool) {
	switch c := obj.(type) {
	case *sc.ClusterServiceClass:
		return classRow{&c.Spec.CommonServiceClassSpec, c.Spec.ClusterServiceBrokerName, &c.Status.CommonServiceClassStatus}, true
	case *sc.ServiceClass:
		return classRow{&c.Spec.CommonServiceClassSpec, c.Spec.ServiceBrokerName, &c.Status.CommonServiceClassStatus}, true
	}
	return classRow{}, false
}

// planRow is what the plan table prints of a plan of either scope.
type planRow struct {
	spec          *sc.CommonServicePlanSpec
	broker, class string
	status        *sc.CommonServiceClassStatus
}

// planOf returns the row of a ClusterServicePlan or a ServicePlan.
func planOf(obj runtime.Object) (planRow, bool) {
	switch p := obj.(type) {
	case *sc.ClusterServicePlan:
		return planRow{&p.Spec.CommonServicePlanSpec, p.Spec.ClusterServiceBrokerName, p.Spec.ClusterServiceClassRef.Name, &p.Status.CommonServiceClassStatus}, true
	case *sc.ServicePlan:
		return planRow{&p.Spec.CommonServicePlanSpec, p.Spec.ServiceBrokerName, p.Spec.ServiceClassRef.Name, &p.Status.CommonServiceClassStatus}, true
	}
	return planRow{}, false
}

// deleting tells whether obj is being deleted.
func deleting(obj runtime.Object) bool {
	m, err := meta.Accessor(obj)
	return err == nil && m.GetDeletionTimestamp() != nil
}
