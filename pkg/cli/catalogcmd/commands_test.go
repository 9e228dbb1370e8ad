package catalogcmd_test

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	k8stesting "k8s.io/client-go/testing"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/cli/internal/fixtures"
	"github.com/kube-service-catalog/catalog/pkg/cli/internal/golden"
)

// A case is a command line run against the fixtures, after setup, whose output is kept
// in testdata/<name>.golden.
type testCase struct {
	name  string
	args  []string
	setup func(*world)
}

func TestCommands(t *testing.T) {
	for _, tc := range append(append(readCases(), writeCases()...), nudgeCases()...) {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld()
			if tc.setup != nil {
				tc.setup(w)
			}
			golden.Check(t, tc.name, w.run(t, tc.args...))
		})
	}
}

// readCases read the catalog: marketplace, tree, get, describe.
func readCases() []testCase {
	return []testCase{
		{name: "marketplace", args: []string{"marketplace"}},
		{name: "marketplace-wide", args: []string{"marketplace", "-o", "wide"}},
		{name: "marketplace-yaml", args: []string{"marketplace", "-o", "yaml"}},
		{name: "marketplace-brokers-forbidden", args: []string{"marketplace"}, setup: brokersForbidden},
		{name: "marketplace-unknown-scope", args: []string{"marketplace", "--scope", "galaxy"}},
		{name: "tree", args: []string{"tree"}},
		{name: "tree-all-namespaces", args: []string{"tree", "-A"}},
		{name: "get-instances", args: []string{"get", "instances"}},
		{name: "get-instances-wide", args: []string{"get", "si", "-o", "wide"}},
		{name: "get-bindings-all-namespaces", args: []string{"get", "bindings", "-A"}},
		{name: "get-brokers", args: []string{"get", "brokers"}},
		{name: "get-plans-name", args: []string{"get", "plans", "-o", "name"}},
		{name: "get-instance-json", args: []string{"get", "instance", "db", "-o", "json"}},
		{name: "get-classes-yaml", args: []string{"get", "csc", "-o", "yaml"}},
		{name: "get-instance-missing", args: []string{"get", "instance", "nope"}},
		{name: "get-instance-missing-yaml", args: []string{"get", "instance", "nope", "-o", "yaml"}},
		{name: "get-unknown-resource", args: []string{"get", "frobs"}},
		{name: "get-none", args: []string{"get", "bindings"}, setup: func(w *world) {
			_ = w.catalog.Tracker().Delete(v1beta1.SchemeGroupVersion.WithResource("servicebindings"), fixtures.Namespace, "db-creds")
		}},
		{name: "describe-instance", args: []string{"describe", "instance", "db"}},
		{name: "describe-instance-failed", args: []string{"describe", "si", "broken"}},
		{name: "describe-instance-delete-blocked", args: []string{"describe", "instance", "leaving"}},
		{name: "describe-instance-namespaced", args: []string{"describe", "instance", "own-db"}},
		{name: "get-namespaced-classes", args: []string{"get", "nsc"}},
		{name: "describe-instance-pending", args: []string{"describe", "instance", "pending"}},
		{name: "describe-instance-brokers-forbidden", args: []string{"describe", "instance", "db"}, setup: brokersForbidden},
		{name: "describe-binding-rotation", args: []string{"describe", "binding", "db-creds"}},
		{name: "describe-instance-missing", args: []string{"describe", "instance", "nope"}},
		{name: "describe-unknown-kind", args: []string{"describe", "broker", "demo-broker"}},
	}
}

