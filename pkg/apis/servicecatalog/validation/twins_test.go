package validation

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/scopetest"
)

// Brokers, classes and plans follow the same rules in both scopes. The tests of the
// cluster-wide kinds check each of their cases on the object's namespaced twin as well:
// the same spec, in a namespace, with a Secret of that namespace. The twin must be valid
// where the cluster object is, and have the same errors at the fields of the namespace
// scope where it is not, but for the rules only the cluster scope has. The twins are
// scopetest's.

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
		twinAlsoAt[i] = scopetest.Fields.Replace(p)
	}
	expectErrors(t, errs, scopetest.Fields.Replace(msg), scopetest.Fields.Replace(path), twinAlsoAt...)
}

// The twins of this package's objects.
var (
	brokerTwin   = scopetest.Broker
	classTwin    = scopetest.Class
	planTwin     = scopetest.Plan
	instanceTwin = scopetest.Instance
)

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
