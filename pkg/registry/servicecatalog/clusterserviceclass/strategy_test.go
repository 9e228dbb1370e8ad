package clusterserviceclass

import (
	"reflect"
	"testing"

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

func newClass(tweaks ...func(*sc.ClusterServiceClass)) *sc.ClusterServiceClass {
	c := &sc.ClusterServiceClass{
		ObjectMeta: metav1.ObjectMeta{Name: "4f6e6cf6-ffdd-425f-a2c7-3c9258ad2468"},
		Spec: sc.ClusterServiceClassSpec{
			CommonServiceClassSpec: sc.CommonServiceClassSpec{
				ExternalName:     "postgresql",
				ExternalID:       "4f6e6cf6-ffdd-425f-a2c7-3c9258ad2468",
				Description:      "PostgreSQL databases",
				Bindable:         true,
				ExternalMetadata: &runtime.RawExtension{Raw: []byte(`{"displayName":"PostgreSQL","imageUrl":"https://example.com/pg.png"}`)},
			},
			ClusterServiceBrokerName: "test-broker",
		},
	}
	for _, tweak := range tweaks {
		tweak(c)
	}
	return c
}

func storedClass(tweaks ...func(*sc.ClusterServiceClass)) *sc.ClusterServiceClass {
	c := newClass(func(c *sc.ClusterServiceClass) {
		c.ResourceVersion = "3"
		c.Generation = 2
		c.Labels = map[string]string{"broker": "test-broker"}
		c.Status.LastCatalogRetrievalTime = &metav1.Time{Time: metav1.Unix(1767225600, 0).Time}
	})
	for _, tweak := range tweaks {
		tweak(c)
	}
	return c
}

func TestStrategyBasics(t *testing.T) {
	s, status := newStrategies()
	ctx := registrytest.Context("", nil)
	if s.NamespaceScoped() || status.NamespaceScoped() {
		t.Errorf("classes must be cluster-scoped")
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
	class := newClass(func(c *sc.ClusterServiceClass) {
		c.Generation = 4
		c.Status.RemovedFromBrokerCatalog = true
	})
	wantSpec := class.Spec
	s.PrepareForCreate(ctx, class)

	if !reflect.DeepEqual(class.Status, sc.ClusterServiceClassStatus{}) {
		t.Errorf("status not cleared: %+v", class.Status)
	}
	if class.Generation != 1 {
		t.Errorf("generation = %d, want 1", class.Generation)
	}
	// Classes are the controller's; nothing at the broker waits on their deletion.
	if len(class.Finalizers) != 0 {
		t.Errorf("finalizers = %v, want none", class.Finalizers)
	}
	if !reflect.DeepEqual(class.Spec, wantSpec) {
		t.Errorf("spec changed:\n%s", diff.Diff(wantSpec, class.Spec))
	}
	if errs := s.Validate(ctx, class); len(errs) != 0 {
		t.Errorf("a prepared class does not validate: %v", errs)
	}
}

func TestPrepareForUpdate(t *testing.T) {
	s, _ := newStrategies()
	ctx := registrytest.Context("", registrytest.Alice)

	tests := []struct {
		name           string
		update         func(*sc.ClusterServiceClass)
		wantGeneration int64
		wantInvalid    string
	}{{
		name:           "no change",
		update:         func(*sc.ClusterServiceClass) {},
		wantGeneration: 2,
	}, {
		name:           "labels only",
		update:         func(c *sc.ClusterServiceClass) { c.Labels = nil },
		wantGeneration: 2,
	}, {
		name:           "status sent by the client is ignored",
		update:         func(c *sc.ClusterServiceClass) { c.Status.RemovedFromBrokerCatalog = true },
		wantGeneration: 2,
	}, {
		name: "metadata re-encoded by a patch",
		update: func(c *sc.ClusterServiceClass) {
			c.Spec.ExternalMetadata = &runtime.RawExtension{Raw: []byte(`{"imageUrl":"https://example.com/pg.png","displayName":"PostgreSQL"}`)}
		},
		wantGeneration: 2,
	}, {
		name:           "description changed",
		update:         func(c *sc.ClusterServiceClass) { c.Spec.Description = "PostgreSQL 17" },
		wantGeneration: 3,
	}, {
		name: "metadata changed",
		update: func(c *sc.ClusterServiceClass) {
			c.Spec.ExternalMetadata = &runtime.RawExtension{Raw: []byte(`{"displayName":"Postgres"}`)}
		},
		wantGeneration: 3,
	}, {
		name:           "externalID changed",
		update:         func(c *sc.ClusterServiceClass) { c.Spec.ExternalID = "other" },
		wantGeneration: 3,
		wantInvalid:    "spec.externalID",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old := storedClass()
			class := storedClass(tc.update)
			wantSpec := class.Spec
			s.PrepareForUpdate(ctx, class, old)

			if !reflect.DeepEqual(class.Status, old.Status) {
				t.Errorf("status not kept:\n%s", diff.Diff(old.Status, class.Status))
			}
			if class.Generation != tc.wantGeneration {
				t.Errorf("generation = %d, want %d", class.Generation, tc.wantGeneration)
			}
			if !reflect.DeepEqual(class.Spec, wantSpec) {
				t.Errorf("spec changed:\n%s", diff.Diff(wantSpec, class.Spec))
			}
			errs := s.ValidateUpdate(ctx, class, old)
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
	old := storedClass()
	class := storedClass(func(c *sc.ClusterServiceClass) {
		c.Generation = 8
		c.Labels = map[string]string{"broker": "other"}
		c.Annotations = map[string]string{"a": "b"}
		c.Finalizers = []string{"example.com/f"}
		c.Spec.ExternalName = "renamed"
		c.Status.RemovedFromBrokerCatalog = true
	})
	wantStatus := class.Status
	s.PrepareForUpdate(ctx, class, old)

	if !reflect.DeepEqual(class.Spec, old.Spec) {
		t.Errorf("spec not kept:\n%s", diff.Diff(old.Spec, class.Spec))
	}
	if !reflect.DeepEqual(class.ObjectMeta, old.ObjectMeta) {
		t.Errorf("metadata not kept:\n%s", diff.Diff(old.ObjectMeta, class.ObjectMeta))
	}
	if !reflect.DeepEqual(class.Status, wantStatus) {
		t.Errorf("status not taken from the request:\n%s", diff.Diff(wantStatus, class.Status))
	}
	if errs := s.ValidateUpdate(ctx, class, old); len(errs) != 0 {
		t.Errorf("the prepared status update does not validate: %v", errs)
	}
}

func TestGetAttrs(t *testing.T) {
	gotLabels, gotFields, err := GetAttrs(storedClass())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotLabels, labels.Set{"broker": "test-broker"}) {
		t.Errorf("labels = %v", gotLabels)
	}
	want := map[string]string{
		"metadata.name":                 "4f6e6cf6-ffdd-425f-a2c7-3c9258ad2468",
		"spec.externalName":             "postgresql",
		"spec.externalID":               "4f6e6cf6-ffdd-425f-a2c7-3c9258ad2468",
		"spec.clusterServiceBrokerName": "test-broker",
	}
	if !reflect.DeepEqual(map[string]string(gotFields), want) {
		t.Errorf("fields:\n%s", diff.Diff(want, map[string]string(gotFields)))
	}
	registrytest.CheckFieldLabels(t, "ClusterServiceClass", false, gotFields)

	if _, _, err := GetAttrs(&sc.ClusterServicePlan{}); err == nil {
		t.Errorf("GetAttrs of a plan succeeded, want an error")
	}
}

func TestGetResetFields(t *testing.T) {
	s, status := newStrategies()
	registrytest.CheckResetFields(t, s.GetResetFields(), "status")
	registrytest.CheckResetFields(t, status.GetResetFields(),
		"spec", "metadata.labels", "metadata.annotations", "metadata.finalizers", "metadata.ownerReferences")
}
