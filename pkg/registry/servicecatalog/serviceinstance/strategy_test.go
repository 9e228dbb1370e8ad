package serviceinstance

import (
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/diff"
	"k8s.io/apiserver/pkg/registry/rest"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/install"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/scopetest"
	"github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/internal/registrytest"
)

const stored = "c5a3c0bd-1d13-4b35-9a39-5c1c4a0c9e52"

func newStrategies() (strategy, statusStrategy) {
	scheme := runtime.NewScheme()
	install.Install(scheme)
	return NewStrategy(scheme).(strategy), NewStatusStrategy(scheme).(statusStrategy)
}

// newInstance returns an instance as a client would send it.
func newInstance(tweaks ...func(*sc.ServiceInstance)) *sc.ServiceInstance {
	i := &sc.ServiceInstance{
		ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "team-a"},
		Spec: sc.ServiceInstanceSpec{
			PlanReference: sc.PlanReference{ClusterServiceClassExternalName: "postgresql", ClusterServicePlanExternalName: "small"},
			Parameters:    &runtime.RawExtension{Raw: []byte(`{"size":"1Gi","replicas":2}`)},
		},
	}
	for _, tweak := range tweaks {
		tweak(i)
	}
	return i
}

// storedInstance returns an instance as the server stored it, created by Bob and
// provisioned.
func storedInstance(tweaks ...func(*sc.ServiceInstance)) *sc.ServiceInstance {
	i := newInstance(func(i *sc.ServiceInstance) {
		i.ResourceVersion = "10"
		i.Generation = 3
		i.Finalizers = []string{sc.FinalizerServiceCatalog}
		i.Labels = map[string]string{"app": "web"}
		i.Spec.ExternalID = stored
		i.Spec.UpdateRequests = 2
		i.Spec.UserInfo = registrytest.BobInfo()
		i.Status = sc.ServiceInstanceStatus{
			Conditions: []metav1.Condition{{
				Type: sc.ConditionReady, Status: metav1.ConditionTrue, Reason: "ProvisionedSuccessfully",
				LastTransitionTime: metav1.Unix(1767225600, 0), ObservedGeneration: 3,
			}},
			ObservedGeneration: 3,
			ProvisionStatus:    sc.ServiceInstanceProvisionStatusProvisioned,
			DeprovisionStatus:  sc.ServiceInstanceDeprovisionStatusRequired,
			DashboardURL:       "https://dash.example.com/db",
		}
	})
	for _, tweak := range tweaks {
		tweak(i)
	}
	return i
}

func TestStrategyBasics(t *testing.T) {
	s, status := newStrategies()
	ctx := registrytest.Context("team-a", registrytest.Alice)
	if !s.NamespaceScoped() || !status.NamespaceScoped() {
		t.Errorf("instances must be namespaced")
	}
	if s.AllowCreateOnUpdate(ctx) {
		t.Errorf("AllowCreateOnUpdate = true, want false")
	}
	if !s.AllowUnconditionalUpdate(ctx) {
		t.Errorf("AllowUnconditionalUpdate = false, want true")
	}
	if _, ok := NewStrategy(runtime.NewScheme()).(rest.RESTGracefulDeleteStrategy); !ok {
		t.Errorf("the strategy does not implement CheckGracefulDelete")
	}
}

func TestPrepareForCreate(t *testing.T) {
	s, _ := newStrategies()
	ctx := registrytest.Context("team-a", registrytest.Alice)

	instance := newInstance(func(i *sc.ServiceInstance) {
		i.Generation = 7
		i.Finalizers = []string{"example.com/keep"}
		i.Spec.UserInfo = &sc.UserInfo{Username: "mallory", Groups: []string{"system:masters"}}
		i.Status = storedInstance().Status
	})
	s.PrepareForCreate(ctx, instance)

	if want := (sc.ServiceInstanceStatus{DeprovisionStatus: sc.ServiceInstanceDeprovisionStatusRequired}); !reflect.DeepEqual(instance.Status, want) {
		t.Errorf("status not cleared:\n%s", diff.Diff(want, instance.Status))
	}
	if instance.Generation != 1 {
		t.Errorf("generation = %d, want 1", instance.Generation)
	}
	if want := []string{"example.com/keep", sc.FinalizerServiceCatalog}; !reflect.DeepEqual(instance.Finalizers, want) {
		t.Errorf("finalizers = %v, want %v", instance.Finalizers, want)
	}
	id, err := uuid.Parse(instance.Spec.ExternalID)
	if err != nil || id.Version() != 4 || id.String() != instance.Spec.ExternalID {
		t.Errorf("externalID = %q, want a lower-case random UUID (%v)", instance.Spec.ExternalID, err)
	}
	if want := registrytest.AliceInfo(); !reflect.DeepEqual(instance.Spec.UserInfo, want) {
		t.Errorf("userInfo = %+v, want the requester %+v", instance.Spec.UserInfo, want)
	}
	if errs := s.Validate(ctx, instance); len(errs) != 0 {
		t.Errorf("a prepared instance does not validate: %v", errs)
	}

	other := newInstance()
	s.PrepareForCreate(ctx, other)
	if other.Spec.ExternalID == instance.Spec.ExternalID {
		t.Errorf("two instances got the same externalID %q", other.Spec.ExternalID)
	}
}

