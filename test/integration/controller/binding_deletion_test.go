package controller

import (
	"context"
	"slices"
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

func TestDeletingAnInstanceWaitsForItsBindings(t *testing.T) {
	e := newEnv(t, envOptions{catalog: bindingCatalog})
	ctx := context.Background()
	instance := e.provisioned("kv", "kv-{id}", "async")
	one := e.createBinding(e.binding("one", "kv"))
	two := e.createBinding(e.binding("two", "kv"))
	e.waitBindingReady(one.Name)
	e.waitBindingReady(two.Name)

	e.deleteInstance("kv")
	blocked := e.waitInstance("kv", conditions.DeprovisionBlockedByExistingBindings,
		hasReason(v1beta1.ConditionReady, conditions.DeprovisionBlockedByExistingBindings))
	if c := meta.FindStatusCondition(blocked.Status.Conditions, v1beta1.ConditionReady); !strings.Contains(c.Message, "2 bindings") {
		t.Errorf("the instance does not say what it waits for: %q", c.Message)
	}
	if slices.Contains(kinds(e.requests(instance.Spec.ExternalID)), "DELETE deprovision") {
		t.Errorf("the instance was deprovisioned while bound")
	}
	// The bindings are not touched by the instance's deletion.
	if b := e.getBinding(one.Name); !meta.IsStatusConditionTrue(b.Status.Conditions, v1beta1.ConditionReady) || b.DeletionTimestamp != nil {
		t.Errorf("binding one after the instance's deletion: %+v", b.Status)
	}
	// New bindings to an instance being deleted are refused (ServiceBindingsLifecycle).
	_, err := e.catalog.ServicecatalogV1beta1().ServiceBindings(e.namespace).Create(ctx, e.binding("three", "kv"), metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) {
		t.Errorf("a new binding to an instance being deleted: %v, want Forbidden", err)
	}

	e.deleteBinding(one.Name)
	e.waitBindingGone(one.Name)
	e.waitInstance("kv", "blocked by one binding", func(i *v1beta1.ServiceInstance) bool {
		c := meta.FindStatusCondition(i.Status.Conditions, v1beta1.ConditionReady)
		return c != nil && c.Reason == conditions.DeprovisionBlockedByExistingBindings && strings.Contains(c.Message, "The instance still has 1 binding;")
	})
	e.deleteBinding(two.Name)
	e.waitInstanceGone("kv")

	// Every binding was unbound before the instance was deprovisioned.
	var order []string
	for _, r := range e.broker.Requests() {
		switch d := describeRequest(r); {
		case strings.HasPrefix(d, "DELETE unbind"), strings.HasPrefix(d, "DELETE deprovision"):
			order = append(order, d)
		}
	}
	if want := []string{"DELETE unbind 202", "DELETE unbind 202", "DELETE deprovision 200"}; !slices.Equal(order, want) {
		t.Errorf("broker saw deletions %v, want %v", order, want)
	}
	if n, m := len(e.broker.Instances()), len(e.broker.Bindings()); n != 0 || m != 0 {
		t.Errorf("the broker still holds %d instances and %d bindings", n, m)
	}
}

func TestDeletingANamespaceUnbindsAndDeprovisions(t *testing.T) {
	e := newEnv(t, envOptions{catalog: bindingCatalog})
	ctx := context.Background()
	var bindingIDs []string
	for _, plan := range []string{"sync", "async"} {
		instance := e.provisioned("kv-"+plan, "kv-{id}", plan)
		for _, name := range []string{"a", "b"} {
			b := e.createBinding(e.binding(plan+"-"+name, instance.Name))
			e.waitBindingReady(b.Name)
			bindingIDs = append(bindingIDs, b.Spec.ExternalID)
		}
	}
	if n, m := len(e.broker.Instances()), len(e.broker.Bindings()); n != 2 || m != 4 {
		t.Fatalf("the broker holds %d instances and %d bindings, want 2 and 4", n, m)
	}

	start := time.Now()
	if err := e.kube.CoreV1().Namespaces().Delete(ctx, e.namespace, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := e.kube.CoreV1().Namespaces().Get(ctx, e.namespace, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if err != nil {
		ns, _ := e.kube.CoreV1().Namespaces().Get(ctx, e.namespace, metav1.GetOptions{})
		t.Fatalf("the namespace was not deleted: %+v", ns.Status)
	}
	t.Logf("namespace deleted in %s", time.Since(start).Round(100*time.Millisecond))

	if n, m := len(e.broker.Instances()), len(e.broker.Bindings()); n != 0 || m != 0 {
		t.Errorf("the broker still holds %d instances and %d bindings", n, m)
	}
	for _, id := range bindingIDs {
		if got := kinds(e.bindingRequests(id)); !slices.Contains(got, "DELETE unbind") {
			t.Errorf("binding %s was not unbound: %v", id, got)
		}
	}
}
