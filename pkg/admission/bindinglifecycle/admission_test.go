package bindinglifecycle

import (
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/admission/internal/admissiontest"
	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

func instance(namespace, name string, deleting bool) *v1beta1.ServiceInstance {
	i := &v1beta1.ServiceInstance{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
	if deleting {
		now := metav1.Now()
		i.DeletionTimestamp = &now
		i.Finalizers = []string{sc.FinalizerServiceCatalog}
	}
	return i
}

func binding(namespace, instance string) *sc.ServiceBinding {
	return &sc.ServiceBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "creds"},
		Spec:       sc.ServiceBindingSpec{InstanceRef: sc.ServiceInstanceReference{Name: instance}},
	}
}

func TestValidate(t *testing.T) {
	p := New()
	admissiontest.Initialize(t, p, true,
		instance("team-a", "live", false), instance("team-a", "dying", true), instance("team-b", "live-elsewhere", true))

	for name, b := range map[string]*sc.ServiceBinding{
		"live instance":    binding("team-a", "live"),
		"missing instance": binding("team-a", "nosuch"),
		"an instance of the same name being deleted in another namespace": binding("team-a", "live-elsewhere"),
	} {
		t.Run(name, func(t *testing.T) {
			if err := admissiontest.Validate(p, admissiontest.Attributes(b, nil)); err != nil {
				t.Errorf("got %v, want the binding allowed", err)
			}
		})
	}

	t.Run("instance being deleted", func(t *testing.T) {
		err := admissiontest.Validate(p, admissiontest.Attributes(binding("team-a", "dying"), nil))
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "instance dying is being deleted") {
			t.Errorf("got %v, want Forbidden: instance dying is being deleted", err)
		}
	})

	t.Run("updates are not checked", func(t *testing.T) {
		b := binding("team-a", "dying")
		if err := admissiontest.Validate(p, admissiontest.Attributes(b, b.DeepCopy())); err != nil {
			t.Errorf("got %v, want the update allowed", err)
		}
	})
}

func TestValidateInitialization(t *testing.T) {
	if err := New().ValidateInitialization(); err == nil {
		t.Error("no error without an instance getter")
	}
}
