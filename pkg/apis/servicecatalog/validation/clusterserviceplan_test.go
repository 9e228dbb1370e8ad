package validation

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
)

func validPlan(tweaks ...func(*sc.ClusterServicePlan)) *sc.ClusterServicePlan {
	p := &sc.ClusterServicePlan{
		ObjectMeta: metav1.ObjectMeta{Name: "86064792-7ea2-467b-af93-ac9694d96d52", ResourceVersion: "1"},
		Spec: sc.ClusterServicePlanSpec{
			CommonServicePlanSpec: sc.CommonServicePlanSpec{
				ExternalName: "small",
				ExternalID:   "86064792-7ea2-467b-af93-ac9694d96d52",
				Description:  "A small database",
				Free:         true,
			},
			ClusterServiceBrokerName: "test-broker",
			ClusterServiceClassRef:   sc.ClusterObjectReference{Name: "4f6e6cf6-ffdd-425f-a2c7-3c9258ad2468"},
		},
	}
	for _, tweak := range tweaks {
		tweak(p)
	}
	return p
}

// planSchemas are the raw fields of a plan that must hold JSON objects.
var planSchemas = map[string]func(*sc.ClusterServicePlan) **runtime.RawExtension{
	"externalMetadata":              func(p *sc.ClusterServicePlan) **runtime.RawExtension { return &p.Spec.ExternalMetadata },
	"instanceCreateParameterSchema": func(p *sc.ClusterServicePlan) **runtime.RawExtension { return &p.Spec.InstanceCreateParameterSchema },
	"instanceUpdateParameterSchema": func(p *sc.ClusterServicePlan) **runtime.RawExtension { return &p.Spec.InstanceUpdateParameterSchema },
	"serviceBindingCreateParameterSchema": func(p *sc.ClusterServicePlan) **runtime.RawExtension {
		return &p.Spec.ServiceBindingCreateParameterSchema
	},
}