// writeCases ask for instances and bindings and give them back.
func writeCases() []testCase {
	return []testCase{
		{name: "provision", args: []string{"provision", "db2", "--class", "postgresql", "--plan", "small", "-p", "storageGB=20", "-p", "ha=true", "-p", "version=sixteen"}},
		{name: "provision-params-json", args: []string{"provision", "db2", "--class", "postgresql", "--plan", "small", "-p", "storageGB=20", "--params-json", `{"extensions":["postgis"]}`}},
		{name: "provision-namespaced-class", args: []string{"provision", "mine", "--class", "mysql", "--plan", "tiny"}},
		{name: "provision-namespaced-class-scope-cluster", args: []string{"provision", "mine", "--class", "mysql", "--scope", "cluster"}},
		{name: "provision-no-plan", args: []string{"provision", "cache", "--class", "redis"}},
		{name: "provision-dry-run-client-json", args: []string{"provision", "db2", "--class", "postgresql", "--plan", "small", "--dry-run=client", "-o", "json"}},
		{name: "provision-dry-run-server", args: []string{"provision", "db2", "--class", "postgresql", "--plan", "small", "--dry-run=server"}},
		{name: "provision-bad-dry-run", args: []string{"provision", "db2", "--class", "postgresql", "--dry-run=maybe"}},
		{name: "provision-param-without-equals", args: []string{"provision", "db2", "--class", "postgresql", "-p", "storageGB"}},
		{name: "provision-param-twice", args: []string{"provision", "db2", "--class", "postgresql", "-p", "storageGB=20", "--params-json", `{"storageGB":10}`}},
		{name: "provision-unknown-class", args: []string{"provision", "db2", "--class", "mongodb"}},
		{name: "provision-class-not-offered-here", args: []string{"provision", "l", "--class", "ledger"}},
		{name: "provision-unknown-plan", args: []string{"provision", "db2", "--class", "postgresql", "--plan", "huge"}},
		{name: "provision-no-class", args: []string{"provision", "db2"}},
		{name: "provision-refused", args: []string{"provision", "db2", "--class", "postgresql", "--plan", "small"}, setup: func(w *world) {
			w.refuse("create", "serviceinstances", apierrors.NewInvalid(schema.GroupKind{Group: v1beta1.GroupName, Kind: "ServiceInstance"}, "db2",
				field.ErrorList{field.Invalid(field.NewPath("spec", "parameters", "storageGB"), 5, "must be at least 10 (the plan's schema)")}))
		}},
		{name: "provision-wait-ready", args: []string{"provision", "db2", "--class", "postgresql", "--plan", "small", "--wait"}, setup: func(w *world) {
			w.evolve("serviceinstances", "db2", instanceCondition("ProvisionRequestInFlight", "The provision request is being sent.", metav1.ConditionFalse),
				instanceCondition("Provisioning", "The broker is provisioning (request 77aa).", metav1.ConditionFalse),
				instanceCondition("ProvisionedSuccessfully", "The broker provisioned the instance (request 77aa).", metav1.ConditionTrue))
		}},
		{name: "provision-wait-failed", args: []string{"provision", "db2", "--class", "postgresql", "--plan", "large", "--wait"}, setup: func(w *world) {
			w.evolve("serviceinstances", "db2", instanceFailed)
		}},
		{name: "provision-wait-timeout", args: []string{"provision", "db2", "--class", "postgresql", "--plan", "small", "--wait", "--timeout", "20ms"}, setup: func(w *world) {
			w.evolve("serviceinstances", "db2", instanceCondition("Provisioning", "The broker is provisioning.", metav1.ConditionFalse))
		}},
		{name: "bind", args: []string{"bind", "app-creds", "--instance", "db", "--secret-name", "app-secret", "-p", "role=readonly"}},
		{name: "bind-wait", args: []string{"bind", "app-creds", "--instance", "db", "--wait"}, setup: bindingBecomesReady},
		{name: "bind-dry-run-client-yaml", args: []string{"bind", "app-creds", "--instance", "db", "--dry-run=client", "-o", "yaml"}},
		{name: "bind-missing-instance", args: []string{"bind", "app-creds", "--instance", "nope"}},
		{name: "unbind", args: []string{"unbind", "db-creds"}},
		{name: "unbind-instance", args: []string{"unbind", "--instance", "db"}},
		{name: "unbind-instance-without-bindings", args: []string{"unbind", "--instance", "broken"}},
		{name: "unbind-both", args: []string{"unbind", "db-creds", "--instance", "db"}},
		{name: "unbind-wait", args: []string{"unbind", "db-creds", "--wait"}, setup: func(w *world) {
			w.evolve("servicebindings", "db-creds", deleting, gone)
		}},
		{name: "deprovision-dry-run-server", args: []string{"deprovision", "db", "--dry-run=server"}},
		{name: "deprovision-wait-blocked", args: []string{"deprovision", "leaving", "--wait"}, setup: func(w *world) {
			w.evolve("serviceinstances", "leaving", unchanged, unchanged, gone)
		}},
		{name: "deprovision-wait-bindings", args: []string{"deprovision", "db", "--wait"}, setup: func(w *world) {
			w.evolve("serviceinstances", "db", instanceCondition("DeprovisionBlockedByExistingBindings",
				"The instance has bindings (db-creds; team-b/reports-db); delete them first.", metav1.ConditionFalse), gone)
		}},
	}
}

