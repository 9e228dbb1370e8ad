package validation

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/catalog"
)

func validInstance(tweaks ...func(*sc.ServiceInstance)) *sc.ServiceInstance {
	i := &sc.ServiceInstance{
		ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "team-a", ResourceVersion: "1"},
		Spec: sc.ServiceInstanceSpec{
			PlanReference: sc.PlanReference{
				ClusterServiceClassExternalName: "postgresql",
				ClusterServicePlanExternalName:  "small",
			},
			ExternalID: "c5a3c0bd-1d13-4b35-9a39-5c1c4a0c9e52",
			UserInfo:   &sc.UserInfo{Username: "alice"},
		},
	}
	for _, tweak := range tweaks {
		tweak(i)
	}
	return i
}

// tweakPlanRef replaces the whole plan reference.
func tweakPlanRef(ref sc.PlanReference) func(*sc.ServiceInstance) {
	return func(i *sc.ServiceInstance) { i.Spec.PlanReference = ref }
}

func TestValidateServiceInstance(t *testing.T) {
	successCases := []*sc.ServiceInstance{
		validInstance(),
		validInstance(tweakPlanRef(sc.PlanReference{ClusterServiceClassExternalID: "4f6e6cf6", ClusterServicePlanExternalID: "86064792"})),
		validInstance(tweakPlanRef(sc.PlanReference{ClusterServiceClassName: "postgresql-class", ClusterServicePlanName: "postgresql.small"})),
		// External names and ids are the broker's and are not DNS names.
		validInstance(tweakPlanRef(sc.PlanReference{ClusterServiceClassExternalName: "Postgre SQL", ClusterServicePlanExternalName: "Small (1 GB)"})),
		validInstance(tweakPlanRef(sc.PlanReference{ClusterServiceClassExternalID: "ID_1", ClusterServicePlanExternalID: "ID_2"})),
		validInstance(func(i *sc.ServiceInstance) { i.Spec.Parameters = raw(`{"size":"1Gi","replicas":2}`) }),
		validInstance(func(i *sc.ServiceInstance) {
			i.Spec.ParametersFrom = []sc.ParametersFromSource{
				{SecretKeyRef: &sc.SecretKeyReference{Name: "db-params", Key: "parameters.json"}},
				{SecretKeyRef: &sc.SecretKeyReference{Name: "db-params", Key: "extra_Key-1"}},
			}
		}),
		validInstance(func(i *sc.ServiceInstance) { i.Spec.ExternalID = "Az09._~-" }),
		validInstance(func(i *sc.ServiceInstance) { i.Spec.ExternalID = "..." }),
		validInstance(func(i *sc.ServiceInstance) { i.Spec.ExternalID = ".hidden" }),
		validInstance(func(i *sc.ServiceInstance) { i.Spec.ExternalID = strings.Repeat("x", 255) }),
		validInstance(func(i *sc.ServiceInstance) { i.Spec.UpdateRequests = 3 }),
		validInstance(func(i *sc.ServiceInstance) { i.Spec.UserInfo = nil }),
	}
	for n, instance := range successCases {
		if errs := ValidateServiceInstance(instance); len(errs) != 0 {
			t.Errorf("success case %d (%+v): unexpected errors: %v", n, instance.Spec.PlanReference, errs)
		}
		if errs := ValidateServiceInstance(instanceTwin(instance)); len(errs) != 0 {
			t.Errorf("success case %d, namespaced: unexpected errors: %v", n, errs)
		}
	}

	errorCases := map[string]errorCase[*sc.ServiceInstance]{
		"spec.parameters: Too long: may not be more than 65536 bytes": {
			obj: validInstance(func(i *sc.ServiceInstance) {
				i.Spec.Parameters = &runtime.RawExtension{Raw: []byte(`{"blob":"` + strings.Repeat("x", 64*1024) + `"}`)}
			}),
			field: "spec.parameters",
		},
		"spec.parametersFrom: Too many: 17: must have at most 16 items": {
			obj: validInstance(func(i *sc.ServiceInstance) {
				for range 17 {
					i.Spec.ParametersFrom = append(i.Spec.ParametersFrom, sc.ParametersFromSource{SecretKeyRef: &sc.SecretKeyReference{Name: "s", Key: "k"}})
				}
			}),
			field: "spec.parametersFrom",
		},
		"metadata.namespace: Required value": {
			obj:   validInstance(func(i *sc.ServiceInstance) { i.Namespace = "" }),
			field: "metadata.namespace",
		},
		`metadata.name: Invalid value: "DB"`: {
			obj:   validInstance(func(i *sc.ServiceInstance) { i.Name = "DB" }),
			field: "metadata.name",
		},
		"spec.clusterServiceClassExternalName: Required value: exactly one of clusterServiceClassExternalName, clusterServiceClassExternalID and clusterServiceClassName must be set": {
			obj:   validInstance(tweakPlanRef(sc.PlanReference{ClusterServicePlanExternalName: "small"})),
			field: "spec.clusterServiceClassExternalName",
		},
		"spec.clusterServicePlanExternalName: Required value: a plan must be named too, the same way as the class": {
			obj:    validInstance(tweakPlanRef(sc.PlanReference{})),
			field:  "spec.clusterServicePlanExternalName",
			alsoAt: []string{"spec.clusterServiceClassExternalName"},
		},
		"spec.clusterServiceClassExternalID: Forbidden: exactly one of": {
			obj: validInstance(tweakPlanRef(sc.PlanReference{
				ClusterServiceClassExternalName: "postgresql", ClusterServicePlanExternalName: "small",
				ClusterServiceClassExternalID: "4f6e6cf6", ClusterServicePlanExternalID: "86064792",
			})),
			field: "spec.clusterServiceClassExternalID",
		},
		"spec.clusterServiceClassName: Forbidden: exactly one of": {
			obj: validInstance(tweakPlanRef(sc.PlanReference{
				ClusterServiceClassExternalID: "4f6e6cf6", ClusterServicePlanExternalID: "86064792",
				ClusterServiceClassName: "postgresql",
			})),
			field: "spec.clusterServiceClassName",
		},
		"spec.clusterServicePlanExternalName: Required value: the plan must be named the same way as the class (clusterServiceClassExternalName)": {
			obj:   validInstance(tweakPlanRef(sc.PlanReference{ClusterServiceClassExternalName: "postgresql"})),
			field: "spec.clusterServicePlanExternalName",
		},
		"spec.clusterServicePlanName: Required value: the plan must be named the same way as the class (clusterServiceClassName)": {
			obj:   validInstance(tweakPlanRef(sc.PlanReference{ClusterServiceClassName: "postgresql"})),
			field: "spec.clusterServicePlanName",
		},
		"spec.clusterServicePlanExternalID: Forbidden: the plan must be named the same way as the class: use clusterServicePlanExternalName": {
			obj: validInstance(tweakPlanRef(sc.PlanReference{
				ClusterServiceClassExternalName: "postgresql", ClusterServicePlanExternalID: "86064792",
			})),
			field:  "spec.clusterServicePlanExternalID",
			alsoAt: []string{"spec.clusterServicePlanExternalName"},
		},
		"spec.clusterServicePlanExternalName: Forbidden: the plan must be named the same way as the class: use clusterServicePlanName": {
			obj: validInstance(tweakPlanRef(sc.PlanReference{
				ClusterServiceClassName: "postgresql", ClusterServicePlanName: "small", ClusterServicePlanExternalName: "small",
			})),
			field: "spec.clusterServicePlanExternalName",
		},
		`spec.clusterServiceClassName: Invalid value: "Postgre_SQL"`: {
			obj:   validInstance(tweakPlanRef(sc.PlanReference{ClusterServiceClassName: "Postgre_SQL", ClusterServicePlanName: "small"})),
			field: "spec.clusterServiceClassName",
		},
		`spec.clusterServicePlanName: Invalid value: "Small Plan"`: {
			obj:   validInstance(tweakPlanRef(sc.PlanReference{ClusterServiceClassName: "postgresql", ClusterServicePlanName: "Small Plan"})),
			field: "spec.clusterServicePlanName",
		},
		"spec.serviceClassExternalName: Forbidden: an instance names its class and plan either with the clusterServiceClass…/clusterServicePlan… fields " +
			"(a ClusterServiceClass) or with the serviceClass…/servicePlan… fields (a ServiceClass of its namespace), never both": {
			obj: validInstance(func(i *sc.ServiceInstance) {
				i.Spec.ServiceClassExternalName, i.Spec.ServicePlanExternalName = "postgresql", "small"
			}),
			field: "spec.serviceClassExternalName",
		},
		"spec.servicePlanName: Forbidden: an instance names its class and plan either": {
			obj:   validInstance(func(i *sc.ServiceInstance) { i.Spec.ServicePlanName = "small" }),
			field: "spec.servicePlanName",
		},
		`spec.parameters: Invalid value: "<value omitted>": must be a JSON object`: {
			obj:   validInstance(func(i *sc.ServiceInstance) { i.Spec.Parameters = raw(`["size","1Gi"]`) }),
			field: "spec.parameters",
		},
		"spec.parameters: Invalid value": {
			obj:   validInstance(func(i *sc.ServiceInstance) { i.Spec.Parameters = raw(`{"size":`) }),
			field: "spec.parameters",
		},
		"spec.parameters: Required value: must be a JSON object": {
			obj:   validInstance(func(i *sc.ServiceInstance) { i.Spec.Parameters = raw("") }),
			field: "spec.parameters",
		},
		"spec.parametersFrom[1].secretKeyRef: Required value: each entry must name a source": {
			obj: validInstance(func(i *sc.ServiceInstance) {
				i.Spec.ParametersFrom = []sc.ParametersFromSource{
					{SecretKeyRef: &sc.SecretKeyReference{Name: "p", Key: "k"}},
					{},
				}
			}),
			field: "spec.parametersFrom[1].secretKeyRef",
		},
		"spec.parametersFrom[0].secretKeyRef.name: Required value": {
			obj: validInstance(func(i *sc.ServiceInstance) {
				i.Spec.ParametersFrom = []sc.ParametersFromSource{{SecretKeyRef: &sc.SecretKeyReference{Key: "k"}}}
			}),
			field: "spec.parametersFrom[0].secretKeyRef.name",
		},
		"spec.parametersFrom[0].secretKeyRef.key: Required value": {
			obj: validInstance(func(i *sc.ServiceInstance) {
				i.Spec.ParametersFrom = []sc.ParametersFromSource{{SecretKeyRef: &sc.SecretKeyReference{Name: "p"}}}
			}),
			field: "spec.parametersFrom[0].secretKeyRef.key",
		},
		`spec.parametersFrom[0].secretKeyRef.key: Invalid value: "a/b"`: {
			obj: validInstance(func(i *sc.ServiceInstance) {
				i.Spec.ParametersFrom = []sc.ParametersFromSource{{SecretKeyRef: &sc.SecretKeyReference{Name: "p", Key: "a/b"}}}
			}),
			field: "spec.parametersFrom[0].secretKeyRef.key",
		},
		`spec.parametersFrom[0].secretKeyRef.name: Invalid value: "Params"`: {
			obj: validInstance(func(i *sc.ServiceInstance) {
				i.Spec.ParametersFrom = []sc.ParametersFromSource{{SecretKeyRef: &sc.SecretKeyReference{Name: "Params", Key: "k"}}}
			}),
			field: "spec.parametersFrom[0].secretKeyRef.name",
		},
		"spec.externalID: Required value": {
			obj:   validInstance(func(i *sc.ServiceInstance) { i.Spec.ExternalID = "" }),
			field: "spec.externalID",
		},
		`spec.externalID: Invalid value: "my id": must contain only letters, digits, '.', '_', '~' and '-'`: {
			obj:   validInstance(func(i *sc.ServiceInstance) { i.Spec.ExternalID = "my id" }),
			field: "spec.externalID",
		},
		`spec.externalID: Invalid value: "../other"`: {
			obj:   validInstance(func(i *sc.ServiceInstance) { i.Spec.ExternalID = "../other" }),
			field: "spec.externalID",
		},
		`spec.externalID: Invalid value: "id?x=1"`: {
			obj:   validInstance(func(i *sc.ServiceInstance) { i.Spec.ExternalID = "id?x=1" }),
			field: "spec.externalID",
		},
		`spec.externalID: Invalid value: "..": must not be "." or ".."`: {
			obj:   validInstance(func(i *sc.ServiceInstance) { i.Spec.ExternalID = ".." }),
			field: "spec.externalID",
		},
		`spec.externalID: Invalid value: ".": must not be "." or ".."`: {
			obj:   validInstance(func(i *sc.ServiceInstance) { i.Spec.ExternalID = "." }),
			field: "spec.externalID",
		},
		"spec.externalID: Too long": {
			obj:   validInstance(func(i *sc.ServiceInstance) { i.Spec.ExternalID = strings.Repeat("x", 256) }),
			field: "spec.externalID",
		},
		"spec.updateRequests: Invalid value: -1: must be greater than or equal to 0": {
			obj:   validInstance(func(i *sc.ServiceInstance) { i.Spec.UpdateRequests = -1 }),
			field: "spec.updateRequests",
		},
	}
	for msg, tc := range errorCases {
		t.Run(msg, func(t *testing.T) {
			expectErrors(t, ValidateServiceInstance(tc.obj), msg, tc.field, tc.alsoAt...)
			// An empty reference has no twin: it is the cluster's by default.
			if ref := catalog.PlanReference(tc.obj.Spec.PlanReference); !catalog.MixesScopes(ref) && ref != (catalog.PlanReference{}) {
				expectTwinErrors(t, ValidateServiceInstance(instanceTwin(tc.obj)), msg, tc.field, tc.alsoAt...)
			}
		})
	}
}

