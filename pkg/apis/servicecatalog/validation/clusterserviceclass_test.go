package validation

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
)

func validClass(tweaks ...func(*sc.ClusterServiceClass)) *sc.ClusterServiceClass {
	c := &sc.ClusterServiceClass{
		ObjectMeta: metav1.ObjectMeta{Name: "4f6e6cf6-ffdd-425f-a2c7-3c9258ad2468", ResourceVersion: "1"},
		Spec: sc.ClusterServiceClassSpec{
			CommonServiceClassSpec: sc.CommonServiceClassSpec{
				ExternalName: "postgresql",
				ExternalID:   "4f6e6cf6-ffdd-425f-a2c7-3c9258ad2468",
				Description:  "PostgreSQL databases",
				Bindable:     true,
			},
			ClusterServiceBrokerName: "test-broker",
		},
	}
	for _, tweak := range tweaks {
		tweak(c)
	}
	return c
}

func TestValidateClusterServiceClass(t *testing.T) {
	successCases := []*sc.ClusterServiceClass{
		validClass(),
		// OSB names and ids may hold any character.
		validClass(func(c *sc.ClusterServiceClass) { c.Spec.ExternalName = "My Service (beta)/v2" }),
		validClass(func(c *sc.ClusterServiceClass) { c.Spec.ExternalID = "id with spaces & symbols" }),
		validClass(func(c *sc.ClusterServiceClass) { c.Spec.ExternalName = strings.Repeat("n", 255) }),
		validClass(func(c *sc.ClusterServiceClass) { c.Spec.ExternalID = strings.Repeat("i", 255) }),
		validClass(func(c *sc.ClusterServiceClass) { c.Spec.ExternalMetadata = raw(`{"displayName":"PostgreSQL"}`) }),
		validClass(func(c *sc.ClusterServiceClass) { c.Spec.ExternalMetadata = raw("  {\n}\n") }),
		validClass(func(c *sc.ClusterServiceClass) {
			c.Spec.Tags = []string{"sql"}
			c.Spec.Requires = []string{"route_forwarding"}
		}),
	}
	for i, class := range successCases {
		if errs := ValidateClusterServiceClass(class); len(errs) != 0 {
			t.Errorf("success case %d: unexpected errors: %v", i, errs)
		}
		if errs := ValidateServiceClass(classTwin(class)); len(errs) != 0 {
			t.Errorf("success case %d, namespaced: unexpected errors: %v", i, errs)
		}
	}

	errorCases := map[string]errorCase[*sc.ClusterServiceClass]{
		"metadata.name: Required value": {
			obj:   validClass(func(c *sc.ClusterServiceClass) { c.Name = "" }),
			field: "metadata.name",
		},
		"spec.externalName: Required value": {
			obj:   validClass(func(c *sc.ClusterServiceClass) { c.Spec.ExternalName = "" }),
			field: "spec.externalName",
		},
		"spec.externalName: Too long": {
			obj:   validClass(func(c *sc.ClusterServiceClass) { c.Spec.ExternalName = strings.Repeat("n", 256) }),
			field: "spec.externalName",
		},
		"spec.externalID: Required value": {
			obj:   validClass(func(c *sc.ClusterServiceClass) { c.Spec.ExternalID = "" }),
			field: "spec.externalID",
		},
		"spec.externalID: Too long": {
			obj:   validClass(func(c *sc.ClusterServiceClass) { c.Spec.ExternalID = strings.Repeat("i", 256) }),
			field: "spec.externalID",
		},
		"spec.clusterServiceBrokerName: Required value": {
			obj:   validClass(func(c *sc.ClusterServiceClass) { c.Spec.ClusterServiceBrokerName = "" }),
			field: "spec.clusterServiceBrokerName",
		},
		`spec.clusterServiceBrokerName: Invalid value: "Test_Broker"`: {
			obj:   validClass(func(c *sc.ClusterServiceClass) { c.Spec.ClusterServiceBrokerName = "Test_Broker" }),
			field: "spec.clusterServiceBrokerName",
		},
		`spec.externalMetadata: Invalid value: "<value omitted>": must be a JSON object`: {
			obj:   validClass(func(c *sc.ClusterServiceClass) { c.Spec.ExternalMetadata = raw(`["a","b"]`) }),
			field: "spec.externalMetadata",
		},
		"spec.externalMetadata: Required value: must be a JSON object; omit the field instead of leaving it empty": {
			obj:   validClass(func(c *sc.ClusterServiceClass) { c.Spec.ExternalMetadata = raw("   ") }),
			field: "spec.externalMetadata",
		},
	}
	for msg, tc := range errorCases {
		t.Run(msg, func(t *testing.T) {
			expectErrors(t, ValidateClusterServiceClass(tc.obj), msg, tc.field, tc.alsoAt...)
			expectTwinErrors(t, ValidateServiceClass(classTwin(tc.obj)), msg, tc.field, tc.alsoAt...)
		})
	}
}

