package controller

import (
	"context"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/kube-service-catalog/catalog/cmd/controller-manager/app/config"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/broker"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/operation"
	"github.com/kube-service-catalog/catalog/pkg/controller/serviceinstance"
)

// ledgerCatalog has an offering whose instances and bindings can be fetched.
const ledgerCatalog = `
services:
- name: ledger-{id}
  id: ledger-{id}-service
  description: Instances and bindings the broker can show
  bindable: true
  instances_retrievable: true
  bindings_retrievable: true
  plans:
  - {name: small, id: ledger-{id}-small, description: "small"}
`

// checkedEveryHour turns the checks with the broker on, at a period no test waits for.
func checkedEveryHour(c *config.Config) { c.BrokerCheckPeriod = time.Hour }

// An instance and a binding the broker lost are not silently believed: asked (the
// check annotation), GET instance and GET binding answer 404 and both show
// BrokerResourceMissing.
func TestTheLedgerShowsWhatTheBrokerLost(t *testing.T) {
	e := newEnv(t, envOptions{catalog: ledgerCatalog, tweak: checkedEveryHour})
	ctx := context.Background()
	instance := e.provisioned("kept-db", "ledger-{id}", "small")
	binding := e.createBinding(e.binding("kept-db-creds", instance.Name))
	e.waitBindingReady(binding.Name)

	if !e.broker.LoseInstance(instance.Spec.ExternalID) {
		t.Fatal("the broker did not hold the instance")
	}
	now := []byte(`{"metadata":{"annotations":{"` + operation.BrokerCheckAnnotation + `":"` + time.Now().Add(time.Second).UTC().Format(time.RFC3339) + `"}}}`)
	sc := e.catalog.ServicecatalogV1beta1()
	if _, err := sc.ServiceInstances(e.namespace).Patch(ctx, instance.Name, types.MergePatchType, now, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.ServiceBindings(e.namespace).Patch(ctx, binding.Name, types.MergePatchType, now, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	missing := e.waitInstance(instance.Name, "BrokerResourceMissing", func(i *v1beta1.ServiceInstance) bool {
		return meta.IsStatusConditionTrue(i.Status.Conditions, v1beta1.ConditionBrokerResourceMissing)
	})
	if c := meta.FindStatusCondition(missing.Status.Conditions, v1beta1.ConditionBrokerResourceMissing); c.Reason != conditions.NotFoundAtBroker ||
		!strings.Contains(c.Message, "answered 404 to GET instance "+instance.Spec.ExternalID) {
		t.Errorf("condition %+v", c)
	}
	e.waitBinding(binding.Name, "BrokerResourceMissing", func(b *v1beta1.ServiceBinding) bool {
		return meta.IsStatusConditionTrue(b.Status.Conditions, v1beta1.ConditionBrokerResourceMissing)
	})
	got := strings.Join(e.requests(instance.Spec.ExternalID), ",")
	for _, want := range []string{"GET get-instance 404", "GET get-binding 404"} {
		if !strings.Contains(got, want) {
			t.Errorf("broker saw %s, want %s", got, want)
		}
	}
}

// An instance the broker already holds is adopted through GET instance when a user who
// may "adopt" asks (the annotation): no provision is sent. A user with edit may not ask;
// an id the broker does not hold fails with nothing sent.
func TestAdoptingAnInstanceTheBrokerHolds(t *testing.T) {
	e := newEnv(t, envOptions{catalog: ledgerCatalog})
	ctx := context.Background()
	sc := e.catalog.ServicecatalogV1beta1().ServiceInstances(e.namespace)
	// An instance the broker holds that no object owns: made, then abandoned while the
	// broker refused to deprovision it.
	first := e.provisioned("first", "ledger-{id}", "small")
	plan := "ledger-" + e.id + "-small"
	if err := e.broker.SetBehavior(plan, broker.Behavior{Deprovision: &broker.OpBehavior{FailStatus: 400}}); err != nil {
		t.Fatal(err)
	}
	e.deleteInstance(first.Name)
	e.waitInstance(first.Name, "DeleteBlocked", func(i *v1beta1.ServiceInstance) bool {
		return meta.IsStatusConditionTrue(i.Status.Conditions, v1beta1.ConditionDeleteBlocked)
	})
	if _, err := sc.Abandon(ctx, first.Name, &v1beta1.Intervention{}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.waitInstanceGone(first.Name)
	if err := e.broker.ResetBehavior(plan); err != nil {
		t.Fatal(err)
	}
	id := first.Spec.ExternalID

	adopting := e.instance("adopted", "ledger-{id}", "small", "")
	adopting.Spec.ExternalID = id
	adopting.Annotations = map[string]string{serviceinstance.AdoptAnnotation: "true"}
	e.grantEdit("alice")
	err := createEventually403(t, func() error {
		_, err := e.userClient("alice").ServicecatalogV1beta1().ServiceInstances(e.namespace).Create(ctx, adopting, metav1.CreateOptions{})
		return err
	}, `cannot adopt serviceinstances`)
	if err != nil {
		t.Fatalf("alice (edit) asking for an adoption: no refusal naming the adopt verb: %v", err)
	}

	e.createInstance(adopting)
	adopted := e.waitInstanceReady(adopting.Name)
	if adopted.Status.ExternalProperties == nil || adopted.Status.ExternalProperties.ClusterServicePlanExternalID != "ledger-"+e.id+"-small" {
		t.Errorf("adopted status %+v", statusOf(adopted))
	}
	e.waitEvent(adopting.Name, conditions.Adopted)
	if got := e.requests(id); strings.Count(strings.Join(got, ","), "PUT provision") != 1 {
		t.Errorf("broker saw %v: the adoption sent a provision", got)
	}

	unknown := e.instance("not-there", "ledger-{id}", "small", "")
	unknown.Spec.ExternalID = "a1b2c3d4-0000-4000-8000-000000000000"
	unknown.Annotations = map[string]string{serviceinstance.AdoptAnnotation: "true"}
	e.createInstance(unknown)
	e.waitInstance(unknown.Name, "AdoptionFailed", hasReason(v1beta1.ConditionFailed, conditions.AdoptionFailed))
	if got := e.requests(unknown.Spec.ExternalID); len(got) != 1 || got[0] != "GET get-instance 404" {
		t.Errorf("broker saw %v for an id it does not hold, want one GET", got)
	}
}

// createEventually403 creates until RBAC has caught up with a new RoleBinding and the
// refusal comes from admission, saying want; a create that succeeds fails the test.
func createEventually403(t *testing.T, create func() error, want string) error {
	t.Helper()
	var last error
	return wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		last = create()
		if last == nil {
			t.Fatalf("created; want a refusal saying %q", want)
		}
		return apierrors.IsForbidden(last) && strings.Contains(last.Error(), want), nil
	})
}