// nudgeCases ask the controller to act: retry, abandon, rotate, touch.
func nudgeCases() []testCase {
	retried := func(w *world) {
		w.catalog.PrependReactor("create", "serviceinstances", func(a k8stesting.Action) (bool, runtime.Object, error) {
			if a.GetSubresource() != "retry" {
				return false, nil, nil
			}
			return true, &metav1.Status{Status: metav1.StatusSuccess, Message: "The controller tries again to delete serviceinstance leaving at the broker."}, nil
		})
	}
	return []testCase{
		{name: "retry-instance", args: []string{"retry", "instance", "leaving", "--reason", "the broker is fixed"}, setup: retried},
		{name: "retry-dry-run-client", args: []string{"retry", "instance", "leaving", "--dry-run=client"}},
		{name: "abandon-binding-dry-run-server", args: []string{"abandon", "binding", "db-creds", "--reason", "the broker is gone", "--dry-run=server"}},
		{name: "abandon-without-reason", args: []string{"abandon", "instance", "leaving"}},
		{name: "abandon-refused", args: []string{"abandon", "instance", "db", "--reason", "x"}, setup: func(w *world) {
			w.refuse("create", "serviceinstances", apierrors.NewConflict(schema.GroupResource{Group: v1beta1.GroupName, Resource: "serviceinstances"}, "db",
				errString("only a serviceinstance that is being deleted can be abandoned: delete it first")))
		}},
		{name: "rotate", args: []string{"rotate", "binding", "db-creds"}},
		{name: "rotate-wrong-kind", args: []string{"rotate", "instance", "db"}},
		{name: "rotate-retries-conflict", args: []string{"rotate", "binding", "db-creds"}, setup: conflictOnce},
		{name: "touch-dry-run-client-yaml", args: []string{"touch", "instance", "db", "--dry-run=client", "-o", "yaml"}},
		{name: "touch-wait", args: []string{"touch", "instance", "db", "--wait"}, setup: func(w *world) {
			w.evolve("serviceinstances", "db", updating, updated)
		}},
		{name: "complete-describe-names", args: []string{"__complete", "describe", "instance", ""}},
		{name: "complete-kinds", args: []string{"__complete", "get", "b"}},
		{name: "complete-classes", args: []string{"__complete", "provision", "x", "--class", ""}},
		{name: "complete-plans", args: []string{"__complete", "provision", "x", "--class", "postgresql", "--plan", ""}},
	}
}

type errString string

func (e errString) Error() string { return string(e) }

// brokersForbidden makes the user one who may not read brokers, as users are by default.
func brokersForbidden(w *world) {
	w.refuse("list", "clusterservicebrokers", apierrors.NewForbidden(
		schema.GroupResource{Group: v1beta1.GroupName, Resource: "clusterservicebrokers"}, "", errString("RBAC: not allowed")))
}

