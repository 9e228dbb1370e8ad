package servicebinding

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// A failed update leaves the instance as it was at the broker: it can still be bound,
// unless the broker said it cannot be used (instance_usable false).
func TestAnInstanceWhoseUpdateFailedCanBeBoundUnlessUnusable(t *testing.T) {
	for _, tc := range []struct {
		name   string
		usable *bool
		want   string
	}{
		{"the broker said nothing", nil, conditions.InjectedBindResult},
		{"usable", ptr.To(true), conditions.InjectedBindResult},
		{"unusable", ptr.To(false), conditions.ErrorInstanceNotReady},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(o *fixtureObjects) {
				o.instance.Status.Conditions = []metav1.Condition{
					{Type: v1beta1.ConditionReady, Status: metav1.ConditionFalse, Reason: conditions.UpdateFailed, ObservedGeneration: 1},
					{Type: v1beta1.ConditionFailed, Status: metav1.ConditionTrue, Reason: conditions.UpdateFailed, ObservedGeneration: 1},
				}
				o.instance.Status.InstanceUsable = tc.usable
			})
			f.OSB.SetBindReaction(func(context.Context, *osb.BindRequest) (*osb.BindResponse, error) { return credentialsAnswer(), nil })
			_, _ = f.Sync()
			status := metav1.ConditionFalse
			if tc.want == conditions.InjectedBindResult {
				status = metav1.ConditionTrue
			}
			f.wantReady(status, tc.want)
		})
	}
}
