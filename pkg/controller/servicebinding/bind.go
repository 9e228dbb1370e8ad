package servicebinding

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/catalog"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/operation"
	"github.com/kube-service-catalog/catalog/pkg/osb"
	"github.com/kube-service-catalog/catalog/pkg/parameters"
)

// bind asks the broker for the binding and writes its credentials into the Secret.
func (c *Controller) bind(ctx context.Context, binding *v1beta1.ServiceBinding) (controller.Result, error) {
	r, result, err := c.bindTarget(ctx, binding)
	if r == nil {
		return result, err
	}
	if result, done, err := c.resume(ctx, binding, r); done {
		return result, err
	}
	params, err := parameters.Build(ctx, c.cfg.KubeClient.CoreV1(), binding.Namespace, binding.Spec.Parameters, binding.Spec.ParametersFrom)
	if err == nil {
		err = checkSources(ctx, c.cfg.KubeClient.CoreV1(), binding)
	}
	if err != nil {
		return c.unsendable(ctx, binding, err)
	}
	namespace, err := c.cfg.Namespaces.Lister().Get(binding.Namespace)
	if err != nil {
		return controller.Result{}, fmt.Errorf("reading namespace %s: %w", binding.Namespace, err)
	}
	client, err := c.cfg.BrokerClients.ClientFor(ctx, r.broker)
	if err != nil {
		return c.ops.BrokerUnavailable(ctx, binding, conditions.BindCallFailed, err)
	}
	if binding, err = c.recordBind(ctx, binding, r, params); err != nil {
		return controller.Result{}, err
	}
	request := c.bindRequest(binding, r, params, string(namespace.UID), c.asyncBindings(r))
	resp, err := send(c, r, request.AcceptsIncomplete, func(accepts bool) (*osb.BindResponse, error) {
		request.AcceptsIncomplete = accepts
		return client.Bind(ctx, request)
	})
	if err != nil {
		return c.bindFailed(ctx, binding, r, params, err)
	}
	async := request.AcceptsIncomplete
	if resp.Async && !async {
		// The broker answered 202 although accepts_incomplete was not sent: the credentials
		// of such a binding cannot be fetched.
		binding.Status.LastRequestIdentity = resp.RequestIdentity
		return c.startOrphanMitigation(ctx, binding, conditions.BindFailed,
			"The broker answered the bind asynchronously, but its bindings cannot be fetched (the class is not bindingsRetrievable, or the broker's API version is older than 2.14).")
	}
	if resp.Async {
		operation.MadeBy(binding.Status.InProgressProperties, resp.RequestIdentity)
		return c.ops.Accepted(ctx, binding, operation.Answer{Async: true, OperationKey: resp.OperationKey, RequestIdentity: resp.RequestIdentity},
			conditions.Binding, fmt.Sprintf("Broker %s is binding the instance (request %s).", r.broker.Name, resp.RequestIdentity))
	}
	binding.Status.LastRequestIdentity = resp.RequestIdentity
	return c.bound(ctx, binding, r, bindAnswerOf(resp))
}

// bindTarget resolves the binding's instance and what it uses, or records why it cannot be
// bound now: then it returns nil and what to do. A binding waits for an instance that is
// not Ready, and fails for good on a plan that is not bindable.
func (c *Controller) bindTarget(ctx context.Context, binding *v1beta1.ServiceBinding) (*resolved, controller.Result, error) {
	r, err := c.resolve(binding)
	if err != nil {
		result, err := c.unsendable(ctx, binding, err)
		return nil, result, err
	}
	if why := instanceNotReady(r); why != "" {
		binding.Status.ObservedGeneration = binding.Generation
		return nil, controller.Result{}, c.ops.Wait(ctx, binding, corev1.EventTypeNormal, conditions.ErrorInstanceNotReady, why+" The binding waits for it.")
	}
	if err := missingCatalogObject(r); err != nil {
		// Retried: the informers of classes and plans may lag behind the instance's.
		result, err := c.unsendable(ctx, binding, err)
		return nil, result, err
	}
	if !catalog.Bindable(r.plan.Spec.Bindable, r.class.Spec.Bindable) {
		binding.Status.ObservedGeneration = binding.Generation
		binding.Status.UnbindStatus = v1beta1.ServiceBindingUnbindStatusNotRequired
		result, err := c.ops.Fail(ctx, binding, conditions.ErrorNonbindableServiceClass,
			fmt.Sprintf("Plan %s of class %s cannot be bound.", r.plan.Spec.ExternalName, r.class.Spec.ExternalName))
		return nil, result, err
	}
	if why := catalog.UnservedFeatures(r.class.Spec.ExternalName, r.class.Spec.Requires); why != "" && binding.Status.CurrentOperation == "" {
		binding.Status.ObservedGeneration = binding.Generation
		binding.Status.UnbindStatus = v1beta1.ServiceBindingUnbindStatusNotRequired
		result, err := c.ops.Fail(ctx, binding, conditions.UnsupportedPlatformFeature, operation.Sentence(why)+" Nothing was sent to the broker.")
		return nil, result, err
	}
	return r, controller.Result{}, nil
}

