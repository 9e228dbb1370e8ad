package servicebinding

import (
	"reflect"
	"testing"

	"github.com/google/uuid"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/diff"
	"k8s.io/apiserver/pkg/registry/rest"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/install"
	"github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/internal/registrytest"
)

const stored = "0d6c0d2c-5b0a-4c44-9f5e-2c4d1f6a1b9e"

func newStrategies() (strategy, statusStrategy) {
	scheme := runtime.NewScheme()
	install.Install(scheme)
	return NewStrategy(scheme).(strategy), NewStatusStrategy(scheme).(statusStrategy)
}

// newBinding returns a binding as a client would send it.
func newBinding(tweaks ...func(*sc.ServiceBinding)) *sc.ServiceBinding {
	b := &sc.ServiceBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "db-binding", Namespace: "team-a"},
		Spec: sc.ServiceBindingSpec{
			InstanceRef:      sc.ServiceInstanceReference{Name: "db"},
			Parameters:       &runtime.RawExtension{Raw: []byte(`{"role":"read-only","ttl":3600}`)},
			SecretTransforms: []sc.SecretTransform{{RenameKey: &sc.RenameKeyTransform{From: "uri", To: "DATABASE_URL"}}},
		},
	}
	for _, tweak := range tweaks {
		tweak(b)
	}
	return b
}

// storedBinding returns a binding as the server stored it, created by Bob and bound.
func storedBinding(tweaks ...func(*sc.ServiceBinding)) *sc.ServiceBinding {
	b := newBinding(func(b *sc.ServiceBinding) {
		b.ResourceVersion = "10"
		b.Generation = 1
		b.Finalizers = []string{sc.FinalizerServiceCatalog}
		b.Labels = map[string]string{"app": "web"}
		b.Spec.SecretName = "db-credentials"
		b.Spec.ExternalID = stored
		b.Spec.UserInfo = registrytest.BobInfo()
		b.Status = sc.ServiceBindingStatus{
			Conditions: []metav1.Condition{{
				Type: sc.ConditionReady, Status: metav1.ConditionTrue, Reason: "InjectedBindResult",
				LastTransitionTime: metav1.Unix(1767225600, 0), ObservedGeneration: 1,
			}},
			ObservedGeneration: 1,
			UnbindStatus:       sc.ServiceBindingUnbindStatusRequired,
			Binding:            &sc.LocalObjectReference{Name: "db-credentials"},
		}
	})
	for _, tweak := range tweaks {
		tweak(b)
	}
	return b
}