func TestPrepareForCreateKeepsGivenExternalID(t *testing.T) {
	s, _ := newStrategies()
	instance := newInstance(func(i *sc.ServiceInstance) {
		i.Spec.ExternalID = "my-own-id"
		i.Finalizers = []string{sc.FinalizerServiceCatalog}
	})
	s.PrepareForCreate(registrytest.Context("team-a", registrytest.Alice), instance)
	if instance.Spec.ExternalID != "my-own-id" {
		t.Errorf("externalID = %q, want the given one", instance.Spec.ExternalID)
	}
	if want := []string{sc.FinalizerServiceCatalog}; !reflect.DeepEqual(instance.Finalizers, want) {
		t.Errorf("finalizers = %v, want %v (not doubled)", instance.Finalizers, want)
	}
}

func TestPrepareForCreateWithoutUser(t *testing.T) {
	s, _ := newStrategies()
	instance := newInstance(func(i *sc.ServiceInstance) { i.Spec.UserInfo = &sc.UserInfo{Username: "mallory"} })
	s.PrepareForCreate(registrytest.Context("team-a", nil), instance)
	if instance.Spec.UserInfo != nil {
		t.Errorf("userInfo = %+v, want nil: a client-supplied identity must never be kept", instance.Spec.UserInfo)
	}
}

