package serviceinstance

import (
	"fmt"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/catalog"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// Maintenance follows the OSB maintenance_info of a plan: the broker's catalog says which
// version a plan is at; an instance is at the version it was provisioned or last updated
// with, kept in status.externalProperties.maintenanceInfoVersion. A newer version in the
// catalog is shown in status.availableMaintenanceInfo; the user applies it by setting
// spec.maintenanceInfoVersion to it, which sends an update with maintenance_info and
// without parameters. Brokers pinned to an API version older than 2.15 know no
// maintenance_info and are never sent one.

// maintenanceInfo returns the plan's maintenance_info to send to the broker, or nil when
// the plan has none or the broker's API version does not know it.
func (c *Controller) maintenanceInfo(r *resolved) *osb.MaintenanceInfo {
	mi := r.plan.Spec.MaintenanceInfo
	if mi == nil || mi.Version == "" || !c.cfg.BrokerClients.APIVersion(r.broker).Supports(osb.FeatureMaintenanceInfo) {
		return nil
	}
	return &osb.MaintenanceInfo{Version: mi.Version}
}

// previousMaintenanceInfo returns what an update tells the broker the instance was at.
func (c *Controller) previousMaintenanceInfo(r *resolved, version string) *osb.MaintenanceInfo {
	if version == "" || !c.cfg.BrokerClients.APIVersion(r.broker).Supports(osb.FeatureMaintenanceInfo) {
		return nil
	}
	return &osb.MaintenanceInfo{Version: version}
}

// versionOf returns the version of a maintenance_info, or "".
func versionOf(mi *osb.MaintenanceInfo) string {
	if mi == nil {
		return ""
	}
	return mi.Version
}

// upgradeAsked tells whether the spec asks for a maintenance upgrade: a
// spec.maintenanceInfoVersion the instance is not at. Asking for a version the plan
// does not offer is an error the user must fix.
func upgradeAsked(instance *v1beta1.ServiceInstance, r *resolved, current string) (bool, error) {
	wanted := instance.Spec.MaintenanceInfoVersion
	if wanted == "" || wanted == current {
		return false, nil
	}
	if mi := r.plan.Spec.MaintenanceInfo; mi != nil && mi.Version == wanted {
		return true, nil
	}
	offered := "none"
	if mi := r.plan.Spec.MaintenanceInfo; mi != nil && mi.Version != "" {
		offered = mi.Version
	}
	return false, &resolveError{conditions.MaintenanceNotOffered, fmt.Sprintf(
		"spec.maintenanceInfoVersion asks for maintenance %q, which plan %s does not offer (its catalog offers %s).",
		wanted, r.plan.Spec.ExternalName, offered)}
}

// noteAvailableMaintenance records in status the maintenance the plan offers that the
// instance is not at, and tells whether that changed.
func noteAvailableMaintenance(instance *v1beta1.ServiceInstance, plan *catalog.Plan) bool {
	status := &instance.Status
	var available *v1beta1.MaintenanceInfo
	if mi := plan.Spec.MaintenanceInfo; mi != nil && mi.Version != "" && status.ExternalProperties != nil &&
		mi.Version != status.ExternalProperties.MaintenanceInfoVersion {
		available = mi.DeepCopy()
	}
	if (available == nil) == (status.AvailableMaintenanceInfo == nil) &&
		(available == nil || *available == *status.AvailableMaintenanceInfo) {
		return false
	}
	status.AvailableMaintenanceInfo = available
	return true
}
