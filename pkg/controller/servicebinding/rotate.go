package servicebinding

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/operation"
	"github.com/kube-service-catalog/catalog/pkg/osb"
	"github.com/kube-service-catalog/catalog/pkg/parameters"
)

// Reasons a rotation starts, recorded in status.rotation.reason.
const (
	rotationRequested   = "Requested"
	rotationRenewBefore = "RenewBefore"
	rotationExpiring    = "Expiring"
	rotationStale       = "Stale"
)

// holdsCredentials tells whether the binding's credentials are in its Secret and nothing is in flight.
func holdsCredentials(binding *v1beta1.ServiceBinding) bool {
	st := &binding.Status
	return st.CurrentOperation == "" && st.Binding != nil && apimeta.IsStatusConditionTrue(st.Conditions, v1beta1.ConditionReady)
}

// rotationDue says why a bound binding's credentials are to be rotated now, or "" and
// when they will be (zero: never).
func rotationDue(binding *v1beta1.ServiceBinding, now time.Time) (string, time.Time) {
	st := &binding.Status
	if binding.Spec.RotationRequests != st.ObservedRotationRequests {
		return rotationRequested, now
	}
	cr, issued := st.Credentials, st.CredentialsIssuedAt
	// Credentials handed out already due (a broker that sends a time in the past) are not
	// rotated again and again: only times after their issue count.
	if cr != nil && issued != nil && cr.RenewBefore != nil && !cr.RenewBefore.After(issued.Time) {
		cr = &v1beta1.BindingCredentialsStatus{ExpiresAt: cr.ExpiresAt}
	}
	if cr != nil && issued != nil && cr.ExpiresAt != nil && !cr.ExpiresAt.After(issued.Time) {
		cr = &v1beta1.BindingCredentialsStatus{RenewBefore: cr.RenewBefore}
	}
	switch {
	case cr == nil:
		return "", time.Time{}
	case cr.RenewBefore != nil:
		if !now.Before(cr.RenewBefore.Time) {
			return rotationRenewBefore, now
		}
		return "", cr.RenewBefore.Time
	case cr.ExpiresAt != nil:
		// A tenth of the credentials' life before they expire (a minute when their issue
		// time is not known).
		at := cr.ExpiresAt.Add(-time.Minute)
		if issued != nil && issued.Before(cr.ExpiresAt) {
			at = cr.ExpiresAt.Add(-cr.ExpiresAt.Sub(issued.Time) / 10)
		}
		if !now.Before(at) {
			return rotationExpiring, now
		}
		return "", at
	}
	return "", time.Time{}
}

// rotate gets new credentials for the binding under a new binding_id, recorded before the
// bind is sent so that a controller that stops in between sends the same request again
// (a broker answers an identical bind with the same credentials) or unbinds it when the
// binding is deleted. The new credentials replace the old ones in the same Secret; the
// old binding becomes a predecessor, unbound after the overlap window.
func (c *Controller) rotate(ctx context.Context, binding *v1beta1.ServiceBinding, reason string) (controller.Result, error) {
	r, err := c.resolve(binding)
	if err == nil {
		err = missingCatalogObject(r)
	}
	if err != nil {
		return c.unsendable(ctx, binding, err)
	}
	if binding.Status.Rotation == nil {
		binding.Status.Rotation = &v1beta1.BindingRotation{BindingID: uuid.NewString(), Reason: reason, StartTime: metav1.NewTime(c.ops.Now())}
		if binding, err = c.ops.UpdateStatus(ctx, binding); err != nil {
			return controller.Result{}, err
		}
	}
	if wait := c.ops.Due(binding); wait > 0 {
		return controller.Result{RequeueAfter: wait}, nil
	}
	params, err := parameters.Build(ctx, c.cfg.KubeClient.CoreV1(), binding.Namespace, binding.Spec.Parameters, binding.Spec.ParametersFrom)
	if err != nil {
		return c.unsendable(ctx, binding, err)
	}
	resp, err := c.sendRotation(ctx, binding, r, params)
	if err != nil {
		return c.rotationFailed(ctx, binding, r, params, err)
	}
	answer := bindAnswerOf(resp)
	secrets := c.cfg.KubeClient.CoreV1()
	secret, err := buildSecret(ctx, secrets, binding, withEndpoints(answer.credentials, answer.endpoints), serviceType(r.class), r.broker.Name)
	if err == nil {
		err = writeSecret(ctx, secrets, binding, secret)
	}
	if err != nil {
		// The bind is sent again, and answered with the same credentials.
		return c.ops.RetryLater(ctx, binding, conditions.RotationFailed, fmt.Sprintf("Writing the new credentials into the Secret %q failed: %v.", secretName(binding), err))
	}
	return c.rotated(ctx, binding, r, answer)
}

// sendRotation sends the bind of a rotation: synchronous, with predecessor_binding_id
// where the plan is binding_rotatable, the broker speaks OSB 2.17 and the current
// credentials have not expired (OSB: the predecessor must be a non-expired binding); a
// plain bind under the new id otherwise.
func (c *Controller) sendRotation(ctx context.Context, binding *v1beta1.ServiceBinding, r *resolved, params *parameters.Parameters) (*osb.BindResponse, error) {
	client, err := c.cfg.BrokerClients.ClientFor(ctx, r.broker)
	if err != nil {
		return nil, err
	}
	namespace, err := c.cfg.Namespaces.Lister().Get(binding.Namespace)
	if err != nil {
		return nil, fmt.Errorf("reading namespace %s: %w", binding.Namespace, err)
	}
	request := c.bindRequest(binding, r, params, string(namespace.UID), false)
	request.BindingID = binding.Status.Rotation.BindingID
	if r.plan.Spec.BindingRotatable && c.cfg.BrokerClients.APIVersion(r.broker).Supports(osb.FeatureBindingRotation) && !expired(binding, c.ops.Now()) {
		request.PredecessorBindingID = brokerBindingID(binding)
	}
	resp, err := client.Bind(ctx, request)
	if err == nil && resp.Async {
		err = fmt.Errorf("the broker answered the bind of a rotation asynchronously, although accepts_incomplete was not sent")
	}
	return resp, err
}