func TestValidateClusterServicePlan(t *testing.T) {
	successCases := []*sc.ClusterServicePlan{
		validPlan(),
		validPlan(func(p *sc.ClusterServicePlan) { p.Spec.ExternalName = "Small (1 GB)" }),
		validPlan(func(p *sc.ClusterServicePlan) {
			p.Spec.Bindable = ptr.To(false)
			p.Spec.PlanUpdatable = ptr.To(true)
		}),
		validPlan(func(p *sc.ClusterServicePlan) {
			p.Spec.MaintenanceInfo = &sc.MaintenanceInfo{Version: "1.2.3", Description: "security fixes"}
		}),
		validPlan(func(p *sc.ClusterServicePlan) {
			p.Spec.MaximumPollingDuration = &metav1.Duration{Duration: time.Hour}
		}),
		validPlan(func(p *sc.ClusterServicePlan) {
			p.Spec.ExternalMetadata = raw(`{"bullets":["1 GB"]}`)
			p.Spec.InstanceCreateParameterSchema = raw(`{"$schema":"http://json-schema.org/draft-04/schema#","type":"object"}`)
			p.Spec.InstanceUpdateParameterSchema = raw(`{}`)
			p.Spec.ServiceBindingCreateParameterSchema = raw(` {"type":"object"} `)
		}),
	}
	for i, plan := range successCases {
		if errs := ValidateClusterServicePlan(plan); len(errs) != 0 {
			t.Errorf("success case %d: unexpected errors: %v", i, errs)
		}
		if errs := ValidateServicePlan(planTwin(plan)); len(errs) != 0 {
			t.Errorf("success case %d, namespaced: unexpected errors: %v", i, errs)
		}
	}

	errorCases := map[string]errorCase[*sc.ClusterServicePlan]{
		"metadata.name: Required value": {
			obj:   validPlan(func(p *sc.ClusterServicePlan) { p.Name = "" }),
			field: "metadata.name",
		},
		"spec.externalName: Required value": {
			obj:   validPlan(func(p *sc.ClusterServicePlan) { p.Spec.ExternalName = "" }),
			field: "spec.externalName",
		},
		"spec.externalName: Too long": {
			obj:   validPlan(func(p *sc.ClusterServicePlan) { p.Spec.ExternalName = strings.Repeat("n", 256) }),
			field: "spec.externalName",
		},
		"spec.externalID: Required value": {
			obj:   validPlan(func(p *sc.ClusterServicePlan) { p.Spec.ExternalID = "" }),
			field: "spec.externalID",
		},
		"spec.externalID: Too long": {
			obj:   validPlan(func(p *sc.ClusterServicePlan) { p.Spec.ExternalID = strings.Repeat("i", 256) }),
			field: "spec.externalID",
		},
		"spec.clusterServiceBrokerName: Required value": {
			obj:   validPlan(func(p *sc.ClusterServicePlan) { p.Spec.ClusterServiceBrokerName = "" }),
			field: "spec.clusterServiceBrokerName",
		},
		"spec.clusterServiceClassRef.name: Required value": {
			obj:   validPlan(func(p *sc.ClusterServicePlan) { p.Spec.ClusterServiceClassRef.Name = "" }),
			field: "spec.clusterServiceClassRef.name",
		},
		`spec.clusterServiceClassRef.name: Invalid value: "Postgre SQL"`: {
			obj:   validPlan(func(p *sc.ClusterServicePlan) { p.Spec.ClusterServiceClassRef.Name = "Postgre SQL" }),
			field: "spec.clusterServiceClassRef.name",
		},
		"spec.maintenanceInfo.version: Required value": {
			obj: validPlan(func(p *sc.ClusterServicePlan) {
				p.Spec.MaintenanceInfo = &sc.MaintenanceInfo{Description: "no version"}
			}),
			field: "spec.maintenanceInfo.version",
		},
		`spec.maximumPollingDuration: Invalid value: "0s": must be greater than zero`: {
			obj:   validPlan(func(p *sc.ClusterServicePlan) { p.Spec.MaximumPollingDuration = &metav1.Duration{} }),
			field: "spec.maximumPollingDuration",
		},
		`spec.maximumPollingDuration: Invalid value: "-5s": must be greater than zero`: {
			obj: validPlan(func(p *sc.ClusterServicePlan) {
				p.Spec.MaximumPollingDuration = &metav1.Duration{Duration: -5 * time.Second}
			}),
			field: "spec.maximumPollingDuration",
		},
	}
	for msg, tc := range errorCases {
		t.Run(msg, func(t *testing.T) {
			expectErrors(t, ValidateClusterServicePlan(tc.obj), msg, tc.field, tc.alsoAt...)
			expectTwinErrors(t, ValidateServicePlan(planTwin(tc.obj)), msg, tc.field, tc.alsoAt...)
		})
	}
}

// TestValidateClusterServicePlanSchemas checks that each raw field of a plan holds a JSON
// object, and that a refused document is not repeated in the error.
func TestValidateClusterServicePlanSchemas(t *testing.T) {
	notObjects := map[string]string{
		"string":          `"a string"`,
		"array":           `[{"type":"object"}]`,
		"truncated":       `{"type":`,
		"two objects":     `{"a":1} {"b":2}`,
		"null":            "null",
		"number":          "42",
		"trailing comma":  `{"type":"object",}`,
		"single quotes":   `{'type':'object'}`,
		"object and junk": `{"type":"object"}x`,
	}
	for name, get := range planSchemas {
		path := "spec." + name
		for desc, doc := range notObjects {
			t.Run(name+"/"+desc, func(t *testing.T) {
				errs := ValidateClusterServicePlan(validPlan(func(p *sc.ClusterServicePlan) { *get(p) = raw(doc) }))
				expectErrors(t, errs, `Invalid value: "<value omitted>": must be a JSON object`, path)
				if len(errs) > 0 && strings.Contains(errs.ToAggregate().Error(), doc) {
					t.Errorf("error repeats the document: %v", errs)
				}
			})
		}
		t.Run(name+"/empty", func(t *testing.T) {
			errs := ValidateClusterServicePlan(validPlan(func(p *sc.ClusterServicePlan) { *get(p) = raw("") }))
			expectErrors(t, errs, "Required value: must be a JSON object; omit the field", path)
		})
		t.Run(name+"/absent", func(t *testing.T) {
			expectNoErrors(t, ValidateClusterServicePlan(validPlan(func(p *sc.ClusterServicePlan) { *get(p) = nil })))
		})
	}
}