// TestValidateServiceInstanceParametersAreNeverEchoed checks that refused parameters, which
// may hold secrets, are not repeated in the error.
func TestValidateServiceInstanceParametersAreNeverEchoed(t *testing.T) {
	const secret = "hunter2-db-password"
	for _, doc := range []string{`["` + secret + `"]`, `{"password":"` + secret + `"`, `"` + secret + `"`} {
		errs := ValidateServiceInstance(validInstance(func(i *sc.ServiceInstance) { i.Spec.Parameters = raw(doc) }))
		if len(errs) == 0 {
			t.Errorf("%s: expected an error", doc)
			continue
		}
		if text := errs.ToAggregate().Error(); strings.Contains(text, secret) {
			t.Errorf("%s: error reveals the parameters: %s", doc, text)
		}
	}
}

func TestValidateServiceInstanceUpdate(t *testing.T) {
	old := validInstance(func(i *sc.ServiceInstance) { i.Spec.UpdateRequests = 2 })
	oldByName := validInstance(tweakPlanRef(sc.PlanReference{ClusterServiceClassName: "pg", ClusterServicePlanName: "small"}))
	oldByID := validInstance(tweakPlanRef(sc.PlanReference{ClusterServiceClassExternalID: "4f6e6cf6", ClusterServicePlanExternalID: "86064792"}))
	oldLocalByName := validInstance(tweakPlanRef(sc.PlanReference{ServiceClassName: "pg", ServicePlanName: "small"}))

	successCases := map[string]struct{ new, old *sc.ServiceInstance }{
		"unchanged": {old.DeepCopy(), old},
		"plan changed": {validInstance(func(i *sc.ServiceInstance) {
			i.Spec.ClusterServicePlanExternalName = "large"
			i.Spec.UpdateRequests = 2
		}), old},
		"plan changed by name":  {validInstance(tweakPlanRef(sc.PlanReference{ClusterServiceClassName: "pg", ClusterServicePlanName: "large"})), oldByName},
		"plan changed by id":    {validInstance(tweakPlanRef(sc.PlanReference{ClusterServiceClassExternalID: "4f6e6cf6", ClusterServicePlanExternalID: "other"})), oldByID},
		"parameters changed":    {validInstance(func(i *sc.ServiceInstance) { i.Spec.Parameters = raw(`{"size":"2Gi"}`); i.Spec.UpdateRequests = 2 }), old},
		"updateRequests bumped": {validInstance(func(i *sc.ServiceInstance) { i.Spec.UpdateRequests = 3 }), old},
		"userInfo changed": {validInstance(func(i *sc.ServiceInstance) {
			i.Spec.UserInfo = &sc.UserInfo{Username: "bob"}
			i.Spec.UpdateRequests = 2
		}), old},
		"parametersFrom changed": {validInstance(func(i *sc.ServiceInstance) {
			i.Spec.ParametersFrom = []sc.ParametersFromSource{{SecretKeyRef: &sc.SecretKeyReference{Name: "p", Key: "k"}}}
			i.Spec.UpdateRequests = 2
		}), old},
	}
	for name, tc := range successCases {
		t.Run(name, func(t *testing.T) {
			expectNoErrors(t, ValidateServiceInstanceUpdate(tc.new, tc.old))
			expectNoErrors(t, ValidateServiceInstanceUpdate(instanceTwin(tc.new), instanceTwin(tc.old)))
		})
	}

	errorCases := map[string]struct {
		errorCase[*sc.ServiceInstance]
		old *sc.ServiceInstance
	}{
		`spec.externalID: Invalid value: "another-id": field is immutable`: {
			errorCase: errorCase[*sc.ServiceInstance]{
				obj:   validInstance(func(i *sc.ServiceInstance) { i.Spec.ExternalID = "another-id"; i.Spec.UpdateRequests = 2 }),
				field: "spec.externalID",
			},
			old: old,
		},
		`spec.clusterServiceClassExternalName: Invalid value: "mysql": field is immutable`: {
			errorCase: errorCase[*sc.ServiceInstance]{
				obj: validInstance(func(i *sc.ServiceInstance) {
					i.Spec.ClusterServiceClassExternalName = "mysql"
					i.Spec.UpdateRequests = 2
				}),
				field: "spec.clusterServiceClassExternalName",
			},
			old: old,
		},
		`spec.clusterServiceClassExternalID: Invalid value: "other": field is immutable`: {
			errorCase: errorCase[*sc.ServiceInstance]{
				obj:   validInstance(tweakPlanRef(sc.PlanReference{ClusterServiceClassExternalID: "other", ClusterServicePlanExternalID: "86064792"})),
				field: "spec.clusterServiceClassExternalID",
			},
			old: oldByID,
		},
		`spec.clusterServiceClassName: Invalid value: "mysql": field is immutable`: {
			errorCase: errorCase[*sc.ServiceInstance]{
				obj:   validInstance(tweakPlanRef(sc.PlanReference{ClusterServiceClassName: "mysql", ClusterServicePlanName: "small"})),
				field: "spec.clusterServiceClassName",
			},
			old: oldByName,
		},
		// Naming the same class another way is a change of class reference too.
		`spec.clusterServiceClassName: Invalid value: "pg": field is immutable`: {
			errorCase: errorCase[*sc.ServiceInstance]{
				obj:    validInstance(tweakPlanRef(sc.PlanReference{ClusterServiceClassName: "pg", ClusterServicePlanName: "small"}), func(i *sc.ServiceInstance) { i.Spec.UpdateRequests = 2 }),
				field:  "spec.clusterServiceClassName",
				alsoAt: []string{"spec.clusterServiceClassExternalName"},
			},
			old: old,
		},
		"spec.serviceClassExternalName: Forbidden: the instance's class is a ClusterServiceClass (clusterServiceClassExternalName): it cannot change to a ServiceClass": {
			errorCase: errorCase[*sc.ServiceInstance]{
				obj: validInstance(tweakPlanRef(sc.PlanReference{ServiceClassExternalName: "postgresql", ServicePlanExternalName: "small"}),
					func(i *sc.ServiceInstance) { i.Spec.UpdateRequests = 2 }),
				field: "spec.serviceClassExternalName",
			},
			old: old,
		},
		"spec.clusterServiceClassName: Forbidden: the instance's class is a ServiceClass (serviceClassName): it cannot change to a ClusterServiceClass": {
			errorCase: errorCase[*sc.ServiceInstance]{
				obj:   validInstance(tweakPlanRef(sc.PlanReference{ClusterServiceClassName: "pg", ClusterServicePlanName: "small"})),
				field: "spec.clusterServiceClassName",
			},
			old: oldLocalByName,
		},
		"spec.updateRequests: Invalid value: 1: must not decrease": {
			errorCase: errorCase[*sc.ServiceInstance]{
				obj:   validInstance(func(i *sc.ServiceInstance) { i.Spec.UpdateRequests = 1 }),
				field: "spec.updateRequests",
			},
			old: old,
		},
		"spec.clusterServicePlanExternalName: Required value": {
			errorCase: errorCase[*sc.ServiceInstance]{
				obj:   validInstance(func(i *sc.ServiceInstance) { i.Spec.ClusterServicePlanExternalName = ""; i.Spec.UpdateRequests = 2 }),
				field: "spec.clusterServicePlanExternalName",
			},
			old: old,
		},
		`metadata.namespace: Invalid value: "team-b": field is immutable`: {
			errorCase: errorCase[*sc.ServiceInstance]{
				obj:   validInstance(func(i *sc.ServiceInstance) { i.Namespace = "team-b"; i.Spec.UpdateRequests = 2 }),
				field: "metadata.namespace",
			},
			old: old,
		},
	}
	for msg, tc := range errorCases {
		t.Run(msg, func(t *testing.T) {
			expectErrors(t, ValidateServiceInstanceUpdate(tc.obj, tc.old), msg, tc.field, tc.alsoAt...)
			if catalog.ScopeOf(catalog.PlanReference(tc.obj.Spec.PlanReference)) == catalog.ScopeOf(catalog.PlanReference(tc.old.Spec.PlanReference)) {
				expectTwinErrors(t, ValidateServiceInstanceUpdate(instanceTwin(tc.obj), instanceTwin(tc.old)), msg, tc.field, tc.alsoAt...)
			}
		})
	}
}

