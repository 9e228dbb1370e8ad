package serviceinstance

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/internal/looptest"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// withMaintenance puts both plans at maintenance version v in the catalog.
func withMaintenance(v string) func(*fixtureObjects) {
	return func(o *fixtureObjects) {
		o.small.Spec.MaintenanceInfo = &v1beta1.MaintenanceInfo{Version: v, Description: "patches " + v}
		o.large.Spec.MaintenanceInfo = &v1beta1.MaintenanceInfo{Version: v}
	}
}

// atMaintenance records that the broker has the instance at maintenance version v.
func atMaintenance(v string) func(*fixtureObjects) {
	return func(o *fixtureObjects) { o.instance.Status.ExternalProperties.MaintenanceInfoVersion = v }
}

func version(mi *osb.MaintenanceInfo) string { return versionOf(mi) }

// A broker pinned below API 2.15 knows no maintenance_info: none is sent, and the
// provision goes through instead of being refused by the client for ever.
func TestNoMaintenanceInfoForBrokersBefore2_15(t *testing.T) {
	f := newFixture(t, withMaintenance("1.0.0"), func(o *fixtureObjects) { o.broker.Spec.OSBAPIVersion = "2.14" })
	f.onProvision(provisioned200())
	f.MustSync()
	f.wantReady(metav1.ConditionTrue, conditions.ProvisionedSuccessfully)
	looptest.Expect(t, "maintenance_info", (*osb.MaintenanceInfo)(nil), looptest.Request[osb.ProvisionRequest](f.Env, osb.OperationProvision, 0).MaintenanceInfo)
	looptest.Expect(t, "maintenance recorded", "", knownMaintenance(f.instance()))
}

// A parameters-only update sends no maintenance_info and records the version the broker
// has, not the catalog's newer one.
func TestAParametersUpdateKeepsTheMaintenanceVersion(t *testing.T) {
	f := newFixture(t, provisioned, withMaintenance("2.0.0"), atMaintenance("1.0.0"), func(o *fixtureObjects) { changeSpec(o, newParameters) })
	f.onUpdate(updated200())
	f.MustSync()
	u := looptest.Request[osb.UpdateRequest](f.Env, osb.OperationUpdate, 0)
	type sent struct{ MaintenanceInfo, Previous string }
	looptest.Expect(t, "update", sent{"", "1.0.0"}, sent{version(u.MaintenanceInfo), version(u.PreviousValues.MaintenanceInfo)})
	looptest.Expect(t, "maintenance recorded", "1.0.0", knownMaintenance(f.instance()))
}

// A newer maintenance in the catalog is shown; setting spec.maintenanceInfoVersion to it
// applies it with an update that sends maintenance_info and no parameters.
func TestAMaintenanceUpgrade(t *testing.T) {
	f := newFixture(t, provisioned, withMaintenance("2.0.0"), atMaintenance("1.0.0"))
	f.onUpdate(updated200())
	f.MustSync()
	i := f.instance()
	looptest.Expect(t, "available maintenance", &v1beta1.MaintenanceInfo{Version: "2.0.0", Description: "patches 2.0.0"}, i.Status.AvailableMaintenanceInfo)
	f.WantCalls()

	f.changeSpec(func(i *v1beta1.ServiceInstance) { i.Spec.MaintenanceInfoVersion = "2.0.0" })
	f.MustSync()
	f.MustSync()
	u := looptest.Request[osb.UpdateRequest](f.Env, osb.OperationUpdate, 0)
	type sent struct {
		MaintenanceInfo, Previous string
		PlanChange, Parameters    bool
	}
	looptest.Expect(t, "update", sent{"2.0.0", "1.0.0", false, false},
		sent{version(u.MaintenanceInfo), version(u.PreviousValues.MaintenanceInfo), u.PlanID != nil, u.Parameters != nil})
	i = f.wantReady(metav1.ConditionTrue, conditions.UpdatedSuccessfully)
	looptest.Expect(t, "maintenance recorded", "2.0.0", knownMaintenance(i))
	looptest.Expect(t, "available maintenance", (*v1beta1.MaintenanceInfo)(nil), i.Status.AvailableMaintenanceInfo)
}

// A maintenance version the plan does not offer is refused without a broker call.
func TestAMaintenanceVersionTheCatalogDoesNotOffer(t *testing.T) {
	f := newFixture(t, provisioned, withMaintenance("2.0.0"), atMaintenance("1.0.0"), func(o *fixtureObjects) {
		changeSpec(o, func(s *v1beta1.ServiceInstanceSpec) { s.MaintenanceInfoVersion = "3.0.0" })
	})
	if _, err := f.Sync(); err == nil {
		t.Fatal("no error: the spec cannot be sent")
	}
	f.WantCalls()
	f.wantReady(metav1.ConditionFalse, conditions.MaintenanceNotOffered)
}

// 422 MaintenanceInfoConflict means the broker's catalog changed: it is fetched again.
func TestAMaintenanceInfoConflictAsksForTheCatalog(t *testing.T) {
	f := newFixture(t, withMaintenance("1.0.0"))
	var relisted []string
	cfg := f.OperationConfig()
	cfg.RequestRelist = func(broker string) { relisted = append(relisted, broker) }
	f.c = New(cfg, controller.Options{})
	f.Loop = f.c.sync
	f.onProvision(status(422, osb.ErrorCodeMaintenanceInfoConflict))
	f.MustSync()
	f.wantReady(metav1.ConditionFalse, conditions.ProvisionCallFailed)
	looptest.Expect(t, "relists asked for", []string{"the-broker"}, relisted)
}

// knownMaintenance is the maintenance version the broker has the instance at.
func knownMaintenance(i *v1beta1.ServiceInstance) string {
	if i.Status.ExternalProperties == nil {
		return ""
	}
	return i.Status.ExternalProperties.MaintenanceInfoVersion
}