func TestStrategyBasics(t *testing.T) {
	s, status := newStrategies()
	ctx := registrytest.Context("team-a", registrytest.Alice)
	if !s.NamespaceScoped() || !status.NamespaceScoped() {
		t.Errorf("bindings must be namespaced")
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

	binding := newBinding(func(b *sc.ServiceBinding) {
		b.Generation = 5
		b.Spec.UserInfo = &sc.UserInfo{Username: "mallory"}
		b.Status = storedBinding().Status
	})
	s.PrepareForCreate(ctx, binding)

	if want := (sc.ServiceBindingStatus{UnbindStatus: sc.ServiceBindingUnbindStatusRequired}); !reflect.DeepEqual(binding.Status, want) {
		t.Errorf("status not cleared:\n%s", diff.Diff(want, binding.Status))
	}
	if binding.Generation != 1 {
		t.Errorf("generation = %d, want 1", binding.Generation)
	}
	if want := []string{sc.FinalizerServiceCatalog}; !reflect.DeepEqual(binding.Finalizers, want) {
		t.Errorf("finalizers = %v, want %v", binding.Finalizers, want)
	}
	if id, err := uuid.Parse(binding.Spec.ExternalID); err != nil || id.Version() != 4 || id.String() != binding.Spec.ExternalID {
		t.Errorf("externalID = %q, want a lower-case random UUID (%v)", binding.Spec.ExternalID, err)
	}
	if binding.Spec.SecretName != "db-binding" {
		t.Errorf("secretName = %q, want the binding's name", binding.Spec.SecretName)
	}
	if want := registrytest.AliceInfo(); !reflect.DeepEqual(binding.Spec.UserInfo, want) {
		t.Errorf("userInfo = %+v, want the requester %+v", binding.Spec.UserInfo, want)
	}
	if errs := s.Validate(ctx, binding); len(errs) != 0 {
		t.Errorf("a prepared binding does not validate: %v", errs)
	}

	other := newBinding()
	s.PrepareForCreate(ctx, other)
	if other.Spec.ExternalID == binding.Spec.ExternalID {
		t.Errorf("two bindings got the same externalID %q", other.Spec.ExternalID)
	}
}

func TestPrepareForCreateKeepsGivenValues(t *testing.T) {
	s, _ := newStrategies()
	binding := newBinding(func(b *sc.ServiceBinding) {
		b.Spec.ExternalID = "my-binding-id"
		b.Spec.SecretName = "creds"
	})
	s.PrepareForCreate(registrytest.Context("team-a", registrytest.Alice), binding)
	if binding.Spec.ExternalID != "my-binding-id" {
		t.Errorf("externalID = %q, want the given one", binding.Spec.ExternalID)
	}
	if binding.Spec.SecretName != "creds" {
		t.Errorf("secretName = %q, want the given one", binding.Spec.SecretName)
	}
}

// TestPrepareForCreateGeneratedName checks that a binding created with generateName gets
// its Secret named after the generated name: names are generated before PrepareForCreate,
// while decoding (which defaults secretName otherwise) saw no name.
func TestPrepareForCreateGeneratedName(t *testing.T) {
	s, _ := newStrategies()
	binding := newBinding(func(b *sc.ServiceBinding) { b.Name, b.GenerateName = "db-x7k2p", "db-" })
	s.PrepareForCreate(registrytest.Context("team-a", nil), binding)
	if binding.Spec.SecretName != "db-x7k2p" {
		t.Errorf("secretName = %q, want the generated name", binding.Spec.SecretName)
	}
	if binding.Spec.UserInfo != nil {
		t.Errorf("userInfo = %+v, want nil without a user", binding.Spec.UserInfo)
	}
}

func TestPrepareForUpdate(t *testing.T) {
	s, _ := newStrategies()
	ctx := registrytest.Context("team-a", registrytest.Alice)

	tests := []struct {
		name           string
		update         func(*sc.ServiceBinding)
		wantGeneration int64
		wantUserInfo   *sc.UserInfo
		wantSpec       func(*sc.ServiceBindingSpec)
		wantInvalid    string // the field of the one validation error expected, if any
	}{{
		name:           "no change",
		update:         func(*sc.ServiceBinding) {},
		wantGeneration: 1,
		wantUserInfo:   registrytest.BobInfo(),
	}, {
		name:           "labels and finalizers",
		update:         func(b *sc.ServiceBinding) { b.Labels = nil; b.Finalizers = nil },
		wantGeneration: 1,
		wantUserInfo:   registrytest.BobInfo(),
	}, {
		name:           "a client-supplied userInfo is ignored",
		update:         func(b *sc.ServiceBinding) { b.Spec.UserInfo = &sc.UserInfo{Username: "mallory"} },
		wantGeneration: 1,
		wantUserInfo:   registrytest.BobInfo(),
	}, {
		name:           "status sent by the client is ignored",
		update:         func(b *sc.ServiceBinding) { b.Status = sc.ServiceBindingStatus{} },
		wantGeneration: 1,
		wantUserInfo:   registrytest.BobInfo(),
	}, {
		name: "the original manifest, without server-set fields",
		update: func(b *sc.ServiceBinding) {
			b.Spec.ExternalID, b.Spec.SecretName, b.Spec.UserInfo = "", "", nil
		},
		wantGeneration: 1,
		wantUserInfo:   registrytest.BobInfo(),
	}, {
		name: "parameters re-encoded by a patch",
		update: func(b *sc.ServiceBinding) {
			b.Spec.Parameters = &runtime.RawExtension{Raw: []byte(`{"ttl":3600.0,"role":"read-only"}`)}
		},
		wantGeneration: 1,
		wantUserInfo:   registrytest.BobInfo(),
		wantSpec: func(s *sc.ServiceBindingSpec) {
			s.Parameters = &runtime.RawExtension{Raw: []byte(`{"ttl":3600.0,"role":"read-only"}`)}
		},
	}, {
		name:           "parameters changed",
		update:         func(b *sc.ServiceBinding) { b.Spec.Parameters = &runtime.RawExtension{Raw: []byte(`{"role":"admin"}`)} },
		wantGeneration: 2,
		wantUserInfo:   registrytest.AliceInfo(),
		wantSpec: func(s *sc.ServiceBindingSpec) {
			s.Parameters = &runtime.RawExtension{Raw: []byte(`{"role":"admin"}`)}
		},
		wantInvalid: "spec",
	}, {
		name:           "secretName changed",
		update:         func(b *sc.ServiceBinding) { b.Spec.SecretName = "other" },
		wantGeneration: 2,
		wantUserInfo:   registrytest.AliceInfo(),
		wantSpec:       func(s *sc.ServiceBindingSpec) { s.SecretName = "other" },
		wantInvalid:    "spec",
	}, {
		name:           "secretTransforms removed",
		update:         func(b *sc.ServiceBinding) { b.Spec.SecretTransforms = nil },
		wantGeneration: 2,
		wantUserInfo:   registrytest.AliceInfo(),
		wantSpec:       func(s *sc.ServiceBindingSpec) { s.SecretTransforms = nil },
		wantInvalid:    "spec",
	}, {
		name:           "instanceRef changed",
		update:         func(b *sc.ServiceBinding) { b.Spec.InstanceRef.Name = "other-db" },
		wantGeneration: 2,
		wantUserInfo:   registrytest.AliceInfo(),
		wantSpec:       func(s *sc.ServiceBindingSpec) { s.InstanceRef.Name = "other-db" },
		wantInvalid:    "spec.instanceRef",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old := storedBinding()
			binding := storedBinding(tc.update)
			wantMeta := binding.ObjectMeta
			s.PrepareForUpdate(ctx, binding, old)

			if !reflect.DeepEqual(binding.Status, old.Status) {
				t.Errorf("status not kept:\n%s", diff.Diff(old.Status, binding.Status))
			}
			if binding.Generation != tc.wantGeneration {
				t.Errorf("generation = %d, want %d", binding.Generation, tc.wantGeneration)
			}
			wantMeta.Generation = tc.wantGeneration
			if !reflect.DeepEqual(binding.ObjectMeta, wantMeta) {
				t.Errorf("metadata changed beyond the generation:\n%s", diff.Diff(wantMeta, binding.ObjectMeta))
			}
			wantSpec := old.Spec
			if tc.wantSpec != nil {
				tc.wantSpec(&wantSpec)
			}
			wantSpec.UserInfo = tc.wantUserInfo
			if !reflect.DeepEqual(binding.Spec, wantSpec) {
				t.Errorf("spec:\n%s", diff.Diff(wantSpec, binding.Spec))
			}

			errs := s.ValidateUpdate(ctx, binding, old)
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
	ctx := registrytest.Context("team-a", registrytest.Alice)
	old := storedBinding(func(b *sc.ServiceBinding) { b.Annotations = map[string]string{"note": "kept"} })
	binding := storedBinding(func(b *sc.ServiceBinding) {
		b.Generation = 42
		b.Labels = nil
		b.Finalizers = nil
		b.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "Pod", Name: "p", UID: "u"}}
		b.Spec.SecretName = "stolen"
		b.Spec.SecretTransforms = nil
		b.Status.CurrentOperation = sc.ServiceBindingOperationUnbind
		b.Status.UnbindStatus = sc.ServiceBindingUnbindStatusSucceeded
	})
	wantStatus := binding.Status
	s.PrepareForUpdate(ctx, binding, old)

	if !reflect.DeepEqual(binding.Spec, old.Spec) {
		t.Errorf("spec not kept:\n%s", diff.Diff(old.Spec, binding.Spec))
	}
	if !reflect.DeepEqual(binding.ObjectMeta, old.ObjectMeta) {
		t.Errorf("metadata not kept:\n%s", diff.Diff(old.ObjectMeta, binding.ObjectMeta))
	}
	if !reflect.DeepEqual(binding.Status, wantStatus) {
		t.Errorf("status not taken from the request:\n%s", diff.Diff(wantStatus, binding.Status))
	}
	if errs := s.ValidateUpdate(ctx, binding, old); len(errs) != 0 {
		t.Errorf("the prepared status update does not validate: %v", errs)
	}

	bad := storedBinding(func(b *sc.ServiceBinding) { b.Status.CurrentOperation = "Provision" })
	s.PrepareForUpdate(ctx, bad, old)
	if errs := s.ValidateUpdate(ctx, bad, old); len(errs) != 1 || errs[0].Field != "status.currentOperation" {
		t.Errorf("errors = %v, want one about status.currentOperation", errs)
	}
}

func TestCheckGracefulDelete(t *testing.T) {
	s, _ := newStrategies()
	binding := storedBinding()
	if s.CheckGracefulDelete(registrytest.Context("team-a", registrytest.Alice), binding, &metav1.DeleteOptions{}) {
		t.Errorf("CheckGracefulDelete = true, want false")
	}
	if want := registrytest.AliceInfo(); !reflect.DeepEqual(binding.Spec.UserInfo, want) {
		t.Errorf("userInfo = %+v, want the deleter %+v", binding.Spec.UserInfo, want)
	}

	anonymous := storedBinding()
	s.CheckGracefulDelete(registrytest.Context("team-a", nil), anonymous, &metav1.DeleteOptions{})
	if want := registrytest.BobInfo(); !reflect.DeepEqual(anonymous.Spec.UserInfo, want) {
		t.Errorf("userInfo = %+v, want the stored %+v kept", anonymous.Spec.UserInfo, want)
	}

	if s.CheckGracefulDelete(registrytest.Context("team-a", registrytest.Alice), &sc.ServiceInstance{}, nil) {
		t.Errorf("CheckGracefulDelete of another kind = true, want false")
	}
}

func TestWarnings(t *testing.T) {
	s, _ := newStrategies()
	ctx := registrytest.Context("team-a", registrytest.Alice)
	secretive := newBinding(func(b *sc.ServiceBinding) {
		b.Spec.Parameters = &runtime.RawExtension{Raw: []byte(`{"token":"t0k3n"}`)}
	})
	if w := s.WarningsOnCreate(ctx, secretive); len(w) != 1 {
		t.Errorf("create warnings = %q, want one about spec.parameters[token]", w)
	}
	if w := s.WarningsOnCreate(ctx, newBinding()); len(w) != 0 {
		t.Errorf("warnings for harmless parameters: %q", w)
	}
	if w := s.WarningsOnUpdate(ctx, secretive, storedBinding()); len(w) != 0 {
		t.Errorf("update warnings = %q, want none: the spec cannot change", w)
	}
}

func TestGetAttrs(t *testing.T) {
	gotLabels, gotFields, err := GetAttrs(storedBinding())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotLabels, labels.Set{"app": "web"}) {
		t.Errorf("labels = %v", gotLabels)
	}
	want := map[string]string{
		"metadata.name":              "db-binding",
		"metadata.namespace":         "team-a",
		"spec.externalID":            stored,
		"spec.instanceRef.name":      "db",
		"spec.instanceRef.namespace": "team-a", // the binding's own, when the reference names none
		"spec.secretName":            "db-credentials",
	}
	if !reflect.DeepEqual(map[string]string(gotFields), want) {
		t.Errorf("fields:\n%s", diff.Diff(want, map[string]string(gotFields)))
	}
	registrytest.CheckFieldLabels(t, "ServiceBinding", true, gotFields)

	if _, _, err := GetAttrs(&sc.ServiceInstance{}); err == nil {
		t.Errorf("GetAttrs of an instance succeeded, want an error")
	}
}

func TestGetResetFields(t *testing.T) {
	s, status := newStrategies()
	registrytest.CheckResetFields(t, s.GetResetFields(), "status", "spec.userInfo")
	registrytest.CheckResetFields(t, status.GetResetFields(),
		"spec", "metadata.labels", "metadata.annotations", "metadata.finalizers", "metadata.ownerReferences")
}