func TestPrepareForUpdate(t *testing.T) {
	s, _ := newStrategies()
	ctx := registrytest.Context("team-a", registrytest.Alice)

	tests := []struct {
		name string
		// update is what the client sends, starting from the stored object.
		update         func(*sc.ServiceInstance)
		wantGeneration int64
		wantUserInfo   *sc.UserInfo
		wantSpec       func(*sc.ServiceInstanceSpec) // changes expected to the stored spec, besides userInfo
	}{{
		name:           "no change",
		update:         func(*sc.ServiceInstance) {},
		wantGeneration: 3,
		wantUserInfo:   registrytest.BobInfo(),
	}, {
		name: "metadata only",
		update: func(i *sc.ServiceInstance) {
			i.Labels = map[string]string{"app": "api"}
			i.Annotations = map[string]string{"a": "b"}
		},
		wantGeneration: 3,
		wantUserInfo:   registrytest.BobInfo(),
	}, {
		name: "status sent by the client is ignored",
		update: func(i *sc.ServiceInstance) {
			i.Status = sc.ServiceInstanceStatus{ProvisionStatus: sc.ServiceInstanceProvisionStatusNotProvisioned}
		},
		wantGeneration: 3,
		wantUserInfo:   registrytest.BobInfo(),
	}, {
		name:           "a client-supplied userInfo is not a change and is not kept",
		update:         func(i *sc.ServiceInstance) { i.Spec.UserInfo = &sc.UserInfo{Username: "mallory"} },
		wantGeneration: 3,
		wantUserInfo:   registrytest.BobInfo(),
	}, {
		name: "the original manifest, without server-set fields",
		update: func(i *sc.ServiceInstance) {
			i.Spec.ExternalID = ""
			i.Spec.UpdateRequests = 0
			i.Spec.UserInfo = nil
		},
		wantGeneration: 3,
		wantUserInfo:   registrytest.BobInfo(),
	}, {
		name: "parameters re-encoded by a patch",
		update: func(i *sc.ServiceInstance) {
			i.Spec.Parameters = &runtime.RawExtension{Raw: []byte(`{"replicas":2.0,"size":"1Gi"}`)}
		},
		wantGeneration: 3,
		wantUserInfo:   registrytest.BobInfo(),
		wantSpec: func(s *sc.ServiceInstanceSpec) {
			s.Parameters = &runtime.RawExtension{Raw: []byte(`{"replicas":2.0,"size":"1Gi"}`)}
		},
	}, {
		name:           "parameters changed",
		update:         func(i *sc.ServiceInstance) { i.Spec.Parameters = &runtime.RawExtension{Raw: []byte(`{"size":"2Gi"}`)} },
		wantGeneration: 4,
		wantUserInfo:   registrytest.AliceInfo(),
		wantSpec: func(s *sc.ServiceInstanceSpec) {
			s.Parameters = &runtime.RawExtension{Raw: []byte(`{"size":"2Gi"}`)}
		},
	}, {
		name:           "plan changed",
		update:         func(i *sc.ServiceInstance) { i.Spec.ClusterServicePlanExternalName = "large" },
		wantGeneration: 4,
		wantUserInfo:   registrytest.AliceInfo(),
		wantSpec:       func(s *sc.ServiceInstanceSpec) { s.ClusterServicePlanExternalName = "large" },
	}, {
		name:           "updateRequests bumped",
		update:         func(i *sc.ServiceInstance) { i.Spec.UpdateRequests = 3 },
		wantGeneration: 4,
		wantUserInfo:   registrytest.AliceInfo(),
		wantSpec:       func(s *sc.ServiceInstanceSpec) { s.UpdateRequests = 3 },
	}, {
		name: "parametersFrom changed, server-set fields omitted",
		update: func(i *sc.ServiceInstance) {
			i.Spec.ExternalID, i.Spec.UpdateRequests, i.Spec.UserInfo = "", 0, nil
			i.Spec.ParametersFrom = []sc.ParametersFromSource{{SecretKeyRef: &sc.SecretKeyReference{Name: "p", Key: "k"}}}
		},
		wantGeneration: 4,
		wantUserInfo:   registrytest.AliceInfo(),
		wantSpec: func(s *sc.ServiceInstanceSpec) {
			s.ParametersFrom = []sc.ParametersFromSource{{SecretKeyRef: &sc.SecretKeyReference{Name: "p", Key: "k"}}}
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old := storedInstance()
			instance := storedInstance(tc.update)
			wantMeta := instance.ObjectMeta
			s.PrepareForUpdate(ctx, instance, old)

			if !reflect.DeepEqual(instance.Status, old.Status) {
				t.Errorf("status not kept:\n%s", diff.Diff(old.Status, instance.Status))
			}
			if instance.Generation != tc.wantGeneration {
				t.Errorf("generation = %d, want %d", instance.Generation, tc.wantGeneration)
			}
			wantMeta.Generation = tc.wantGeneration
			if !reflect.DeepEqual(instance.ObjectMeta, wantMeta) {
				t.Errorf("metadata changed beyond the generation:\n%s", diff.Diff(wantMeta, instance.ObjectMeta))
			}
			wantSpec := old.Spec
			if tc.wantSpec != nil {
				tc.wantSpec(&wantSpec)
			}
			wantSpec.UserInfo = tc.wantUserInfo
			if !reflect.DeepEqual(instance.Spec, wantSpec) {
				t.Errorf("spec:\n%s", diff.Diff(wantSpec, instance.Spec))
			}
			if errs := s.ValidateUpdate(ctx, instance, old); len(errs) != 0 {
				t.Errorf("the prepared update does not validate: %v", errs)
			}
			if old.Generation != 3 || !reflect.DeepEqual(old.Spec.UserInfo, registrytest.BobInfo()) {
				t.Errorf("the stored object was modified: %+v", old)
			}
		})
	}
}

func TestPrepareForUpdateRefusesDecrease(t *testing.T) {
	s, _ := newStrategies()
	ctx := registrytest.Context("team-a", registrytest.Alice)
	old := storedInstance()
	instance := storedInstance(func(i *sc.ServiceInstance) { i.Spec.UpdateRequests = 1 })
	s.PrepareForUpdate(ctx, instance, old)
	errs := s.ValidateUpdate(ctx, instance, old)
	if len(errs) != 1 || errs[0].Field != "spec.updateRequests" {
		t.Errorf("errors = %v, want one about spec.updateRequests", errs)
	}
}

