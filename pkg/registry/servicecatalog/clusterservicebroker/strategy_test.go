package clusterservicebroker

import (
	"reflect"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/diff"
	"k8s.io/apiserver/pkg/registry/rest"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/install"
	"github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/internal/registrytest"
)

func newStrategies() (strategy, statusStrategy) {
	scheme := runtime.NewScheme()
	install.Install(scheme)
	return NewStrategy(scheme).(strategy), NewStatusStrategy(scheme).(statusStrategy)
}

func newBroker(tweaks ...func(*sc.ClusterServiceBroker)) *sc.ClusterServiceBroker {
	b := &sc.ClusterServiceBroker{
		ObjectMeta: metav1.ObjectMeta{Name: "test-broker"},
		Spec: sc.ClusterServiceBrokerSpec{
			CommonServiceBrokerSpec: sc.CommonServiceBrokerSpec{
				URL:            "https://broker.example.com",
				RelistBehavior: sc.ServiceBrokerRelistBehaviorDuration,
				RelistDuration: &metav1.Duration{Duration: 15 * time.Minute},
			},
		},
	}
	for _, tweak := range tweaks {
		tweak(b)
	}
	return b
}

func storedBroker(tweaks ...func(*sc.ClusterServiceBroker)) *sc.ClusterServiceBroker {
	b := newBroker(func(b *sc.ClusterServiceBroker) {
		b.ResourceVersion = "7"
		b.Generation = 2
		b.Finalizers = []string{sc.FinalizerServiceCatalog}
		b.Labels = map[string]string{"tier": "gold"}
		b.Spec.RelistRequests = 4
		b.Status.Conditions = []metav1.Condition{{
			Type: sc.ConditionReady, Status: metav1.ConditionTrue, Reason: "Fetched",
			LastTransitionTime: metav1.Unix(1767225600, 0), ObservedGeneration: 2,
		}}
		b.Status.ObservedGeneration = 2
		b.Status.ObservedRelistRequests = 4
		b.Status.ServiceClassCount = 3
		b.Status.ServicePlanCount = 9
	})
	for _, tweak := range tweaks {
		tweak(b)
	}
	return b
}

func TestStrategyBasics(t *testing.T) {
	s, status := newStrategies()
	ctx := registrytest.Context("", registrytest.Alice)
	if s.NamespaceScoped() || status.NamespaceScoped() {
		t.Errorf("brokers must be cluster-scoped")
	}
	if s.AllowCreateOnUpdate(ctx) {
		t.Errorf("AllowCreateOnUpdate = true, want false")
	}
	if !s.AllowUnconditionalUpdate(ctx) {
		t.Errorf("AllowUnconditionalUpdate = false, want true")
	}
	// Brokers record no user, so deleting one has nothing to stamp.
	if _, ok := NewStrategy(runtime.NewScheme()).(rest.RESTGracefulDeleteStrategy); ok {
		t.Errorf("the broker strategy implements CheckGracefulDelete; brokers have no userInfo to stamp")
	}
}

func TestPrepareForCreate(t *testing.T) {
	s, _ := newStrategies()
	ctx := registrytest.Context("", registrytest.Alice)
	broker := newBroker(func(b *sc.ClusterServiceBroker) {
		b.Generation = 9
		b.Finalizers = []string{"example.com/keep"}
		b.Status = storedBroker().Status
	})
	wantSpec := broker.Spec
	s.PrepareForCreate(ctx, broker)

	if !reflect.DeepEqual(broker.Status, sc.ClusterServiceBrokerStatus{}) {
		t.Errorf("status not cleared: %+v", broker.Status)
	}
	if broker.Generation != 1 {
		t.Errorf("generation = %d, want 1", broker.Generation)
	}
	if want := []string{"example.com/keep", sc.FinalizerServiceCatalog}; !reflect.DeepEqual(broker.Finalizers, want) {
		t.Errorf("finalizers = %v, want %v", broker.Finalizers, want)
	}
	if !reflect.DeepEqual(broker.Spec, wantSpec) {
		t.Errorf("spec changed:\n%s", diff.Diff(wantSpec, broker.Spec))
	}
	if errs := s.Validate(ctx, broker); len(errs) != 0 {
		t.Errorf("a prepared broker does not validate: %v", errs)
	}
	if w := s.WarningsOnCreate(ctx, broker); len(w) != 0 {
		t.Errorf("warnings: %q", w)
	}
}