// rotated records the rotation done: the new binding is the current one, the old one a
// predecessor until the overlap window ends.
func (c *Controller) rotated(ctx context.Context, binding *v1beta1.ServiceBinding, r *resolved, answer *bindAnswer) (controller.Result, error) {
	st := &binding.Status
	now := c.ops.Now()
	old := brokerBindingID(binding)
	unbindAfter := metav1.NewTime(now.Add(c.cfg.RotationOverlap))
	st.Predecessors = append(st.Predecessors, v1beta1.PredecessorBinding{BindingID: old, UnbindAfter: unbindAfter})
	st.BindingID = st.Rotation.BindingID
	st.Rotation = nil
	st.Credentials = answer.credentialsStatus()
	st.CredentialsIssuedAt = &metav1.Time{Time: now}
	st.ObservedRotationRequests = binding.Spec.RotationRequests
	st.ObservedGeneration = binding.Generation
	st.LastRequestIdentity = answer.requestIdentity
	st.Attempts = v1beta1.OperationAttempts{}
	st.IssuedFor = issuedFor(r)
	apimeta.RemoveStatusCondition(&st.Conditions, v1beta1.ConditionStale)
	message := fmt.Sprintf("New credentials (binding %s, request %s) are in the Secret %q; the previous binding %s is unbound at %s.",
		st.BindingID, answer.requestIdentity, secretName(binding), old, unbindAfter.UTC().Format(time.RFC3339))
	if _, err := c.ops.Report(ctx, binding, true, conditions.CredentialsRotated, message); err != nil {
		return controller.Result{}, err
	}
	return controller.Result{RequeueAfter: c.cfg.RotationOverlap}, nil
}

// rotationFailed records a failed bind of a rotation: the old credentials stay in the
// Secret and valid; the same request is sent again after the backoff.
func (c *Controller) rotationFailed(ctx context.Context, binding *v1beta1.ServiceBinding, r *resolved, params *parameters.Parameters, err error) (controller.Result, error) {
	message := "The bind of new credentials failed: " + parameters.Redact(operation.Describe(err), params.SecretValues()) +
		". The credentials in the Secret stay valid; the rotation is tried again."
	klog.FromContext(ctx).V(2).Info("Rotation failed", "binding", klog.KObj(binding), "broker", r.broker.Name)
	return c.ops.RetryLater(ctx, binding, conditions.RotationFailed, message)
}

// unbindPredecessors unbinds the predecessors whose overlap window ended, or all of them
// (a deleted binding), and the binding of a rotation left unfinished (a deleted binding).
// r is the binding's instance resolved, or nil. It returns the binding as written and
// when the next one is due. A predecessor the broker does not unbind now is tried again a
// minute later.
func (c *Controller) unbindPredecessors(ctx context.Context, binding *v1beta1.ServiceBinding, r *resolved, all bool) (*v1beta1.ServiceBinding, time.Duration, error) {
	st := &binding.Status
	if len(st.Predecessors) == 0 && (!all || st.Rotation == nil) {
		return binding, 0, nil
	}
	if r == nil || r.broker == nil || r.known == nil {
		return binding, time.Minute, nil // the instance's broker is not known yet: later
	}
	client, err := c.cfg.BrokerClients.ClientFor(ctx, r.broker)
	if err != nil {
		return binding, time.Minute, nil //nolint:nilerr // the broker's credentials are reported by the binding's next call
	}
	now := c.ops.Now()
	unbind := func(id string) bool {
		_, err := client.Unbind(ctx, &osb.UnbindRequest{BindingID: id, InstanceID: r.instance.Spec.ExternalID,
			ServiceID: r.known.ClusterServiceClassExternalID, PlanID: r.known.ClusterServicePlanExternalID})
		return err == nil || osb.IsGone(err)
	}
	var kept []v1beta1.PredecessorBinding
	next := time.Duration(0)
	for _, p := range st.Predecessors {
		wait := p.UnbindAfter.Sub(now)
		switch {
		case (all || wait <= 0) && unbind(p.BindingID):
			continue
		case all || wait <= 0:
			wait = time.Minute
		}
		kept = append(kept, p)
		if next == 0 || wait < next {
			next = wait
		}
	}
	changed := len(kept) != len(st.Predecessors)
	st.Predecessors = kept
	if all && st.Rotation != nil && unbind(st.Rotation.BindingID) {
		st.Rotation, changed = nil, true
	}
	if changed {
		if binding, err = c.ops.UpdateStatus(ctx, binding); err != nil {
			return binding, 0, err
		}
	}
	return binding, next, nil
}

// expired tells whether the broker said the binding's current credentials expire by now.
func expired(binding *v1beta1.ServiceBinding, now time.Time) bool {
	cr := binding.Status.Credentials
	return cr != nil && cr.ExpiresAt != nil && !now.Before(cr.ExpiresAt.Time)
}