func TestValidateServiceInstanceStatusUpdate(t *testing.T) {
	old := validInstance()
	withStatus := func(tweak func(*sc.ServiceInstanceStatus)) *sc.ServiceInstance {
		i := validInstance()
		tweak(&i.Status)
		return i
	}

	successCases := map[string]*sc.ServiceInstance{
		"empty": withStatus(func(*sc.ServiceInstanceStatus) {}),
		"provisioning asynchronously": withStatus(func(s *sc.ServiceInstanceStatus) {
			s.Conditions = []metav1.Condition{validCondition(func(c *metav1.Condition) { c.Status, c.Reason = metav1.ConditionFalse, "Provisioning" })}
			s.CurrentOperation = sc.ServiceInstanceOperationProvision
			s.AsyncOpInProgress = true
			s.OperationKey = "op-1"
			s.ProvisionStatus = sc.ServiceInstanceProvisionStatusNotProvisioned
			s.DeprovisionStatus = sc.ServiceInstanceDeprovisionStatusRequired
		}),
		"provisioned": withStatus(func(s *sc.ServiceInstanceStatus) {
			s.Conditions = []metav1.Condition{validCondition()}
			s.ProvisionStatus = sc.ServiceInstanceProvisionStatusProvisioned
			s.DeprovisionStatus = sc.ServiceInstanceDeprovisionStatusRequired
			s.ClusterServiceClassRef = &sc.ClusterObjectReference{Name: "pg"}
			s.ClusterServicePlanRef = &sc.ClusterObjectReference{Name: "small"}
		}),
		"provisioned from a namespaced broker": withStatus(func(s *sc.ServiceInstanceStatus) {
			s.ProvisionStatus = sc.ServiceInstanceProvisionStatusProvisioned
			s.ServiceClassRef = &sc.LocalObjectReference{Name: "pg"}
			s.ServicePlanRef = &sc.LocalObjectReference{Name: "small"}
			s.ServiceBrokerName = "team-broker"
		}),
		"updating":      withStatus(func(s *sc.ServiceInstanceStatus) { s.CurrentOperation = sc.ServiceInstanceOperationUpdate }),
		"deprovisioned": withStatus(func(s *sc.ServiceInstanceStatus) { s.DeprovisionStatus = sc.ServiceInstanceDeprovisionStatusSucceeded }),
		"deprovision failed": withStatus(func(s *sc.ServiceInstanceStatus) {
			s.CurrentOperation = sc.ServiceInstanceOperationDeprovision
			s.DeprovisionStatus = sc.ServiceInstanceDeprovisionStatusFailed
		}),
		"nothing to deprovision": withStatus(func(s *sc.ServiceInstanceStatus) {
			s.DeprovisionStatus = sc.ServiceInstanceDeprovisionStatusNotRequired
		}),
		// The status strategy keeps the stored spec, so a status write does not validate it.
		"invalid spec": validInstance(func(i *sc.ServiceInstance) { i.Spec.PlanReference = sc.PlanReference{} }),
	}
	for name, instance := range successCases {
		t.Run(name, func(t *testing.T) {
			expectNoErrors(t, ValidateServiceInstanceStatusUpdate(instance, old))
		})
	}

	errorCases := map[string]errorCase[*sc.ServiceInstance]{
		`status.currentOperation: Unsupported value: "Bind": supported values: "Provision", "Update", "Deprovision"`: {
			obj:   withStatus(func(s *sc.ServiceInstanceStatus) { s.CurrentOperation = "Bind" }),
			field: "status.currentOperation",
		},
		`status.provisionStatus: Unsupported value: "Maybe"`: {
			obj:   withStatus(func(s *sc.ServiceInstanceStatus) { s.ProvisionStatus = "Maybe" }),
			field: "status.provisionStatus",
		},
		`status.deprovisionStatus: Unsupported value: "Later"`: {
			obj:   withStatus(func(s *sc.ServiceInstanceStatus) { s.DeprovisionStatus = "Later" }),
			field: "status.deprovisionStatus",
		},
		"status.asyncOpInProgress: Forbidden: requires a currentOperation": {
			obj:   withStatus(func(s *sc.ServiceInstanceStatus) { s.AsyncOpInProgress = true }),
			field: "status.asyncOpInProgress",
		},
		"status.operationKey: Too long: may not be more than 10000 bytes": {
			obj:   withStatus(func(s *sc.ServiceInstanceStatus) { s.OperationKey = strings.Repeat("k", 10001) }),
			field: "status.operationKey",
		},
		"status.dashboardURL: Too long: may not be more than 4096 bytes": {
			obj:   withStatus(func(s *sc.ServiceInstanceStatus) { s.DashboardURL = "https://d/" + strings.Repeat("x", 4096) }),
			field: "status.dashboardURL",
		},
		`metadata.name: Invalid value: "other": field is immutable`: {
			obj:   validInstance(func(i *sc.ServiceInstance) { i.Name = "other" }),
			field: "metadata.name",
		},
		"status.serviceClassRef: Forbidden: the instance's class, plan and broker are resolved in one scope": {
			obj: withStatus(func(s *sc.ServiceInstanceStatus) {
				s.ClusterServiceClassRef = &sc.ClusterObjectReference{Name: "pg"}
				s.ServicePlanRef = &sc.LocalObjectReference{Name: "small"}
			}),
			field: "status.serviceClassRef",
		},
	}
	for msg, tc := range errorCases {
		t.Run(msg, func(t *testing.T) {
			expectErrors(t, ValidateServiceInstanceStatusUpdate(tc.obj, old), msg, tc.field, tc.alsoAt...)
		})
	}
	for msg, tc := range conditionErrorCases {
		t.Run("conditions/"+msg, func(t *testing.T) {
			obj := withStatus(func(s *sc.ServiceInstanceStatus) { s.Conditions = tc.conditions })
			expectErrors(t, ValidateServiceInstanceStatusUpdate(obj, old), msg, "status.conditions"+tc.field)
		})
	}
}

