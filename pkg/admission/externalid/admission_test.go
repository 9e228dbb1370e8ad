package externalid

import (
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kube-service-catalog/catalog/pkg/admission/internal/admissiontest"
	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

func existing() []runtime.Object {
	return []runtime.Object{
		&v1beta1.ServiceInstance{ObjectMeta: metav1.ObjectMeta{Namespace: "victim", Name: "secret-db"},
			Spec: v1beta1.ServiceInstanceSpec{ExternalID: "instance-1"}},
		&v1beta1.ServiceBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "victim", Name: "secret-creds"},
			Spec: v1beta1.ServiceBindingSpec{ExternalID: "binding-1"}},
	}
}

func instance(namespace, name, id string) *sc.ServiceInstance {
	return &sc.ServiceInstance{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: sc.ServiceInstanceSpec{ExternalID: id}}
}

func binding(namespace, name, id string) *sc.ServiceBinding {
	return &sc.ServiceBinding{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: sc.ServiceBindingSpec{ExternalID: id}}
}

func TestAdmit(t *testing.T) {
	p := New()
	admissiontest.Initialize(t, p, true, existing()...)

	for name, obj := range map[string]runtime.Object{
		"unique instance ID": instance("attacker", "db", "instance-2"),
		"unique binding ID":  binding("attacker", "creds", "binding-2"),
		"no instance ID":     instance("attacker", "db", ""),
		// Instance and binding IDs are separate spaces.
		"binding with an instance's ID": binding("attacker", "creds", "instance-1"),
		"instance with a binding's ID":  instance("attacker", "db", "binding-1"),
		// Storage refuses these with AlreadyExists.
		"the same instance again": instance("victim", "secret-db", "instance-1"),
		"the same binding again":  binding("victim", "secret-creds", "binding-1"),
	} {
		t.Run(name, func(t *testing.T) {
			if err := admissiontest.Admit(p, admissiontest.Attributes(obj, nil)); err != nil {
				t.Errorf("got %v, want the object allowed", err)
			}
		})
	}

	for name, tc := range map[string]struct {
		obj  runtime.Object
		kind string
	}{
		"instance ID in use in another namespace":  {instance("attacker", "db", "instance-1"), "ServiceInstance"},
		"instance ID in use in the same namespace": {instance("victim", "other-db", "instance-1"), "ServiceInstance"},
		"binding ID in use":                        {binding("attacker", "creds", "binding-1"), "ServiceBinding"},
	} {
		t.Run(name, func(t *testing.T) {
			err := admissiontest.Admit(p, admissiontest.Attributes(tc.obj, nil))
			if !apierrors.IsInvalid(err) {
				t.Fatalf("got %v, want Invalid", err)
			}
			causes := err.(apierrors.APIStatus).Status().Details.Causes
			if len(causes) != 1 || causes[0].Field != "spec.externalID" || !strings.Contains(causes[0].Message, "is already used by another "+tc.kind) {
				t.Errorf("causes %+v, want one on spec.externalID saying it is used by another %s", causes, tc.kind)
			}
			// Nothing about the other object leaks.
			for _, secret := range []string{"victim", "secret-db", "secret-creds"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q reveals %q", err, secret)
				}
			}
		})
	}

	t.Run("updates are not checked", func(t *testing.T) {
		i := instance("attacker", "db", "instance-1")
		if err := admissiontest.Admit(p, admissiontest.Attributes(i, i.DeepCopy())); err != nil {
			t.Errorf("got %v, want the update allowed", err)
		}
	})
}

func TestValidateInitialization(t *testing.T) {
	if err := New().ValidateInitialization(); err == nil {
		t.Error("no error without a client")
	}
}
