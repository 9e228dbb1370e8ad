package controller

import (
	"context"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
)

// lockedCatalog has a plan whose instances the broker refuses to deprovision.
const lockedCatalog = `
services:
- name: locked-{id}
  id: locked-{id}-service
  description: Instances the broker will not deprovision
  bindable: true
  plans:
  - name: locked
    id: locked-{id}-plan
    description: deprovision answers 400
    metadata: {testBroker: {deprovision: {failStatus: 400, failDescription: "the instance is locked by a legal hold"}}}
  - {name: plain, id: locked-{id}-plain, description: "deprovisions"}
`

// A deprovision the broker refuses leaves the instance Terminating with DeleteBlocked,
// which says why, when the next attempt is, and the two ways out. retry (edit may) sends
// the deprovision again at once, though the backoff is an hour; abandon (admin only)
// lets the instance go without another call, and an event records it.
func TestARefusedDeleteIsRetriedOrAbandonedOnRequest(t *testing.T) {
	e := newEnv(t, envOptions{catalog: lockedCatalog})
	ctx := context.Background()
	instance := e.provisioned("held", "locked-{id}", "locked")
	e.deleteInstance(instance.Name)
	blocked := e.waitInstance(instance.Name, "DeleteBlocked", func(i *v1beta1.ServiceInstance) bool {
		return meta.IsStatusConditionTrue(i.Status.Conditions, v1beta1.ConditionDeleteBlocked)
	})
	message := meta.FindStatusCondition(blocked.Status.Conditions, v1beta1.ConditionDeleteBlocked).Message
	for _, want := range []string{"the instance is locked by a legal hold", "The next attempt is at", "/held/retry", "/held/abandon"} {
		if !strings.Contains(message, want) {
			t.Errorf("DeleteBlocked message %q does not say %q", message, want)
		}
	}
	deletes := func() int {
		return strings.Count(strings.Join(e.requests(instance.Spec.ExternalID), ","), "DELETE deprovision")
	}
	if n := deletes(); n != 1 {
		t.Fatalf("%d deprovisions before the retry, want 1", n)
	}

	// A user with edit may retry, not abandon.
	e.grantEdit("alice")
	alice := e.userClient("alice").ServicecatalogV1beta1().ServiceInstances(e.namespace)
	// RBAC reaches the authorizer through an informer: a 403 is asked again.
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := alice.Retry(ctx, instance.Name, &v1beta1.Intervention{}, metav1.CreateOptions{})
		if apierrors.IsForbidden(err) {
			return false, nil
		}
		return true, err
	})
	if err != nil {
		t.Fatalf("retry as alice: %v", err)
	}
	if err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		return deletes() == 2, nil
	}); err != nil {
		t.Fatalf("the retry sent no deprovision: %v", e.requests(instance.Spec.ExternalID))
	}
	if _, err := alice.Abandon(ctx, instance.Name, &v1beta1.Intervention{}, metav1.CreateOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("abandon as alice (edit): %v, want 403", err)
	}

	// Abandoning an instance that is not being deleted is refused.
	other := e.provisioned("kept", "locked-{id}", "plain")
	if _, err := e.catalog.ServicecatalogV1beta1().ServiceInstances(e.namespace).Abandon(ctx, other.Name, &v1beta1.Intervention{}, metav1.CreateOptions{}); !apierrors.IsConflict(err) || !strings.Contains(err.Error(), "delete it first") {
		t.Errorf("abandon of an instance not being deleted: %v, want 409", err)
	}

	status, err := e.catalog.ServicecatalogV1beta1().ServiceInstances(e.namespace).Abandon(ctx, instance.Name, &v1beta1.Intervention{Reason: "the legal hold outlives the project"}, metav1.CreateOptions{})
	if err != nil || !strings.Contains(status.Message, "without calling the broker") {
		t.Fatalf("abandon as the admin: %v %+v", err, status)
	}
	e.waitInstanceGone(instance.Name)
	event := e.waitEvent(instance.Name, conditions.Abandoned)
	for _, want := range []string{"catalog-admin", "the legal hold outlives the project", instance.Spec.ExternalID} {
		if !strings.Contains(event.Message, want) {
			t.Errorf("Abandoned event %q does not say %q", event.Message, want)
		}
	}
	if n := deletes(); n != 2 {
		t.Errorf("%d deprovisions, want 2: abandon calls no broker", n)
	}
	// The broker's ledger keeps it.
	b, err := e.catalog.ServicecatalogV1beta1().ClusterServiceBrokers().Get(ctx, e.brokerName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if l := b.Status.Abandoned; len(l) != 1 || l[0].Kind != "ServiceInstance" || l[0].InstanceID != instance.Spec.ExternalID ||
		l[0].Namespace != e.namespace || l[0].Name != instance.Name || l[0].User != "catalog-admin" || l[0].Reason != "the legal hold outlives the project" {
		t.Errorf("the broker's ledger: %+v", l)
	}
}
