package validation

import (
	"fmt"

	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/catalog"
)

// ValidateServiceInstance checks a new instance.
func ValidateServiceInstance(instance *sc.ServiceInstance) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&instance.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	allErrs = append(allErrs, ValidateServiceInstanceSpec(&instance.Spec, field.NewPath("spec"))...)
	return allErrs
}

// ValidateServiceInstanceUpdate checks a change to an instance's metadata or spec.
func ValidateServiceInstanceUpdate(newInstance, oldInstance *sc.ServiceInstance) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&newInstance.ObjectMeta, &oldInstance.ObjectMeta, field.NewPath("metadata"))
	specPath := field.NewPath("spec")
	allErrs = append(allErrs, ValidateServiceInstanceSpec(&newInstance.Spec, specPath)...)
	allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(newInstance.Spec.ExternalID, oldInstance.Spec.ExternalID, specPath.Child("externalID"))...)
	allErrs = append(allErrs, validateClassUnchanged(catalog.PlanReference(newInstance.Spec.PlanReference), catalog.PlanReference(oldInstance.Spec.PlanReference), specPath)...)
	allErrs = append(allErrs, validateCounterUpdate(newInstance.Spec.UpdateRequests, oldInstance.Spec.UpdateRequests, specPath.Child("updateRequests"))...)
	return allErrs
}

// ValidateServiceInstanceStatusUpdate checks a change to an instance's status.
func ValidateServiceInstanceStatusUpdate(newInstance, oldInstance *sc.ServiceInstance) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&newInstance.ObjectMeta, &oldInstance.ObjectMeta, field.NewPath("metadata"))
	statusPath := field.NewPath("status")
	status := &newInstance.Status
	allErrs = append(allErrs, validateConditions(status.Conditions, statusPath.Child("conditions"))...)
	allErrs = append(allErrs, validateEnum(status.CurrentOperation, statusPath.Child("currentOperation"),
		sc.ServiceInstanceOperationProvision, sc.ServiceInstanceOperationUpdate, sc.ServiceInstanceOperationDeprovision)...)
	allErrs = append(allErrs, validateEnum(status.ProvisionStatus, statusPath.Child("provisionStatus"),
		sc.ServiceInstanceProvisionStatusProvisioned, sc.ServiceInstanceProvisionStatusNotProvisioned)...)
	allErrs = append(allErrs, validateEnum(status.DeprovisionStatus, statusPath.Child("deprovisionStatus"),
		sc.ServiceInstanceDeprovisionStatusNotRequired, sc.ServiceInstanceDeprovisionStatusRequired,
		sc.ServiceInstanceDeprovisionStatusSucceeded, sc.ServiceInstanceDeprovisionStatusFailed)...)
	if status.AsyncOpInProgress && status.CurrentOperation == "" {
		allErrs = append(allErrs, field.Forbidden(statusPath.Child("asyncOpInProgress"), "requires a currentOperation"))
	}
	allErrs = append(allErrs, validateOperationStatus(&status.OperationStatus, statusPath)...)
	allErrs = append(allErrs, validateMaxLength(status.DashboardURL, MaxDashboardURLLength, statusPath.Child("dashboardURL"))...)
	allErrs = append(allErrs, validateResolved(status, statusPath)...)
	return allErrs
}

// ValidateServiceInstanceSpec checks what an instance asks of the broker.
func ValidateServiceInstanceSpec(spec *sc.ServiceInstanceSpec, fldPath *field.Path) field.ErrorList {
	allErrs := validatePlanReference(&spec.PlanReference, fldPath)
	allErrs = append(allErrs, validateParameters(spec.Parameters, fldPath.Child("parameters"))...)
	allErrs = append(allErrs, validateParametersFrom(spec.ParametersFrom, fldPath.Child("parametersFrom"))...)
	allErrs = append(allErrs, validateExternalID(spec.ExternalID, fldPath.Child("externalID"))...)
	allErrs = append(allErrs, validateNonNegative(spec.UpdateRequests, fldPath.Child("updateRequests"))...)
	allErrs = append(allErrs, validateMaxLength(spec.MaintenanceInfoVersion, maxExternalIDLength, fldPath.Child("maintenanceInfoVersion"))...)
	return allErrs
}

// validatePlanReference checks that the class and plan are named in one scope, the
// cluster's or the instance's namespace's; that the class is named exactly one way (see
// catalog.Namings); and that the plan is named the same way.
func validatePlanReference(planRef *sc.PlanReference, fldPath *field.Path) field.ErrorList {
	ref := catalog.PlanReference(*planRef)
	if catalog.MixesScopes(ref) {
		return field.ErrorList{mixedScopes(ref, fldPath)}
	}
	scope := catalog.ScopeOf(ref)
	var used []catalog.Naming
	for _, n := range catalog.Namings() {
		if n.Class(ref) != "" {
			used = append(used, n)
		}
	}
	if len(used) != 1 {
		msg := fmt.Sprintf("exactly one of %s, %s and %s must be set", catalog.ByExternalName.ClassFieldIn(scope),
			catalog.ByExternalID.ClassFieldIn(scope), catalog.ByName.ClassFieldIn(scope))
		if len(used) == 0 {
			return append(field.ErrorList{field.Required(fldPath.Child(catalog.ByExternalName.ClassFieldIn(scope)), msg)},
				planRequired(ref, scope, fldPath)...)
		}
		return field.ErrorList{field.Forbidden(fldPath.Child(used[1].ClassFieldIn(scope)), msg)}
	}
	return validatePlanNaming(ref, used[0], scope, fldPath)
}

