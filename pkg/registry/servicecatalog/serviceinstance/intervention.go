package serviceinstance

import (
	"time"

	"k8s.io/apimachinery/pkg/runtime"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/internal/registry"
)

// Retry is what the retry subresource does to a stored instance (see registry.Retry).
func Retry(obj runtime.Object, _ *sc.Intervention, _ string, _ time.Time) (string, error) {
	return registry.Retry(target(obj.(*sc.ServiceInstance))), nil
}

// Abandon is what the abandon subresource does to a stored instance (see registry.Abandon).
func Abandon(obj runtime.Object, i *sc.Intervention, user string, now time.Time) (string, error) {
	return registry.Abandon(target(obj.(*sc.ServiceInstance)), i, user, now)
}

func target(o *sc.ServiceInstance) registry.Target {
	st := &o.Status
	return registry.Target{
		Resource: "serviceinstance", Meta: &o.ObjectMeta, Operation: &st.OperationStatus, Conditions: &st.Conditions,
		GaveUp:   func() bool { return st.DeprovisionStatus == sc.ServiceInstanceDeprovisionStatusFailed },
		TryAgain: func() { st.DeprovisionStatus = sc.ServiceInstanceDeprovisionStatusRequired },
	}
}