// resume finishes a bind the broker answered whose status write was lost: from the
// credentials kept in memory, or from an owned Secret, which only a successful bind
// writes. Otherwise the Secret must be writable before the broker hands out credentials;
// done is false when the bind is to be sent.
func (c *Controller) resume(ctx context.Context, binding *v1beta1.ServiceBinding, r *resolved) (result controller.Result, done bool, err error) {
	status := &binding.Status
	inFlight := status.CurrentOperation == v1beta1.ServiceBindingOperationBind
	if credentials, ok := c.pending.get(binding); ok && inFlight {
		status.ExternalProperties = status.InProgressProperties
		result, err = c.inject(ctx, binding, r, credentials, status.LastRequestIdentity)
		return result, true, err
	}
	owned, err := checkSecret(ctx, c.cfg.KubeClient.CoreV1(), binding)
	if err != nil {
		result, err = c.unsendable(ctx, binding, err)
		return result, true, err
	}
	if owned != nil && inFlight && !status.AsyncOpInProgress {
		status.ExternalProperties = status.InProgressProperties
		result, err = c.injected(ctx, binding, status.LastRequestIdentity)
		return result, true, err
	}
	return controller.Result{}, false, nil
}

// recordBind records the bind about to be sent. The first attempt is written down with
// its answer: the request is idempotent (a repeated bind gets the same credentials), and
// deleting a binding unbinds whenever the broker may hold it, so a controller that stops
// in between loses nothing. A request that changed since a failed attempt is written
// before it is sent, so that the record always names what the broker may hold.
func (c *Controller) recordBind(ctx context.Context, binding *v1beta1.ServiceBinding, r *resolved, params *parameters.Parameters) (*v1beta1.ServiceBinding, error) {
	status := &binding.Status
	props := &v1beta1.PropertiesState{
		Parameters:        params.RedactedRaw(),
		ParameterChecksum: params.Checksum,
		UserInfo:          binding.Spec.UserInfo.DeepCopy(),
	}
	if r.plan != nil {
		props.PlanDigest, props.PlanRetrievalTime = r.plan.Status.CatalogDigest, r.plan.Status.LastCatalogRetrievalTime.DeepCopy()
	}
	first := status.CurrentOperation != v1beta1.ServiceBindingOperationBind
	if !first && sameRequest(status.InProgressProperties, props) {
		return binding, nil
	}
	c.begin(binding, v1beta1.ServiceBindingOperationBind, props)
	status.ObservedGeneration = binding.Generation
	status.UnbindStatus = v1beta1.ServiceBindingUnbindStatusRequired
	conditions.ClearFailed(&status.Conditions)
	if first {
		return binding, nil
	}
	return c.ops.Announce(ctx, binding, conditions.BindRequestInFlight,
		fmt.Sprintf("Asking broker %s to bind the instance %s.", r.broker.Name, r.instance.Name))
}