func TestPrepareForUpdate(t *testing.T) {
	s, _ := newStrategies()
	ctx := registrytest.Context("", registrytest.Alice)

	tests := []struct {
		name           string
		update         func(*sc.ClusterServiceBroker)
		wantGeneration int64
		wantSpec       func(*sc.CommonServiceBrokerSpec)
	}{{
		name:           "no change",
		update:         func(*sc.ClusterServiceBroker) {},
		wantGeneration: 2,
	}, {
		name:           "labels only",
		update:         func(b *sc.ClusterServiceBroker) { b.Labels = map[string]string{"tier": "silver"} },
		wantGeneration: 2,
	}, {
		name:           "status sent by the client is ignored",
		update:         func(b *sc.ClusterServiceBroker) { b.Status = sc.ClusterServiceBrokerStatus{} },
		wantGeneration: 2,
	}, {
		name:           "the original manifest, without relistRequests",
		update:         func(b *sc.ClusterServiceBroker) { b.Spec.RelistRequests = 0 },
		wantGeneration: 2,
	}, {
		name:           "relist requested",
		update:         func(b *sc.ClusterServiceBroker) { b.Spec.RelistRequests = 5 },
		wantGeneration: 3,
		wantSpec:       func(s *sc.CommonServiceBrokerSpec) { s.RelistRequests = 5 },
	}, {
		name:           "url changed",
		update:         func(b *sc.ClusterServiceBroker) { b.Spec.URL = "https://other.example.com" },
		wantGeneration: 3,
		wantSpec:       func(s *sc.CommonServiceBrokerSpec) { s.URL = "https://other.example.com" },
	}, {
		name:           "an empty caBundle is no caBundle",
		update:         func(b *sc.ClusterServiceBroker) { b.Spec.CABundle = []byte{} },
		wantGeneration: 2,
		wantSpec:       func(s *sc.CommonServiceBrokerSpec) { s.CABundle = []byte{} },
	}, {
		name: "relisting changed to manual",
		update: func(b *sc.ClusterServiceBroker) {
			b.Spec.RelistBehavior, b.Spec.RelistDuration = sc.ServiceBrokerRelistBehaviorManual, nil
		},
		wantGeneration: 3,
		wantSpec: func(s *sc.CommonServiceBrokerSpec) {
			s.RelistBehavior, s.RelistDuration = sc.ServiceBrokerRelistBehaviorManual, nil
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old := storedBroker()
			broker := storedBroker(tc.update)
			wantMeta := broker.ObjectMeta
			s.PrepareForUpdate(ctx, broker, old)

			if !reflect.DeepEqual(broker.Status, old.Status) {
				t.Errorf("status not kept:\n%s", diff.Diff(old.Status, broker.Status))
			}
			if broker.Generation != tc.wantGeneration {
				t.Errorf("generation = %d, want %d", broker.Generation, tc.wantGeneration)
			}
			wantMeta.Generation = tc.wantGeneration
			if !reflect.DeepEqual(broker.ObjectMeta, wantMeta) {
				t.Errorf("metadata changed beyond the generation:\n%s", diff.Diff(wantMeta, broker.ObjectMeta))
			}
			wantSpec := old.Spec
			if tc.wantSpec != nil {
				tc.wantSpec(&wantSpec.CommonServiceBrokerSpec)
			}
			if !reflect.DeepEqual(broker.Spec, wantSpec) {
				t.Errorf("spec:\n%s", diff.Diff(wantSpec, broker.Spec))
			}
			if errs := s.ValidateUpdate(ctx, broker, old); len(errs) != 0 {
				t.Errorf("the prepared update does not validate: %v", errs)
			}
		})
	}

	t.Run("relistRequests decreased", func(t *testing.T) {
		old := storedBroker()
		broker := storedBroker(func(b *sc.ClusterServiceBroker) { b.Spec.RelistRequests = 3 })
		s.PrepareForUpdate(ctx, broker, old)
		if errs := s.ValidateUpdate(ctx, broker, old); len(errs) != 1 || errs[0].Field != "spec.relistRequests" {
			t.Errorf("errors = %v, want one about spec.relistRequests", errs)
		}
	})
}

func TestStatusStrategyPrepareForUpdate(t *testing.T) {
	_, s := newStrategies()
	ctx := registrytest.Context("", registrytest.Alice)
	old := storedBroker(func(b *sc.ClusterServiceBroker) { b.Annotations = map[string]string{"note": "kept"} })
	broker := storedBroker(func(b *sc.ClusterServiceBroker) {
		b.Generation = 10
		b.Labels = map[string]string{"tier": "changed"}
		b.Annotations = nil
		b.Finalizers = nil
		b.Spec.URL = "https://evil.example.com"
		b.Status.ServiceClassCount = 4
		b.Status.LastCatalogRetrievalTime = &metav1.Time{Time: time.Unix(1767229200, 0)}
	})
	wantStatus := broker.Status
	s.PrepareForUpdate(ctx, broker, old)

	if !reflect.DeepEqual(broker.Spec, old.Spec) {
		t.Errorf("spec not kept:\n%s", diff.Diff(old.Spec, broker.Spec))
	}
	if !reflect.DeepEqual(broker.ObjectMeta, old.ObjectMeta) {
		t.Errorf("metadata not kept:\n%s", diff.Diff(old.ObjectMeta, broker.ObjectMeta))
	}
	if !reflect.DeepEqual(broker.Status, wantStatus) {
		t.Errorf("status not taken from the request:\n%s", diff.Diff(wantStatus, broker.Status))
	}
	if errs := s.ValidateUpdate(ctx, broker, old); len(errs) != 0 {
		t.Errorf("the prepared status update does not validate: %v", errs)
	}

	bad := storedBroker(func(b *sc.ClusterServiceBroker) { b.Status.Conditions[0].Status = "Maybe" })
	s.PrepareForUpdate(ctx, bad, old)
	if errs := s.ValidateUpdate(ctx, bad, old); len(errs) != 1 || errs[0].Field != "status.conditions[0].status" {
		t.Errorf("errors = %v, want one about status.conditions[0].status", errs)
	}
}

func TestGetAttrs(t *testing.T) {
	gotLabels, gotFields, err := GetAttrs(storedBroker())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotLabels, labels.Set{"tier": "gold"}) {
		t.Errorf("labels = %v", gotLabels)
	}
	if want := map[string]string{"metadata.name": "test-broker"}; !reflect.DeepEqual(map[string]string(gotFields), want) {
		t.Errorf("fields = %v, want %v", gotFields, want)
	}
	registrytest.CheckFieldLabels(t, "ClusterServiceBroker", false, gotFields)

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