func TestStatusStrategyPrepareForUpdate(t *testing.T) {
	_, s := newStrategies()
	ctx := registrytest.Context("team-a", registrytest.Alice)
	old := storedInstance(func(i *sc.ServiceInstance) {
		i.Annotations = map[string]string{"note": "kept"}
		i.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: "owner", UID: "u1"}}
	})
	instance := storedInstance(func(i *sc.ServiceInstance) {
		i.Generation = 99
		i.Labels = map[string]string{"app": "changed"}
		i.Annotations = nil
		i.Finalizers = nil
		i.OwnerReferences = nil
		i.Spec.ClusterServicePlanExternalName = "large"
		i.Spec.UserInfo = &sc.UserInfo{Username: "mallory"}
		i.Status.AsyncOpInProgress = true
		i.Status.CurrentOperation = sc.ServiceInstanceOperationUpdate
		i.Status.ObservedGeneration = 4
	})
	wantStatus := instance.Status
	s.PrepareForUpdate(ctx, instance, old)

	if !reflect.DeepEqual(instance.Spec, old.Spec) {
		t.Errorf("spec not kept:\n%s", diff.Diff(old.Spec, instance.Spec))
	}
	if !reflect.DeepEqual(instance.ObjectMeta, old.ObjectMeta) {
		t.Errorf("metadata not kept:\n%s", diff.Diff(old.ObjectMeta, instance.ObjectMeta))
	}
	if !reflect.DeepEqual(instance.Status, wantStatus) {
		t.Errorf("status not taken from the request:\n%s", diff.Diff(wantStatus, instance.Status))
	}
	if errs := s.ValidateUpdate(ctx, instance, old); len(errs) != 0 {
		t.Errorf("the prepared status update does not validate: %v", errs)
	}

	bad := storedInstance(func(i *sc.ServiceInstance) { i.Status.ProvisionStatus = "Maybe" })
	s.PrepareForUpdate(ctx, bad, old)
	if errs := s.ValidateUpdate(ctx, bad, old); len(errs) != 1 || errs[0].Field != "status.provisionStatus" {
		t.Errorf("errors = %v, want one about status.provisionStatus", errs)
	}
}

func TestCheckGracefulDelete(t *testing.T) {
	s, _ := newStrategies()

	instance := storedInstance()
	if s.CheckGracefulDelete(registrytest.Context("team-a", registrytest.Alice), instance, &metav1.DeleteOptions{}) {
		t.Errorf("CheckGracefulDelete = true, want false: instances are deleted at once and held by the finalizer")
	}
	if want := registrytest.AliceInfo(); !reflect.DeepEqual(instance.Spec.UserInfo, want) {
		t.Errorf("userInfo = %+v, want the deleter %+v", instance.Spec.UserInfo, want)
	}
	if instance.Generation != 3 {
		t.Errorf("generation = %d, want it unchanged", instance.Generation)
	}

	anonymous := storedInstance()
	if s.CheckGracefulDelete(registrytest.Context("team-a", nil), anonymous, &metav1.DeleteOptions{}) {
		t.Errorf("CheckGracefulDelete = true, want false")
	}
	if want := registrytest.BobInfo(); !reflect.DeepEqual(anonymous.Spec.UserInfo, want) {
		t.Errorf("userInfo = %+v, want the stored %+v kept when the request has no user", anonymous.Spec.UserInfo, want)
	}

	if s.CheckGracefulDelete(registrytest.Context("team-a", registrytest.Alice), &sc.ServiceBinding{}, nil) {
		t.Errorf("CheckGracefulDelete of another kind = true, want false")
	}
}

func TestWarnings(t *testing.T) {
	s, status := newStrategies()
	ctx := registrytest.Context("team-a", registrytest.Alice)
	secretive := newInstance(func(i *sc.ServiceInstance) {
		i.Spec.Parameters = &runtime.RawExtension{Raw: []byte(`{"adminPassword":"hunter2","size":"1Gi"}`)}
	})
	for name, warnings := range map[string][]string{
		"create": s.WarningsOnCreate(ctx, secretive),
		"update": s.WarningsOnUpdate(ctx, secretive, storedInstance()),
	} {
		if len(warnings) != 1 || !strings.Contains(warnings[0], "spec.parameters[adminPassword]") || strings.Contains(warnings[0], "hunter2") {
			t.Errorf("%s warnings = %q, want one naming spec.parameters[adminPassword] without its value", name, warnings)
		}
	}
	if w := s.WarningsOnCreate(ctx, newInstance()); len(w) != 0 {
		t.Errorf("warnings for harmless parameters: %q", w)
	}
	if w := status.WarningsOnUpdate(ctx, secretive, storedInstance()); len(w) != 0 {
		t.Errorf("status writes warned about the spec: %q", w)
	}
}

