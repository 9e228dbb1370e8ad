package brokercatalog

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/scopetest"
	"github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/internal/registrytest"
)

// TestBrokerRelistRequests checks that a broker of either scope keeps its relistRequests
// when an update leaves it out (a client replacing the broker from its original
// manifest), and that validation refuses a decrease.
func TestBrokerRelistRequests(t *testing.T) {
	ctx := registrytest.Context("", registrytest.Alice)
	for _, k := range kindTests[:2] {
		for _, tc := range []struct {
			name           string
			relistRequests int64
			wantRequests   int64
			wantGeneration int64
			wantInvalid    string
		}{
			{"left out", 0, 4, 2, ""},
			{"requested", 5, 5, 3, ""},
			{"decreased", 3, 3, 3, "spec.relistRequests"},
		} {
			t.Run(k.name+"/"+tc.name, func(t *testing.T) {
				old, obj := k.stored(), k.stored()
				spec := relistRequestsOf(obj)
				*spec = tc.relistRequests
				k.strategy.PrepareForUpdate(ctx, obj, old)
				if *spec != tc.wantRequests || accessor(t, obj).GetGeneration() != tc.wantGeneration {
					t.Errorf("relistRequests %d, generation %d; want %d and %d", *spec, accessor(t, obj).GetGeneration(), tc.wantRequests, tc.wantGeneration)
				}
				errs := k.strategy.ValidateUpdate(ctx, obj, old)
				if (tc.wantInvalid == "") != (len(errs) == 0) || (len(errs) > 0 && errs[0].Field != tc.wantInvalid) {
					t.Errorf("validation errors %v, want %q", errs, tc.wantInvalid)
				}
			})
		}
	}
}

// relistRequestsOf returns the relistRequests of a broker of either scope.
func relistRequestsOf(obj runtime.Object) *int64 {
	if b, ok := obj.(*sc.ServiceBroker); ok {
		return &b.Spec.RelistRequests
	}
	return &obj.(*sc.ClusterServiceBroker).Spec.RelistRequests
}

// TestUpdateComparesRawJSONByValue checks that a class whose metadata a patch re-encoded
// keeps its generation, and that a change of it bumps the generation.
func TestUpdateComparesRawJSONByValue(t *testing.T) {
	ctx := registrytest.Context("", registrytest.Alice)
	s := ClusterServiceClasses.Strategy(scheme)
	for raw, want := range map[string]int64{
		`{"imageUrl":"https://example.com/pg.png","displayName":"PostgreSQL"}`: 2,
		`{"displayName":"Postgres"}`: 3,
	} {
		old, class := storedClass(), storedClass()
		class.Spec.ExternalMetadata = &runtime.RawExtension{Raw: []byte(raw)}
		s.PrepareForUpdate(ctx, class, old)
		if class.Generation != want {
			t.Errorf("metadata %s: generation %d, want %d", raw, class.Generation, want)
		}
	}
}

// TestImmutableReferences checks that the strategies refuse, through validation, a plan
// moved to another class and a class given another id, in either scope.
func TestImmutableReferences(t *testing.T) {
	ctx := registrytest.Context(scopetest.Namespace, registrytest.Alice)
	moved := storedPlan()
	moved.Spec.ClusterServiceClassRef.Name = "other"
	renamed := storedClass()
	renamed.Spec.ExternalID = "other"
	for _, tc := range []struct {
		name string
		errs field.ErrorList
		want string
	}{
		{"ClusterServicePlan", ClusterServicePlans.Strategy(scheme).ValidateUpdate(ctx, moved, storedPlan()), "spec.clusterServiceClassRef.name"},
		{"ServicePlan", ServicePlans.Strategy(scheme).ValidateUpdate(ctx, scopetest.Plan(moved), scopetest.Plan(storedPlan())), "spec.serviceClassRef.name"},
		{"ClusterServiceClass", ClusterServiceClasses.Strategy(scheme).ValidateUpdate(ctx, renamed, storedClass()), "spec.externalID"},
		{"ServiceClass", ServiceClasses.Strategy(scheme).ValidateUpdate(ctx, scopetest.Class(renamed), scopetest.Class(storedClass())), "spec.externalID"},
	} {
		if len(tc.errs) != 1 || tc.errs[0].Field != tc.want {
			t.Errorf("%s: errors %v, want one at %s", tc.name, tc.errs, tc.want)
		}
	}
}