func TestValidateClusterServiceClassUpdate(t *testing.T) {
	old := validClass()

	successCases := map[string]*sc.ClusterServiceClass{
		"unchanged": old.DeepCopy(),
		// A broker may rename an offering; only its id identifies it.
		"externalName changed": validClass(func(c *sc.ClusterServiceClass) { c.Spec.ExternalName = "postgres" }),
		"description, flags and metadata changed": validClass(func(c *sc.ClusterServiceClass) {
			c.Spec.Description = "PostgreSQL 17"
			c.Spec.Bindable = false
			c.Spec.PlanUpdatable = true
			c.Spec.ExternalMetadata = raw(`{"imageUrl":"https://example.com/pg.png"}`)
		}),
	}
	for name, class := range successCases {
		t.Run(name, func(t *testing.T) {
			expectNoErrors(t, ValidateClusterServiceClassUpdate(class, old))
			expectNoErrors(t, ValidateServiceClassUpdate(classTwin(class), classTwin(old)))
		})
	}

	errorCases := map[string]errorCase[*sc.ClusterServiceClass]{
		`spec.externalID: Invalid value: "another-id": field is immutable`: {
			obj:   validClass(func(c *sc.ClusterServiceClass) { c.Spec.ExternalID = "another-id" }),
			field: "spec.externalID",
		},
		`spec.clusterServiceBrokerName: Invalid value: "other-broker": field is immutable`: {
			obj:   validClass(func(c *sc.ClusterServiceClass) { c.Spec.ClusterServiceBrokerName = "other-broker" }),
			field: "spec.clusterServiceBrokerName",
		},
		"spec.externalName: Required value": {
			obj:   validClass(func(c *sc.ClusterServiceClass) { c.Spec.ExternalName = "" }),
			field: "spec.externalName",
		},
	}
	for msg, tc := range errorCases {
		t.Run(msg, func(t *testing.T) {
			expectErrors(t, ValidateClusterServiceClassUpdate(tc.obj, old), msg, tc.field, tc.alsoAt...)
			expectTwinErrors(t, ValidateServiceClassUpdate(classTwin(tc.obj), classTwin(old)), msg, tc.field, tc.alsoAt...)
		})
	}
}

func TestValidateClusterServiceClassStatusUpdate(t *testing.T) {
	old := validClass()
	removed := validClass(func(c *sc.ClusterServiceClass) { c.Status.RemovedFromBrokerCatalog = true })
	expectNoErrors(t, ValidateClusterServiceClassStatusUpdate(removed, old))
	expectNoErrors(t, ValidateServiceClassStatusUpdate(classTwin(removed), classTwin(old)))

	renamed := validClass(func(c *sc.ClusterServiceClass) { c.Name = "renamed" })
	expectErrors(t, ValidateClusterServiceClassStatusUpdate(renamed, old), "field is immutable", "metadata.name")
}
