package controller

import (
	"slices"
	"testing"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

func TestProvisionSyncAndAsync(t *testing.T) {
	e := newEnv(t, envOptions{catalog: defaultCatalog})

	for _, tc := range []struct {
		name, plan string
		want       []string
	}{
		{"sync", "small", []string{"PUT provision 201"}},
		{"async", "large", []string{"PUT provision 202", "GET poll 200", "GET poll 200", "GET poll 200"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			created := e.createInstance(e.instance("db-"+tc.name, "db-{id}", tc.plan, `{"size":"10Gi"}`))
			ready := e.waitInstanceReady(created.Name)
			if ready.Status.ObservedGeneration != ready.Generation {
				t.Errorf("observedGeneration %d, generation %d", ready.Status.ObservedGeneration, ready.Generation)
			}
			if ready.Status.ProvisionStatus != v1beta1.ServiceInstanceProvisionStatusProvisioned ||
				ready.Status.CurrentOperation != "" || ready.Status.AsyncOpInProgress {
				t.Errorf("status after provisioning: %+v", ready.Status)
			}
			ext := ready.Status.ExternalProperties
			if ext == nil || ext.ClusterServicePlanExternalName != tc.plan || ext.ParameterChecksum == "" || string(ext.Parameters.Raw) != `{"size":"10Gi"}` {
				t.Errorf("externalProperties: %+v", ext)
			}
			if got := e.requests(created.Spec.ExternalID); !slices.Equal(got, tc.want) {
				t.Errorf("broker saw %v, want %v", got, tc.want)
			}
		})
	}
}
