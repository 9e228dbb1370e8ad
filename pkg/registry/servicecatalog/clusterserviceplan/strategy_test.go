package clusterserviceplan

import (
	"reflect"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/diff"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/install"
	"github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/internal/registrytest"
)

func newStrategies() (strategy, statusStrategy) {
	scheme := runtime.NewScheme()
	install.Install(scheme)
	return NewStrategy(scheme).(strategy), NewStatusStrategy(scheme).(statusStrategy)
}

func newPlan(tweaks ...func(*sc.ClusterServicePlan)) *sc.ClusterServicePlan {
	p := &sc.ClusterServicePlan{
		ObjectMeta: metav1.ObjectMeta{Name: "86064792-7ea2-467b-af93-ac9694d96d52"},
		Spec: sc.ClusterServicePlanSpec{
			CommonServicePlanSpec: sc.CommonServicePlanSpec{
				ExternalName:                  "small",
				ExternalID:                    "86064792-7ea2-467b-af93-ac9694d96d52",
				Description:                   "A small database",
				Free:                          true,
				MaximumPollingDuration:        &metav1.Duration{Duration: time.Hour},
				InstanceCreateParameterSchema: &runtime.RawExtension{Raw: []byte(`{"type":"object","properties":{"size":{"type":"string"}}}`)},
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

func storedPlan(tweaks ...func(*sc.ClusterServicePlan)) *sc.ClusterServicePlan {
	p := newPlan(func(p *sc.ClusterServicePlan) {
		p.ResourceVersion = "3"
		p.Generation = 2
		p.Labels = map[string]string{"class": "postgresql"}
		p.Status.LastCatalogRetrievalTime = &metav1.Time{Time: metav1.Unix(1767225600, 0).Time}
	})
	for _, tweak := range tweaks {
		tweak(p)
	}
	return p
}

func TestStrategyBasics(t *testing.T) {
	s, status := newStrategies()
	ctx := registrytest.Context("", nil)
	if s.NamespaceScoped() || status.NamespaceScoped() {
		t.Errorf("plans must be cluster-scoped")
	}
	if s.AllowCreateOnUpdate(ctx) {
		t.Errorf("AllowCreateOnUpdate = true, want false")
	}
	if !s.AllowUnconditionalUpdate(ctx) {
		t.Errorf("AllowUnconditionalUpdate = false, want true")
	}
}

func TestPrepareForCreate(t *testing.T) {
	s, _ := newStrategies()
	ctx := registrytest.Context("", registrytest.Alice)
	plan := newPlan(func(p *sc.ClusterServicePlan) {
		p.Generation = 4
		p.Status.RemovedFromBrokerCatalog = true
	})
	wantSpec := plan.Spec
	s.PrepareForCreate(ctx, plan)

	if !reflect.DeepEqual(plan.Status, sc.ClusterServicePlanStatus{}) {
		t.Errorf("status not cleared: %+v", plan.Status)
	}
	if plan.Generation != 1 {
		t.Errorf("generation = %d, want 1", plan.Generation)
	}
	if len(plan.Finalizers) != 0 {
		t.Errorf("finalizers = %v, want none", plan.Finalizers)
	}
	if !reflect.DeepEqual(plan.Spec, wantSpec) {
		t.Errorf("spec changed:\n%s", diff.Diff(wantSpec, plan.Spec))
	}
	if errs := s.Validate(ctx, plan); len(errs) != 0 {
		t.Errorf("a prepared plan does not validate: %v", errs)
	}
}

func TestPrepareForUpdate(t *testing.T) {
	s, _ := newStrategies()
	ctx := registrytest.Context("", registrytest.Alice)

	tests := []struct {
		name           string
		update         func(*sc.ClusterServicePlan)
		wantGeneration int64
		wantInvalid    string
	}{{
		name:           "no change",
		update:         func(*sc.ClusterServicePlan) {},
		wantGeneration: 2,
	}, {
		name:           "labels only",
		update:         func(p *sc.ClusterServicePlan) { p.Labels = map[string]string{"class": "pg"} },
		wantGeneration: 2,
	}, {
		name:           "status sent by the client is ignored",
		update:         func(p *sc.ClusterServicePlan) { p.Status = sc.ClusterServicePlanStatus{} },
		wantGeneration: 2,
	}, {
		name: "schema re-encoded by a patch",
		update: func(p *sc.ClusterServicePlan) {
			p.Spec.InstanceCreateParameterSchema = &runtime.RawExtension{Raw: []byte(`{"properties":{"size":{"type":"string"}},"type":"object"}`)}
		},
		wantGeneration: 2,
	}, {
		name: "schema changed",
		update: func(p *sc.ClusterServicePlan) {
			p.Spec.InstanceCreateParameterSchema = &runtime.RawExtension{Raw: []byte(`{"type":"object"}`)}
		},
		wantGeneration: 3,
	}, {
		name:           "maintenance info added",
		update:         func(p *sc.ClusterServicePlan) { p.Spec.MaintenanceInfo = &sc.MaintenanceInfo{Version: "1.0.0"} },
		wantGeneration: 3,
	}, {
		name:           "class reference changed",
		update:         func(p *sc.ClusterServicePlan) { p.Spec.ClusterServiceClassRef.Name = "other" },
		wantGeneration: 3,
		wantInvalid:    "spec.clusterServiceClassRef.name",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old := storedPlan()
			plan := storedPlan(tc.update)
			wantSpec := plan.Spec
			s.PrepareForUpdate(ctx, plan, old)

			if !reflect.DeepEqual(plan.Status, old.Status) {
				t.Errorf("status not kept:\n%s", diff.Diff(old.Status, plan.Status))
			}
			if plan.Generation != tc.wantGeneration {
				t.Errorf("generation = %d, want %d", plan.Generation, tc.wantGeneration)
			}
			if !reflect.DeepEqual(plan.Spec, wantSpec) {
				t.Errorf("spec changed:\n%s", diff.Diff(wantSpec, plan.Spec))
			}
			errs := s.ValidateUpdate(ctx, plan, old)
			switch {
			case tc.wantInvalid == "" && len(errs) != 0:
				t.Errorf("the prepared update does not validate: %v", errs)
			case tc.wantInvalid != "" && (len(errs) != 1 || errs[0].Field != tc.wantInvalid):
				t.Errorf("validation errors = %v, want one at %s", errs, tc.wantInvalid)
			}
		})
	}
}

func TestStatusStrategyPrepareForUpdate(t *testing.T) {
	_, s := newStrategies()
	ctx := registrytest.Context("", registrytest.Alice)
	old := storedPlan()
	plan := storedPlan(func(p *sc.ClusterServicePlan) {
		p.Generation = 8
		p.Labels = nil
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "Pod", Name: "p", UID: "u"}}
		p.Spec.Free = false
		p.Status.RemovedFromBrokerCatalog = true
	})
	wantStatus := plan.Status
	s.PrepareForUpdate(ctx, plan, old)

	if !reflect.DeepEqual(plan.Spec, old.Spec) {
		t.Errorf("spec not kept:\n%s", diff.Diff(old.Spec, plan.Spec))
	}
	if !reflect.DeepEqual(plan.ObjectMeta, old.ObjectMeta) {
		t.Errorf("metadata not kept:\n%s", diff.Diff(old.ObjectMeta, plan.ObjectMeta))
	}
	if !reflect.DeepEqual(plan.Status, wantStatus) {
		t.Errorf("status not taken from the request:\n%s", diff.Diff(wantStatus, plan.Status))
	}
	if errs := s.ValidateUpdate(ctx, plan, old); len(errs) != 0 {
		t.Errorf("the prepared status update does not validate: %v", errs)
	}
}

func TestGetAttrs(t *testing.T) {
	gotLabels, gotFields, err := GetAttrs(storedPlan())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotLabels, labels.Set{"class": "postgresql"}) {
		t.Errorf("labels = %v", gotLabels)
	}
	want := map[string]string{
		"metadata.name":                    "86064792-7ea2-467b-af93-ac9694d96d52",
		"spec.externalName":                "small",
		"spec.externalID":                  "86064792-7ea2-467b-af93-ac9694d96d52",
		"spec.clusterServiceBrokerName":    "test-broker",
		"spec.clusterServiceClassRef.name": "4f6e6cf6-ffdd-425f-a2c7-3c9258ad2468",
	}
	if !reflect.DeepEqual(map[string]string(gotFields), want) {
		t.Errorf("fields:\n%s", diff.Diff(want, map[string]string(gotFields)))
	}
	registrytest.CheckFieldLabels(t, "ClusterServicePlan", false, gotFields)

	if _, _, err := GetAttrs(&sc.ClusterServiceClass{}); err == nil {
		t.Errorf("GetAttrs of a class succeeded, want an error")
	}
}

func TestGetResetFields(t *testing.T) {
	s, status := newStrategies()
	registrytest.CheckResetFields(t, s.GetResetFields(), "status")
	registrytest.CheckResetFields(t, status.GetResetFields(),
		"spec", "metadata.labels", "metadata.annotations", "metadata.finalizers", "metadata.ownerReferences")
}
