package controller

import (
	"context"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

// A cluster broker with a namespaceSelector offers its classes only in the namespaces it
// matches: an instance elsewhere is refused, with a message that says so; once the
// namespace carries the label, the instance is provisioned.
func TestABrokerOffersItsClassesOnlyWhereItsSelectorMatches(t *testing.T) {
	e := newEnv(t, envOptions{catalog: ledgerCatalog, noBrokerObject: true})
	ctx := context.Background()
	label := "catalog-test-" + e.id
	e.createBroker(func(b *v1beta1.ClusterServiceBroker) {
		b.Spec.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{label: "yes"}}
	})
	e.waitBrokerReady()
	instances := e.catalog.ServicecatalogV1beta1().ServiceInstances(e.namespace)
	create := func(dryRun []string) error {
		_, err := instances.Create(ctx, e.instance("db", "ledger-{id}", "small", ""), metav1.CreateOptions{DryRun: dryRun})
		return err
	}
	var last error
	err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		last = create([]string{metav1.DryRunAll})
		return apierrors.IsInvalid(last), nil
	})
	if err != nil || !strings.Contains(last.Error(), "offers its classes only in namespaces whose labels match "+label+"=yes; namespace "+e.namespace+" does not") {
		t.Fatalf("an instance where the broker does not offer its classes: %v", last)
	}

	patch := []byte(`{"metadata":{"labels":{"` + label + `":"yes"}}}`)
	if _, err := e.kube.CoreV1().Namespaces().Patch(ctx, e.namespace, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		last = create([]string{metav1.DryRunAll})
		return last == nil, nil
	})
	if err != nil {
		t.Fatalf("an instance once the namespace is labelled: %v", last)
	}
	if err := create(nil); err != nil {
		t.Fatal(err)
	}
	e.waitInstanceReady("db")
}
