package controller

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
)

// A broker that answers 422 MaintenanceInfoConflict says its catalog changed: the instance
// loop asks the broker loop for the catalog, which fetches it though the broker relists
// only by hand.
func TestAMaintenanceInfoConflictRelistsTheBroker(t *testing.T) {
	e := newEnv(t, envOptions{catalog: defaultCatalog})
	fetches := countCatalogRequests(e.broker)

	// The broker moves plan large to a new maintenance version; the catalog does not know.
	e.setCatalog(strings.Replace(defaultCatalog, "maintenance_info: {version: 1.2.0", "maintenance_info: {version: 1.3.0", 1))
	i := e.createInstance(e.instance("on-large", "db-{id}", "large", ""))
	e.waitInstance(i.Name, "refused with a maintenance conflict", hasReason(v1beta1.ConditionReady, conditions.ProvisionCallFailed))

	var plan *v1beta1.ClusterServicePlan
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		p, err := e.catalog.ServicecatalogV1beta1().ClusterServicePlans().Get(ctx, "db-"+e.id+"-large", metav1.GetOptions{})
		plan = p
		return err == nil && p.Spec.MaintenanceInfo != nil && p.Spec.MaintenanceInfo.Version == "1.3.0", nil
	})
	if err != nil {
		t.Fatalf("the catalog was not fetched again: plan large has %+v", plan.Spec.MaintenanceInfo)
	}
	after := e.waitBrokerReady()
	type relist struct {
		Fetched                bool
		ObservedRelistRequests int64
	}
	if got, want := (relist{countCatalogRequests(e.broker) > fetches, after.Status.ObservedRelistRequests}), (relist{true, 0}); got != want {
		t.Errorf("relist %+v, want %+v", got, want)
	}
}
