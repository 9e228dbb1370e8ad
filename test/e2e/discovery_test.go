package e2e

import (
	"slices"
	"strings"
	"testing"
)

// TestAPIResources: through the aggregator, kubectl discovers
// the eight kinds with their short names, scope and category, and kubectl
// explain prints the field documentation of our OpenAPI.
func TestAPIResources(t *testing.T) {
	requireStack(t)

	type resource struct{ name, short, namespaced string }
	want := map[string]resource{
		"ClusterServiceBroker": {"clusterservicebrokers", "csb", "false"},
		"ClusterServiceClass":  {"clusterserviceclasses", "csc", "false"},
		"ClusterServicePlan":   {"clusterserviceplans", "csp", "false"},
		"ServiceBroker":        {"servicebrokers", "nsb", "true"},
		"ServiceClass":         {"serviceclasses", "nsc", "true"},
		"ServicePlan":          {"serviceplans", "nsp", "true"},
		"ServiceInstance":      {"serviceinstances", "si", "true"},
		"ServiceBinding":       {"servicebindings", "sb", "true"},
	}
	out := kubectl(t, admin, "api-resources", "--api-group=servicecatalog.k8s.io", "--no-headers")
	got := map[string]resource{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		// NAME SHORTNAMES APIVERSION NAMESPACED KIND
		f := strings.Fields(line)
		if len(f) != 5 {
			t.Errorf("unexpected api-resources line %q", line)
			continue
		}
		if f[2] != "servicecatalog.k8s.io/v1beta1" {
			t.Errorf("%s: API version %s", f[0], f[2])
		}
		got[f[4]] = resource{f[0], f[1], f[3]}
	}
	for kind, w := range want {
		if got[kind] != w {
			t.Errorf("%s: got %+v, want %+v", kind, got[kind], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("api-resources lists %d kinds, want %d:\n%s", len(got), len(want), out)
	}

	// The servicecatalog category names all eight.
	names := strings.Fields(kubectl(t, admin, "api-resources", "--categories=servicecatalog", "-o", "name"))
	slices.Sort(names)
	wantNames := []string{"clusterservicebrokers.servicecatalog.k8s.io", "clusterserviceclasses.servicecatalog.k8s.io",
		"clusterserviceplans.servicecatalog.k8s.io", "servicebindings.servicecatalog.k8s.io", "servicebrokers.servicecatalog.k8s.io",
		"serviceclasses.servicecatalog.k8s.io", "serviceinstances.servicecatalog.k8s.io", "serviceplans.servicecatalog.k8s.io"}
	if !slices.Equal(names, wantNames) {
		t.Errorf("category servicecatalog: %v, want %v", names, wantNames)
	}

	for _, c := range []struct{ field, text string }{
		// The doc comments of pkg/apis/servicecatalog/v1beta1, as the
		// generated OpenAPI carries them.
		{"serviceinstance.spec.parametersFrom", "parametersFrom are sources of parameters read from Secrets in the instance's namespace."},
		{"si.spec.clusterServiceClassExternalName", `clusterServiceClassExternalName is the offering's name in the broker's catalog, for example "postgresql".`},
		{"clusterservicebroker.spec.url", "GROUP: servicecatalog.k8s.io KIND: ClusterServiceBroker VERSION: v1beta1"},
		{"nsb.spec.authInfo", "GROUP: servicecatalog.k8s.io KIND: ServiceBroker VERSION: v1beta1"},
		{"si.spec.serviceClassExternalName", "KIND: ServiceInstance"},
	} {
		// alice may explain too: discovery and OpenAPI are public to
		// authenticated users. kube-apiserver fetches an aggregated server's
		// OpenAPI v3 when it is first asked for it, so the first explain after
		// the APIService became available may not find the kind yet.
		eventually(t, pollTimeout, "kubectl explain "+c.field, func() (bool, string) {
			out, errOut, err := runKubectl(t, alice, "", "explain", c.field)
			flat := strings.Join(strings.Fields(out), " ")
			return err == nil && strings.Contains(flat, c.text), out + errOut
		})
	}
}