func TestValidateClusterServicePlanUpdate(t *testing.T) {
	old := validPlan()

	successCases := map[string]*sc.ClusterServicePlan{
		"unchanged":            old.DeepCopy(),
		"externalName changed": validPlan(func(p *sc.ClusterServicePlan) { p.Spec.ExternalName = "tiny" }),
		"free, maintenance and schemas changed": validPlan(func(p *sc.ClusterServicePlan) {
			p.Spec.Free = false
			p.Spec.MaintenanceInfo = &sc.MaintenanceInfo{Version: "2.0.0"}
			p.Spec.InstanceCreateParameterSchema = raw(`{"type":"object"}`)
		}),
	}
	for name, plan := range successCases {
		t.Run(name, func(t *testing.T) {
			expectNoErrors(t, ValidateClusterServicePlanUpdate(plan, old))
			expectNoErrors(t, ValidateServicePlanUpdate(planTwin(plan), planTwin(old)))
		})
	}

	errorCases := map[string]errorCase[*sc.ClusterServicePlan]{
		`spec.externalID: Invalid value: "another-id": field is immutable`: {
			obj:   validPlan(func(p *sc.ClusterServicePlan) { p.Spec.ExternalID = "another-id" }),
			field: "spec.externalID",
		},
		`spec.clusterServiceBrokerName: Invalid value: "other-broker": field is immutable`: {
			obj:   validPlan(func(p *sc.ClusterServicePlan) { p.Spec.ClusterServiceBrokerName = "other-broker" }),
			field: "spec.clusterServiceBrokerName",
		},
		`spec.clusterServiceClassRef.name: Invalid value: "other-class": field is immutable`: {
			obj:   validPlan(func(p *sc.ClusterServicePlan) { p.Spec.ClusterServiceClassRef.Name = "other-class" }),
			field: "spec.clusterServiceClassRef.name",
		},
		`spec.maximumPollingDuration: Invalid value: "0s"`: {
			obj:   validPlan(func(p *sc.ClusterServicePlan) { p.Spec.MaximumPollingDuration = &metav1.Duration{} }),
			field: "spec.maximumPollingDuration",
		},
	}
	for msg, tc := range errorCases {
		t.Run(msg, func(t *testing.T) {
			expectErrors(t, ValidateClusterServicePlanUpdate(tc.obj, old), msg, tc.field, tc.alsoAt...)
			expectTwinErrors(t, ValidateServicePlanUpdate(planTwin(tc.obj), planTwin(old)), msg, tc.field, tc.alsoAt...)
		})
	}
	// The class reference is immutable as a whole.
	errs := ValidateClusterServicePlanUpdate(validPlan(func(p *sc.ClusterServicePlan) { p.Spec.ClusterServiceClassRef.Name = "other-class" }), old)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "field is immutable") {
		t.Errorf("changing the class reference: got %v, want one immutability error", errs)
	}
}

func TestValidateClusterServicePlanStatusUpdate(t *testing.T) {
	old := validPlan()
	removed := validPlan(func(p *sc.ClusterServicePlan) { p.Status.RemovedFromBrokerCatalog = true })
	expectNoErrors(t, ValidateClusterServicePlanStatusUpdate(removed, old))
	expectNoErrors(t, ValidateServicePlanStatusUpdate(planTwin(removed), planTwin(old)))

	moved := validPlan(func(p *sc.ClusterServicePlan) { p.Namespace = "default" })
	expectErrors(t, ValidateClusterServicePlanStatusUpdate(moved, old), "field is immutable", "metadata.namespace")
}
