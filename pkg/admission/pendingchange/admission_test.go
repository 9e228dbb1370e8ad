package pendingchange

import (
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authentication/user"

	"github.com/kube-service-catalog/catalog/pkg/admission/internal/admissiontest"
	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
)

var (
	alice = &sc.UserInfo{Username: admissiontest.User.Name, UID: admissiontest.User.UID}
	bob   = &user.DefaultInfo{Name: "bob", UID: "uid-bob"}
)

// stored is an instance alice changed to generation 3; the controller acted on 2.
func stored(tweaks ...func(*sc.ServiceInstance)) *sc.ServiceInstance {
	i := &sc.ServiceInstance{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "db", Generation: 3}}
	i.Spec.UserInfo = alice
	i.Status.ObservedGeneration = 2
	for _, tweak := range tweaks {
		tweak(i)
	}
	return i
}

func readyFalse(reason string, generation int64) func(*sc.ServiceInstance) {
	return func(i *sc.ServiceInstance) {
		i.Status.Conditions = append(i.Status.Conditions, metav1.Condition{Type: "Ready", Status: metav1.ConditionFalse, Reason: reason, ObservedGeneration: generation})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name     string
		old      *sc.ServiceInstance
		by       user.Info
		specEdit bool
		conflict bool
	}{
		{"another user while a change is pending", stored(), bob, true, true},
		{"the same user while her change is pending", stored(), admissiontest.User, true, false},
		{"another user once the change was picked up", stored(func(i *sc.ServiceInstance) { i.Status.ObservedGeneration = 3 }), bob, true, false},
		{"another user, no spec change", stored(), bob, false, false},
		{"another user fixing a spec the controller cannot send", stored(readyFalse(conditions.ReferencesNonexistentServicePlan, 3)), bob, true, false},
		{"a stale reason does not count", stored(readyFalse(conditions.ReferencesNonexistentServicePlan, 2)), bob, true, true},
		{"another user after the broker refused the change", stored(func(i *sc.ServiceInstance) {
			i.Status.Conditions = []metav1.Condition{{Type: "Failed", Status: metav1.ConditionTrue, Reason: conditions.UpdateFailed, ObservedGeneration: 3}}
		}), bob, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			updated := tc.old.DeepCopy()
			if tc.specEdit {
				updated.Generation++
			}
			err := admissiontest.Validate(New(), admissiontest.AttributesFor(updated, tc.old, "", tc.by))
			if got := apierrors.IsTooManyRequests(err); got != tc.conflict {
				t.Fatalf("error %v, want it held back: %t", err, tc.conflict)
			}
			if seconds, ok := apierrors.SuggestsClientDelay(err); tc.conflict && (!ok || seconds <= 0) {
				t.Errorf("error %v suggests no Retry-After", err)
			}
		})
	}
}