// bindRequest builds the bind request.
func (c *Controller) bindRequest(binding *v1beta1.ServiceBinding, r *resolved, params *parameters.Parameters, appGUID string, async bool) *osb.BindRequest {
	return &osb.BindRequest{
		BindingID:         brokerBindingID(binding),
		InstanceID:        r.instance.Spec.ExternalID,
		AcceptsIncomplete: async,
		ServiceID:         r.known.ClusterServiceClassExternalID,
		PlanID:            r.known.ClusterServicePlanExternalID,
		Context: &osb.Context{
			Platform:  osb.PlatformKubernetes,
			Namespace: binding.Namespace,
			ClusterID: c.cfg.ClusterID,
		},
		BindResource:        &osb.BindResource{AppGUID: appGUID},
		Parameters:          params.Values,
		OriginatingIdentity: operation.Identity(binding.Spec.UserInfo),
	}
}

// bindFailed handles a failed bind request as the OSB orphan-mitigation table says. After
// a 409 (the broker holds a binding with this id) or a 200 it cannot read (it said it
// holds one), deleting the binding must unbind it; any other refusal leaves nothing at
// the broker.
func (c *Controller) bindFailed(ctx context.Context, binding *v1beta1.ServiceBinding, r *resolved, params *parameters.Parameters, err error) (controller.Result, error) {
	return c.ops.Failed(ctx, binding, operation.Call{
		Op: osb.OperationBind, Broker: r.broker.Key(), Secrets: params.SecretValues(),
		Retried: conditions.BindCallFailed, Refused: conditions.BindFailed,
		Refusal: func(held bool) {
			binding.Status.UnbindStatus = v1beta1.ServiceBindingUnbindStatusNotRequired
			if held {
				binding.Status.UnbindStatus = v1beta1.ServiceBindingUnbindStatusRequired
			}
		},
		MitigateOrphan: func(ctx context.Context, reason, message string) (controller.Result, error) {
			return c.startOrphanMitigation(ctx, binding, reason, message)
		},
	}, err)
}

// startOrphanMitigation records a bind that may have left a binding at the broker; the
// unbind path removes it next.
func (c *Controller) startOrphanMitigation(ctx context.Context, binding *v1beta1.ServiceBinding, reason, message string) (controller.Result, error) {
	binding.Status.UnbindStatus = v1beta1.ServiceBindingUnbindStatusRequired
	readyMessage := message + " The broker may hold the binding; deleting it there."
	if reason == conditions.BindResultLost {
		readyMessage = message + " Deleting the binding at the broker to bind again."
	}
	return c.ops.StartOrphanMitigation(ctx, binding, reason, message, readyMessage)
}

// unsendable records why the bind cannot be sent: the instance or what it uses cannot be
// used, the parameters cannot be built, or the Secret cannot be written. A missing
// instance is waited for: its creation queues the binding.
func (c *Controller) unsendable(ctx context.Context, binding *v1beta1.ServiceBinding, err error) (controller.Result, error) {
	binding.Status.ObservedGeneration = binding.Generation
	var (
		re      *resolveError
		pe      *parameters.Error
		exists  *secretExistsError
		missing *missingSourceError
		se      *secretError
	)
	switch {
	case errors.As(err, &re) && re.reason == conditions.ReferencesNonexistentInstance:
		return controller.Result{}, c.ops.Wait(ctx, binding, corev1.EventTypeNormal, re.reason, re.message+" The binding waits for it.")
	case errors.As(err, &re):
		return c.ops.NotReady(ctx, binding, re.reason, re)
	case errors.As(err, &pe):
		return c.ops.NotReady(ctx, binding, conditions.ErrorWithParameters, pe)
	case errors.As(err, &exists):
		return c.ops.NotReady(ctx, binding, conditions.ErrorSecretExists, err)
	case errors.As(err, &missing), errors.As(err, &se):
		return c.ops.NotReady(ctx, binding, conditions.ErrorInjectingBindResult, err)
	}
	return controller.Result{}, err
}

// send sends a bind or unbind with or without accepts_incomplete, as asked. A broker that
// answers 422 AsyncRequired to a request without it gets the request again with it, as
// the OSB specification asks, when its API version has asynchronous bindings.
func send[R any](c *Controller, r *resolved, async bool, call func(accepts bool) (*R, error)) (*R, error) {
	resp, err := call(async)
	if err != nil && !async && osb.IsAsyncRequired(err) && c.cfg.BrokerClients.APIVersion(r.broker).Supports(osb.FeatureAsyncBindings) {
		return call(true)
	}
	return resp, err
}