// conflictOnce makes the first patch of a binding meet another writer's change.
func conflictOnce(w *world) {
	conflicted := false
	w.catalog.PrependReactor("patch", "servicebindings", func(k8stesting.Action) (bool, runtime.Object, error) {
		if conflicted {
			return false, nil, nil
		}
		conflicted = true
		return true, nil, apierrors.NewConflict(schema.GroupResource{Group: v1beta1.GroupName, Resource: "servicebindings"}, "db-creds",
			errString("the object has been modified; please apply your changes to the latest version and try again"))
	})
}

// instanceCondition is a step that sets the instance's Ready condition.
func instanceCondition(reason, message string, status metav1.ConditionStatus) func(runtime.Object) runtime.Object {
	return func(o runtime.Object) runtime.Object {
		i := o.(*v1beta1.ServiceInstance)
		i.Status.ObservedGeneration = i.Generation
		meta.SetStatusCondition(&i.Status.Conditions, metav1.Condition{Type: v1beta1.ConditionReady, Status: status, Reason: reason, Message: message})
		return i
	}
}

// instanceFailed is a step in which the broker refused the provision.
func instanceFailed(o runtime.Object) runtime.Object {
	i := instanceCondition("ProvisionFailed", "The broker refused the provision request (HTTP 400): plan large is sold out.", metav1.ConditionFalse)(o).(*v1beta1.ServiceInstance)
	meta.SetStatusCondition(&i.Status.Conditions, metav1.Condition{Type: v1beta1.ConditionFailed, Status: metav1.ConditionTrue,
		Reason: "ProvisionFailed", Message: "The broker refused the provision request (HTTP 400): plan large is sold out."})
	return i
}

// updating is a step in which the controller sends the update an updateRequests bump
// asked for; updated one in which the broker applied it.
func updating(o runtime.Object) runtime.Object {
	i := o.(*v1beta1.ServiceInstance)
	i.Generation = 2
	i.Status.CurrentOperation = v1beta1.ServiceInstanceOperationUpdate
	return instanceCondition("Updating", "The broker is updating the instance.", metav1.ConditionFalse)(i)
}

func updated(o runtime.Object) runtime.Object {
	i := o.(*v1beta1.ServiceInstance)
	i.Generation = 2
	return instanceCondition("UpdatedSuccessfully", "The broker applied the update (request 1b2c).", metav1.ConditionTrue)(i)
}

// deleting is a step of a binding being deleted; gone one of an object deleted;
// unchanged one that leaves the object as it is.
func deleting(o runtime.Object) runtime.Object {
	b := o.(*v1beta1.ServiceBinding)
	meta.SetStatusCondition(&b.Status.Conditions, metav1.Condition{Type: v1beta1.ConditionReady, Status: metav1.ConditionFalse,
		Reason: "UnbindRequestInFlight", Message: "The unbind request is being sent."})
	return b
}

func gone(runtime.Object) runtime.Object { return nil }

func unchanged(o runtime.Object) runtime.Object { return o }

// bindingBecomesReady makes a new binding app-creds Ready, with its Secret written.
func bindingBecomesReady(w *world) {
	w.evolve("servicebindings", "app-creds", func(o runtime.Object) runtime.Object {
		b := o.(*v1beta1.ServiceBinding)
		meta.SetStatusCondition(&b.Status.Conditions, metav1.Condition{Type: v1beta1.ConditionReady, Status: metav1.ConditionTrue,
			Reason: "InjectedBindResult", Message: `The broker bound the instance (request 4c4c); the credentials are in the Secret "app-creds".`})
		return b
	})
	_ = w.kube.Tracker().Add(&corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: fixtures.Namespace, Name: "app-creds"},
		Data:       map[string][]byte{"password": []byte(fixtures.SecretValue), "username": []byte("u"), "uri": []byte("postgres://")},
	})
}
