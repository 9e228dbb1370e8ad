package servicebinding

import (
	"context"
	"fmt"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
)

// issuedFor returns what the instance is now, as credentials handed out now record it,
// or nil when the broker holds no known state of it.
func issuedFor(r *resolved) *v1beta1.IssuedFor {
	known := r.instance.Status.ExternalProperties
	if known == nil {
		return nil
	}
	return &v1beta1.IssuedFor{
		ClusterServicePlanExternalName: known.ClusterServicePlanExternalName,
		ClusterServicePlanExternalID:   known.ClusterServicePlanExternalID,
		ParameterChecksum:              known.ParameterChecksum,
	}
}

// staleness says how the instance changed since the credentials were handed out, or "".
func staleness(was, now *v1beta1.IssuedFor) string {
	switch {
	case was == nil || now == nil:
		return ""
	case was.ClusterServicePlanExternalID != now.ClusterServicePlanExternalID:
		return fmt.Sprintf("The instance's plan changed from %s to %s since the credentials were handed out.", was.ClusterServicePlanExternalName, now.ClusterServicePlanExternalName)
	case was.ParameterChecksum != now.ParameterChecksum:
		return "The instance's parameters changed since the credentials were handed out."
	}
	return ""
}

// checkStale records in the Stale condition whether the instance changed since the
// credentials were handed out, and the generation of the spec observed. It tells whether
// to rotate: the binding is stale and asks to be rotated then (spec.rotateWhenStale). r is
// the binding's instance resolved; without it (nil) nothing is checked.
func (c *Controller) checkStale(ctx context.Context, binding *v1beta1.ServiceBinding, r *resolved) (*v1beta1.ServiceBinding, bool, error) {
	if r == nil {
		return binding, false, nil // the next bind or unbind reports why
	}
	why := staleness(binding.Status.IssuedFor, issuedFor(r))
	if why != "" && binding.Spec.RotateWhenStale {
		return binding, true, nil
	}
	st := &binding.Status
	changed := st.ObservedGeneration != binding.Generation
	st.ObservedGeneration = binding.Generation
	stale := apimeta.FindStatusCondition(st.Conditions, v1beta1.ConditionStale)
	switch {
	case why != "" && (stale == nil || stale.Message != staleMessage(why)):
		apimeta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: v1beta1.ConditionStale, Status: metav1.ConditionTrue,
			Reason: conditions.InstanceChanged, Message: staleMessage(why), ObservedGeneration: binding.Generation})
		changed = true
	case why == "" && stale != nil:
		apimeta.RemoveStatusCondition(&st.Conditions, v1beta1.ConditionStale)
		changed = true
	}
	if !changed {
		return binding, false, nil
	}
	binding, err := c.ops.UpdateStatus(ctx, binding)
	return binding, false, err
}

// staleMessage is the Stale condition's message: why, and what to do.
func staleMessage(why string) string {
	return why + " They may not fit it any more: bump spec.rotationRequests to rotate them, or set spec.rotateWhenStale to have it done."
}
