// Package scopetest helps tests check that a rule holds in both scopes of brokers,
// classes and plans: it turns a cluster-wide object into its namespaced twin, the object
// of the namespace scope that says the same.
package scopetest

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/install"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

// Namespace is the namespace of every twin.
const Namespace = "team-a"

// Fields names, in an error message, a field path or a selector, the fields of the
// namespace scope instead of those of the cluster scope: serviceBrokerName for
// clusterServiceBrokerName, serviceClassExternalName for clusterServiceClassExternalName,
// and so on.
var Fields = strings.NewReplacer(
	"clusterServiceBrokerName", "serviceBrokerName", "clusterServiceClassRef", "serviceClassRef",
	"clusterServicePlanRef", "servicePlanRef", "clusterServiceClass", "serviceClass", "clusterServicePlan", "servicePlan",
)

// meta returns the metadata of a twin: the cluster object's, in Namespace.
func meta(m *metav1.ObjectMeta) metav1.ObjectMeta {
	twin := *m.DeepCopy()
	twin.Namespace = Namespace
	return twin
}

// Broker returns the ServiceBroker with the spec and status of a ClusterServiceBroker,
// its credentials in the Secret of the same name in its own namespace.
func Broker(b *sc.ClusterServiceBroker) *sc.ServiceBroker {
	twin := &sc.ServiceBroker{ObjectMeta: meta(&b.ObjectMeta), Status: sc.ServiceBrokerStatus{
		CommonServiceBrokerStatus: *b.Status.CommonServiceBrokerStatus.DeepCopy(), Abandoned: b.Status.Abandoned,
	}}
	twin.Spec.CommonServiceBrokerSpec = *b.Spec.CommonServiceBrokerSpec.DeepCopy()
	if auth := b.Spec.AuthInfo; auth != nil {
		twin.Spec.AuthInfo = &sc.ServiceBrokerAuthInfo{}
		if auth.Basic != nil {
			twin.Spec.AuthInfo.Basic = &sc.BasicAuthConfig{SecretRef: local(auth.Basic.SecretRef)}
		}
		if auth.Bearer != nil {
			twin.Spec.AuthInfo.Bearer = &sc.BearerTokenAuthConfig{SecretRef: local(auth.Bearer.SecretRef)}
		}
	}
	return twin
}

// local returns a reference to the object of the same name in the referrer's namespace.
func local(ref *sc.ObjectReference) *sc.LocalObjectReference {
	if ref == nil {
		return nil
	}
	return &sc.LocalObjectReference{Name: ref.Name}
}

// Class returns the ServiceClass with the spec and status of a ClusterServiceClass.
func Class(c *sc.ClusterServiceClass) *sc.ServiceClass {
	return &sc.ServiceClass{ObjectMeta: meta(&c.ObjectMeta), Spec: sc.ServiceClassSpec{
		CommonServiceClassSpec: *c.Spec.CommonServiceClassSpec.DeepCopy(), ServiceBrokerName: c.Spec.ClusterServiceBrokerName,
	}, Status: sc.ServiceClassStatus{CommonServiceClassStatus: *c.Status.CommonServiceClassStatus.DeepCopy()}}
}

// Plan returns the ServicePlan with the spec and status of a ClusterServicePlan.
func Plan(p *sc.ClusterServicePlan) *sc.ServicePlan {
	return &sc.ServicePlan{ObjectMeta: meta(&p.ObjectMeta), Spec: sc.ServicePlanSpec{
		CommonServicePlanSpec: *p.Spec.CommonServicePlanSpec.DeepCopy(), ServiceBrokerName: p.Spec.ClusterServiceBrokerName,
		ServiceClassRef: sc.LocalObjectReference{Name: p.Spec.ClusterServiceClassRef.Name},
	}, Status: sc.ServicePlanStatus{CommonServiceClassStatus: *p.Status.CommonServiceClassStatus.DeepCopy()}}
}

// Instance returns a copy of an instance that names its class and plan the same way, but
// in its namespace (serviceClassExternalName for clusterServiceClassExternalName, and so
// on), and whose status holds what the controller resolved in that scope.
func Instance(i *sc.ServiceInstance) *sc.ServiceInstance {
	twin := i.DeepCopy()
	r, s := &twin.Spec.PlanReference, &twin.Status
	*r = sc.PlanReference{
		ServiceClassExternalName: r.ClusterServiceClassExternalName, ServicePlanExternalName: r.ClusterServicePlanExternalName,
		ServiceClassExternalID: r.ClusterServiceClassExternalID, ServicePlanExternalID: r.ClusterServicePlanExternalID,
		ServiceClassName: r.ClusterServiceClassName, ServicePlanName: r.ClusterServicePlanName,
	}
	if s.ClusterServiceClassRef != nil {
		s.ServiceClassRef = &sc.LocalObjectReference{Name: s.ClusterServiceClassRef.Name}
	}
	if s.ClusterServicePlanRef != nil {
		s.ServicePlanRef = &sc.LocalObjectReference{Name: s.ClusterServicePlanRef.Name}
	}
	s.ServiceBrokerName = s.ClusterServiceBrokerName
	s.ClusterServiceClassRef, s.ClusterServicePlanRef, s.ClusterServiceBrokerName = nil, nil, ""
	return twin
}

// scheme converts between the versions of the catalog's types.
var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	install.Install(s)
	return s
}()

// Versioned returns the namespaced twin, as a v1beta1 object, of a v1beta1
// ClusterServiceBroker, ClusterServiceClass, ClusterServicePlan or ServiceInstance, such
// as tests seed fake clientsets with. It panics on any other object.
func Versioned(obj runtime.Object) runtime.Object {
	internal, err := scheme.ConvertToVersion(obj.DeepCopyObject(), sc.SchemeGroupVersion)
	if err != nil {
		panic(fmt.Sprintf("scopetest: converting %T: %v", obj, err))
	}
	var twin runtime.Object
	switch o := internal.(type) {
	case *sc.ClusterServiceBroker:
		twin = Broker(o)
	case *sc.ClusterServiceClass:
		twin = Class(o)
	case *sc.ClusterServicePlan:
		twin = Plan(o)
	case *sc.ServiceInstance:
		twin = Instance(o)
	default:
		panic(fmt.Sprintf("scopetest: no twin of %T", obj))
	}
	out, err := scheme.ConvertToVersion(twin, v1beta1.SchemeGroupVersion)
	if err != nil {
		panic(fmt.Sprintf("scopetest: converting %T: %v", twin, err))
	}
	return out
}