func TestGetAttrs(t *testing.T) {
	instance := storedInstance(func(i *sc.ServiceInstance) {
		i.Status.ClusterServiceClassRef = &sc.ClusterObjectReference{Name: "class-k8s-name"}
		i.Status.ClusterServicePlanRef = &sc.ClusterObjectReference{Name: "plan-k8s-name"}
		i.Status.ClusterServiceBrokerName = "test-broker"
	})
	gotLabels, gotFields, err := GetAttrs(instance)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotLabels, labels.Set{"app": "web"}) {
		t.Errorf("labels = %v", gotLabels)
	}
	want := map[string]string{
		"metadata.name":                        "db",
		"metadata.namespace":                   "team-a",
		"spec.externalID":                      stored,
		"spec.clusterServiceClassExternalName": "postgresql",
		"spec.clusterServicePlanExternalName":  "small",
		"spec.clusterServiceClassExternalID":   "",
		"spec.clusterServicePlanExternalID":    "",
		"spec.clusterServiceClassName":         "",
		"spec.clusterServicePlanName":          "",
		"status.clusterServiceClassRef.name":   "class-k8s-name",
		"status.clusterServicePlanRef.name":    "plan-k8s-name",
		"status.clusterServiceBrokerName":      "test-broker",
		"spec.serviceClassExternalName":        "",
		"spec.servicePlanExternalName":         "",
		"spec.serviceClassExternalID":          "",
		"spec.servicePlanExternalID":           "",
		"spec.serviceClassName":                "",
		"spec.servicePlanName":                 "",
		"status.serviceClassRef.name":          "",
		"status.servicePlanRef.name":           "",
		"status.serviceBrokerName":             "",
	}
	if !reflect.DeepEqual(map[string]string(gotFields), want) {
		t.Errorf("fields:\n%s", diff.Diff(want, map[string]string(gotFields)))
	}
	registrytest.CheckFieldLabels(t, "ServiceInstance", true, gotFields)

	// Unresolved references are published as empty, so that "=" selects unresolved instances.
	_, unresolved, err := GetAttrs(newInstance(func(i *sc.ServiceInstance) {
		i.Spec.PlanReference = sc.PlanReference{ClusterServiceClassName: "c", ClusterServicePlanName: "p"}
	}))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"status.clusterServiceClassRef.name", "status.clusterServicePlanRef.name", "status.serviceClassRef.name", "status.servicePlanRef.name"} {
		if v, ok := unresolved[f]; !ok || v != "" {
			t.Errorf("%s = %q (present %v), want it present and empty", f, v, ok)
		}
	}
	if unresolved["spec.clusterServiceClassName"] != "c" || unresolved["spec.clusterServicePlanName"] != "p" {
		t.Errorf("fields by Kubernetes name: %v", unresolved)
	}
	registrytest.CheckFieldLabels(t, "ServiceInstance", true, unresolved)

	// An instance of a class of its namespace publishes the fields of the namespace scope.
	_, local, err := GetAttrs(scopetest.Instance(instance))
	if err != nil {
		t.Fatal(err)
	}
	for f, want := range map[string]string{
		"spec.serviceClassExternalName": "postgresql", "spec.servicePlanExternalName": "small", "spec.clusterServiceClassExternalName": "",
		"status.serviceClassRef.name": "class-k8s-name", "status.servicePlanRef.name": "plan-k8s-name", "status.serviceBrokerName": "test-broker",
		"status.clusterServiceBrokerName": "",
	} {
		if local[f] != want {
			t.Errorf("namespaced instance: %s = %q, want %q", f, local[f], want)
		}
	}

	if _, _, err := GetAttrs(&sc.ServiceBinding{}); err == nil {
		t.Errorf("GetAttrs of a binding succeeded, want an error")
	}
}

func TestGetResetFields(t *testing.T) {
	s, status := newStrategies()
	registrytest.CheckResetFields(t, s.GetResetFields(), "status", "spec.userInfo")
	registrytest.CheckResetFields(t, status.GetResetFields(),
		"spec", "metadata.labels", "metadata.annotations", "metadata.finalizers", "metadata.ownerReferences")
}