// TestValidateServiceInstanceResolved checks the names of the class, plan and broker the
// controller resolved, in either scope: names of objects, or nothing.
func TestValidateServiceInstanceResolved(t *testing.T) {
	old := validInstance()
	invalid := map[string]func(s *sc.ServiceInstanceStatus, name string){
		"status.clusterServiceClassRef.name": func(s *sc.ServiceInstanceStatus, n string) {
			s.ClusterServiceClassRef = &sc.ClusterObjectReference{Name: n}
		},
		"status.clusterServicePlanRef.name": func(s *sc.ServiceInstanceStatus, n string) {
			s.ClusterServicePlanRef = &sc.ClusterObjectReference{Name: n}
		},
		"status.clusterServiceBrokerName": func(s *sc.ServiceInstanceStatus, n string) { s.ClusterServiceBrokerName = n },
		"status.serviceClassRef.name":     func(s *sc.ServiceInstanceStatus, n string) { s.ServiceClassRef = &sc.LocalObjectReference{Name: n} },
		"status.servicePlanRef.name":      func(s *sc.ServiceInstanceStatus, n string) { s.ServicePlanRef = &sc.LocalObjectReference{Name: n} },
		"status.serviceBrokerName":        func(s *sc.ServiceInstanceStatus, n string) { s.ServiceBrokerName = n },
	}
	for path, set := range invalid {
		t.Run(path, func(t *testing.T) {
			named := func(name string) *sc.ServiceInstance {
				i := validInstance()
				set(&i.Status, name)
				return i
			}
			expectNoErrors(t, ValidateServiceInstanceStatusUpdate(named("pg-small.v2"), old))
			expectErrors(t, ValidateServiceInstanceStatusUpdate(named("Team_PG"), old), `Invalid value: "Team_PG"`, path)
			if strings.HasSuffix(path, ".name") {
				expectErrors(t, ValidateServiceInstanceStatusUpdate(named(""), old), "Required value", path)
			}
		})
	}
}
