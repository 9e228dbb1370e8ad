package validation

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
)

// Brokers, classes and plans follow the same rules in both scopes. The tests of the
// cluster-wide kinds check each of their cases on the object's namespaced twin as well:
// the same spec, in a namespace, with a Secret of that namespace. The twin must be valid
// where the cluster object is, and have the same errors at the fields of the namespace
// scope where it is not, but for the rules only the cluster scope has.

// twinNamespace is the namespace of every twin.
const twinNamespace = "team-a"

// inNamespaceScope names, in an error message or path, the fields of the namespace scope
// instead of those of the cluster scope.
var inNamespaceScope = strings.NewReplacer(
	"clusterServiceBrokerName", "serviceBrokerName", "clusterServiceClassRef", "serviceClassRef",
	"clusterServiceClass", "serviceClass", "clusterServicePlan", "servicePlan",
)

// clusterOnly tells whether an error at path breaks a rule of the cluster scope alone:
// an object without a namespace, the namespace of a broker's Secret, a broker's
// namespaceSelector.
func clusterOnly(path string) bool {
	return strings.HasPrefix(path, "metadata.namespace") || strings.HasSuffix(path, "secretRef.namespace") ||
		strings.HasPrefix(path, "spec.namespaceSelector")
}

// expectTwinErrors checks the errors of the twin of an error case's object: those the
// cluster object has, at the fields of the namespace scope. A case about a rule of the
// cluster scope alone is skipped.
func expectTwinErrors(t *testing.T, errs field.ErrorList, msg, path string, alsoAt ...string) {
	t.Helper()
	if clusterOnly(path) {
		return
	}
	twinAlsoAt := make([]string, len(alsoAt))
	for i, p := range alsoAt {
		twinAlsoAt[i] = inNamespaceScope.Replace(p)
	}
	expectErrors(t, errs, inNamespaceScope.Replace(msg), inNamespaceScope.Replace(path), twinAlsoAt...)
}

// twinMeta returns the metadata of a twin: the cluster object's, in twinNamespace.
func twinMeta(meta *metav1.ObjectMeta) metav1.ObjectMeta {
	twin := *meta.DeepCopy()
	twin.Namespace = twinNamespace
	return twin
}

// brokerTwin returns the ServiceBroker with the spec of a ClusterServiceBroker, its
// credentials in a Secret of its own namespace.
func brokerTwin(b *sc.ClusterServiceBroker) *sc.ServiceBroker {
	twin := &sc.ServiceBroker{ObjectMeta: twinMeta(&b.ObjectMeta), Status: sc.ServiceBrokerStatus{CommonServiceBrokerStatus: b.Status.CommonServiceBrokerStatus}}
	twin.Spec.CommonServiceBrokerSpec = b.Spec.CommonServiceBrokerSpec
	if auth := b.Spec.AuthInfo; auth != nil {
		twin.Spec.AuthInfo = &sc.ServiceBrokerAuthInfo{}
		if auth.Basic != nil {
			twin.Spec.AuthInfo.Basic = &sc.BasicAuthConfig{SecretRef: localTwin(auth.Basic.SecretRef)}
		}
		if auth.Bearer != nil {
			twin.Spec.AuthInfo.Bearer = &sc.BearerTokenAuthConfig{SecretRef: localTwin(auth.Bearer.SecretRef)}
		}
	}
	return twin
}

// localTwin returns a reference to the Secret of the same name in the referrer's
// namespace.
func localTwin(ref *sc.ObjectReference) *sc.LocalObjectReference {
	if ref == nil {
		return nil
	}
	return &sc.LocalObjectReference{Name: ref.Name}
}

// classTwin returns the ServiceClass with the spec of a ClusterServiceClass.
func classTwin(c *sc.ClusterServiceClass) *sc.ServiceClass {
	return &sc.ServiceClass{ObjectMeta: twinMeta(&c.ObjectMeta), Spec: sc.ServiceClassSpec{
		CommonServiceClassSpec: c.Spec.CommonServiceClassSpec, ServiceBrokerName: c.Spec.ClusterServiceBrokerName,
	}, Status: sc.ServiceClassStatus{CommonServiceClassStatus: c.Status.CommonServiceClassStatus}}
}

// planTwin returns the ServicePlan with the spec of a ClusterServicePlan.
func planTwin(p *sc.ClusterServicePlan) *sc.ServicePlan {
	return &sc.ServicePlan{ObjectMeta: twinMeta(&p.ObjectMeta), Spec: sc.ServicePlanSpec{
		CommonServicePlanSpec: p.Spec.CommonServicePlanSpec, ServiceBrokerName: p.Spec.ClusterServiceBrokerName,
		ServiceClassRef: sc.LocalObjectReference{Name: p.Spec.ClusterServiceClassRef.Name},
	}, Status: sc.ServicePlanStatus{CommonServiceClassStatus: p.Status.CommonServiceClassStatus}}
}

// TestValidateTwinsNeedANamespace checks the rule only the namespace scope has: a
// namespaced broker, class or plan lives in a namespace, which cannot change.
func TestValidateTwinsNeedANamespace(t *testing.T) {
	broker, class, plan := brokerTwin(validBroker()), classTwin(validClass()), planTwin(validPlan())
	for kind, errs := range map[string]field.ErrorList{
		"ServiceBroker": ValidateServiceBroker(&sc.ServiceBroker{ObjectMeta: metav1.ObjectMeta{Name: broker.Name}, Spec: broker.Spec}),
		"ServiceClass":  ValidateServiceClass(&sc.ServiceClass{ObjectMeta: metav1.ObjectMeta{Name: class.Name}, Spec: class.Spec}),
		"ServicePlan":   ValidateServicePlan(&sc.ServicePlan{ObjectMeta: metav1.ObjectMeta{Name: plan.Name}, Spec: plan.Spec}),
	} {
		t.Run(kind, func(t *testing.T) { expectErrors(t, errs, "metadata.namespace: Required value", "metadata.namespace") })
	}
	moved := func(meta *metav1.ObjectMeta) { meta.Namespace = "team-b" }
	movedBroker, movedClass, movedPlan := broker.DeepCopy(), class.DeepCopy(), plan.DeepCopy()
	moved(&movedBroker.ObjectMeta)
	moved(&movedClass.ObjectMeta)
	moved(&movedPlan.ObjectMeta)
	for kind, errs := range map[string]field.ErrorList{
		"ServiceBroker":        ValidateServiceBrokerUpdate(movedBroker, broker),
		"ServiceBroker status": ValidateServiceBrokerStatusUpdate(movedBroker, broker),
		"ServiceClass":         ValidateServiceClassUpdate(movedClass, class),
		"ServiceClass status":  ValidateServiceClassStatusUpdate(movedClass, class),
		"ServicePlan":          ValidateServicePlanUpdate(movedPlan, plan),
		"ServicePlan status":   ValidateServicePlanStatusUpdate(movedPlan, plan),
	} {
		t.Run(kind+" moved", func(t *testing.T) {
			expectErrors(t, errs, `metadata.namespace: Invalid value: "team-b": field is immutable`, "metadata.namespace")
		})
	}
}