// planNaming returns the first naming, in the API's order, that ref names its plan by.
func planNaming(ref catalog.PlanReference) (catalog.Naming, bool) {
	for _, n := range catalog.Namings() {
		if n.Plan(ref) != "" {
			return n, true
		}
	}
	return catalog.ByExternalName, false
}

// planRequired is the error of a reference that names no plan, in any naming; none if
// it names one.
func planRequired(ref catalog.PlanReference, scope catalog.Scope, fldPath *field.Path) field.ErrorList {
	if _, named := planNaming(ref); named {
		return nil
	}
	return field.ErrorList{field.Required(fldPath.Child(catalog.ByExternalName.PlanFieldIn(scope)),
		"a plan must be named too, the same way as the class")}
}

// mixedScopes is the error of a reference that names its class or plan in both scopes,
// at the first field it sets in the namespace scope.
func mixedScopes(ref catalog.PlanReference, fldPath *field.Path) *field.Error {
	local := catalog.NamingOf(ref)
	at := local.ClassFieldIn(catalog.NamespaceScope)
	if local.Class(ref) == "" {
		if n, named := planNaming(ref); named {
			at = n.PlanFieldIn(catalog.NamespaceScope)
		}
	}
	return field.Forbidden(fldPath.Child(at), "an instance names its class and plan either with the clusterServiceClass…/clusterServicePlan… fields "+
		"(a ClusterServiceClass) or with the serviceClass…/servicePlan… fields (a ServiceClass of its namespace), never both")
}

// validatePlanNaming checks that ref names its plan the way n names its class, in scope.
func validatePlanNaming(ref catalog.PlanReference, naming catalog.Naming, scope catalog.Scope, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if naming.Plan(ref) == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child(naming.PlanFieldIn(scope)),
			fmt.Sprintf("the plan must be named the same way as the class (%s)", naming.ClassFieldIn(scope))))
	}
	for _, other := range catalog.Namings() {
		if other != naming && other.Plan(ref) != "" {
			allErrs = append(allErrs, field.Forbidden(fldPath.Child(other.PlanFieldIn(scope)),
				fmt.Sprintf("the plan must be named the same way as the class: use %s", naming.PlanFieldIn(scope))))
		}
	}
	if naming == catalog.ByName {
		allErrs = append(allErrs, validateDNSSubdomainName(naming.Class(ref), fldPath.Child(naming.ClassFieldIn(scope)))...)
		if plan := naming.Plan(ref); plan != "" {
			allErrs = append(allErrs, validateDNSSubdomainName(plan, fldPath.Child(naming.PlanFieldIn(scope)))...)
		}
	}
	return allErrs
}

// validateClassUnchanged refuses a change of the class an instance names, in any naming,
// and a move between the scopes; a change of the plan within the scope is allowed.
func validateClassUnchanged(ref, oldRef catalog.PlanReference, fldPath *field.Path) field.ErrorList {
	scope, oldScope := catalog.ScopeOf(ref), catalog.ScopeOf(oldRef)
	if scope != oldScope {
		n := catalog.NamingOf(ref)
		return field.ErrorList{field.Forbidden(fldPath.Child(n.ClassFieldIn(scope)), fmt.Sprintf(
			"the instance's class is a %s (%s): it cannot change to a %s", oldScope.ClassKind(), catalog.NamingOf(oldRef).ClassFieldIn(oldScope), scope.ClassKind()))}
	}
	var allErrs field.ErrorList
	for _, n := range catalog.Namings() {
		allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(n.Class(ref), n.Class(oldRef), fldPath.Child(n.ClassFieldIn(scope)))...)
	}
	return allErrs
}

// validateResolved checks the class, plan and broker the controller resolved: names of
// objects, all of one scope.
func validateResolved(status *sc.ServiceInstanceStatus, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	check := func(set bool, name string, path ...string) {
		if set {
			allErrs = append(allErrs, validateDNSSubdomainName(name, fldPath.Child(path[0], path[1:]...))...)
		}
	}
	cluster, local := status.ClusterServiceClassRef, status.ServiceClassRef
	clusterPlan, localPlan := status.ClusterServicePlanRef, status.ServicePlanRef
	check(cluster != nil, ptr.Deref(cluster, sc.ClusterObjectReference{}).Name, "clusterServiceClassRef", "name")
	check(clusterPlan != nil, ptr.Deref(clusterPlan, sc.ClusterObjectReference{}).Name, "clusterServicePlanRef", "name")
	check(status.ClusterServiceBrokerName != "", status.ClusterServiceBrokerName, "clusterServiceBrokerName")
	check(local != nil, ptr.Deref(local, sc.LocalObjectReference{}).Name, "serviceClassRef", "name")
	check(localPlan != nil, ptr.Deref(localPlan, sc.LocalObjectReference{}).Name, "servicePlanRef", "name")
	check(status.ServiceBrokerName != "", status.ServiceBrokerName, "serviceBrokerName")
	inCluster := cluster != nil || clusterPlan != nil || status.ClusterServiceBrokerName != ""
	if inCluster && (local != nil || localPlan != nil || status.ServiceBrokerName != "") {
		allErrs = append(allErrs, field.Forbidden(fldPath.Child("serviceClassRef"),
			"the instance's class, plan and broker are resolved in one scope: the clusterServiceClassRef, clusterServicePlanRef and clusterServiceBrokerName, "+
				"or the serviceClassRef, servicePlanRef and serviceBrokerName, never both"))
	}
	return allErrs
}

// validateEnum checks that a status field holds one of its values, or nothing.
func validateEnum[T ~string](value T, fldPath *field.Path, allowed ...T) field.ErrorList {
	if value == "" {
		return nil
	}
	for _, a := range allowed {
		if value == a {
			return nil
		}
	}
	return field.ErrorList{field.NotSupported(fldPath, value, allowed)}
}
