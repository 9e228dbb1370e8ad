package servicebinding

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/brokerclient"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/parameters"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// bind asks the broker for the binding and writes its credentials into the Secret.
func (c *Controller) bind(ctx context.Context, binding *v1beta1.ServiceBinding) (controller.Result, error) {
	status := &binding.Status
	r, err := c.resolve(binding)
	if err != nil {
		return c.resolveFailed(ctx, binding, err)
	}
	if why := instanceNotReady(r); why != "" {
		status.ObservedGeneration = binding.Generation
		return c.waitForInstance(ctx, binding, conditions.ErrorInstanceNotReady, why+" The binding waits for it.")
	}
	if err := missingCatalogObject(r); err != nil {
		// Retried: the informers of classes and plans may lag behind the instance's.
		return c.resolveFailed(ctx, binding, err)
	}
	if !bindable(r.class, r.plan) {
		status.ObservedGeneration = binding.Generation
		status.UnbindStatus = v1beta1.ServiceBindingUnbindStatusNotRequired
		return c.fail(ctx, binding, conditions.ErrorNonbindableServiceClass,
			fmt.Sprintf("Plan %s of class %s cannot be bound.", r.plan.Spec.ExternalName, r.class.Spec.ExternalName))
	}
	if credentials, ok := c.pending.get(binding); ok && status.CurrentOperation == v1beta1.ServiceBindingOperationBind {
		// The broker answered, but writing the status that says so failed.
		status.ExternalProperties = status.InProgressProperties
		return c.inject(ctx, binding, r, credentials, status.LastRequestIdentity)
	}
	params, err := parameters.Build(ctx, c.cfg.KubeClient.CoreV1(), binding.Namespace, binding.Spec.Parameters, binding.Spec.ParametersFrom)
	if err != nil {
		return c.parametersFailed(ctx, binding, err)
	}
	// The Secret must be writable before the broker hands out credentials.
	owned, err := checkSecret(ctx, c.cfg.KubeClient.CoreV1(), binding)
	if err != nil {
		return c.secretFailed(ctx, binding, err)
	}
	if owned != nil && status.CurrentOperation == v1beta1.ServiceBindingOperationBind && !status.AsyncOpInProgress {
		// Only a successful bind writes the Secret: the status write after it was lost.
		status.ExternalProperties = status.InProgressProperties
		return c.injected(ctx, binding, status.LastRequestIdentity)
	}
	if err := checkSources(ctx, c.cfg.KubeClient.CoreV1(), binding); err != nil {
		return c.secretFailed(ctx, binding, err)
	}
	namespace, err := c.cfg.Namespaces.Lister().Get(binding.Namespace)
	if err != nil {
		return controller.Result{}, fmt.Errorf("reading namespace %s: %w", binding.Namespace, err)
	}
	client, err := c.cfg.BrokerClients.ClientFor(ctx, r.broker)
	if err != nil {
		return c.brokerUnavailable(ctx, binding, conditions.BindCallFailed, err)
	}

	props := &v1beta1.PropertiesState{
		Parameters:        params.RedactedRaw(),
		ParameterChecksum: params.Checksum,
		UserInfo:          binding.Spec.UserInfo.DeepCopy(),
	}
	switch {
	case status.CurrentOperation != v1beta1.ServiceBindingOperationBind:
		// The first attempt is written down with its answer: the request is idempotent (a
		// repeated bind gets the same credentials), and deleting a binding unbinds whenever
		// the broker may hold it, so a controller that stops in between loses nothing.
		c.beginBind(binding, props)
	case !sameRequest(status.InProgressProperties, props):
		// The request changed since a failed attempt: record it before sending it, so that
		// the record always names what the broker may hold.
		c.beginBind(binding, props)
		conditions.Ready(&status.Conditions, metav1.ConditionFalse, conditions.BindRequestInFlight,
			fmt.Sprintf("Asking broker %s to bind the instance %s.", r.broker.Name, r.instance.Name), binding.Generation)
		if binding, err = c.updateStatus(ctx, binding); err != nil {
			return controller.Result{}, err
		}
		status = &binding.Status
	}

	async := c.asyncBindings(r)
	request := &osb.BindRequest{
		BindingID:         binding.Spec.ExternalID,
		InstanceID:        r.instance.Spec.ExternalID,
		AcceptsIncomplete: async,
		ServiceID:         r.known.ClusterServiceClassExternalID,
		PlanID:            r.known.ClusterServicePlanExternalID,
		Context: &osb.Context{
			Platform:  osb.PlatformKubernetes,
			Namespace: binding.Namespace,
			ClusterID: c.cfg.ClusterID,
		},
		BindResource:        &osb.BindResource{AppGUID: string(namespace.UID)},
		Parameters:          params.Values,
		OriginatingIdentity: identity(binding.Spec.UserInfo),
	}
	resp, err := client.Bind(ctx, request)
	if err != nil {
		status.LastRequestIdentity = osb.RequestIdentityOf(err)
		logger(ctx, status.LastRequestIdentity).Info("Bind failed", "binding", bindingRef(binding), "err", err)
		return c.bindFailed(ctx, binding, r, err)
	}
	status.LastRequestIdentity = resp.RequestIdentity
	if resp.Async {
		if !async {
			// The broker answered 202 although accepts_incomplete was not sent: the
			// credentials of such a binding cannot be fetched.
			return c.startOrphanMitigation(ctx, binding, conditions.BindFailed,
				"The broker answered the bind asynchronously, but its bindings cannot be fetched (the class is not bindingsRetrievable, or the broker's API version is older than 2.14).")
		}
		status.AsyncOpInProgress = true
		status.OperationKey = deref(resp.OperationKey)
		message := fmt.Sprintf("Broker %s is binding the instance (request %s).", r.broker.Name, resp.RequestIdentity)
		conditions.Ready(&status.Conditions, metav1.ConditionFalse, conditions.Binding, message, binding.Generation)
		c.cfg.Recorder.Event(binding, corev1.EventTypeNormal, conditions.Binding, message)
		if binding, err = c.updateStatus(ctx, binding); err != nil {
			return controller.Result{}, err
		}
		return controller.Result{RequeueAfter: c.pollDelay(binding, 0)}, nil
	}
	return c.bound(ctx, binding, r, resp.Credentials, resp.RequestIdentity)
}

// beginBind records, in memory, a bind request about to be sent.
func (c *Controller) beginBind(binding *v1beta1.ServiceBinding, props *v1beta1.PropertiesState) {
	status := &binding.Status
	c.startOperation(status, v1beta1.ServiceBindingOperationBind, props)
	status.ObservedGeneration = binding.Generation
	status.UnbindStatus = v1beta1.ServiceBindingUnbindStatusRequired
	conditions.ClearFailed(&status.Conditions)
}

// bound records that the broker holds the binding and writes its credentials.
func (c *Controller) bound(ctx context.Context, binding *v1beta1.ServiceBinding, r *resolved, credentials map[string]any, requestIdentity string) (controller.Result, error) {
	status := &binding.Status
	status.ExternalProperties = status.InProgressProperties
	status.AsyncOpInProgress = false
	status.OperationKey = ""
	c.pending.put(binding, credentials)
	return c.inject(ctx, binding, r, credentials, requestIdentity)
}

// inject writes the credentials into the Secret. A failed write keeps the credentials in
// memory and is retried; status says that the broker holds the binding.
func (c *Controller) inject(ctx context.Context, binding *v1beta1.ServiceBinding, r *resolved, credentials map[string]any, requestIdentity string) (controller.Result, error) {
	status := &binding.Status
	secrets := c.cfg.KubeClient.CoreV1()
	secret, err := buildSecret(ctx, secrets, binding, credentials, serviceType(r.class), r.broker.Name)
	if err == nil {
		err = writeSecret(ctx, secrets, binding, secret)
	}
	var se *secretError
	switch {
	case err == nil:
		return c.injected(ctx, binding, requestIdentity)
	case errors.As(err, &se):
		// Only a new binding can have other transforms. The broker keeps the binding
		// until this one is deleted.
		return c.fail(ctx, binding, conditions.ErrorInjectingBindResult, se.Error())
	case apierrors.IsInvalid(err):
		return c.fail(ctx, binding, conditions.ErrorInjectingBindResult, invalidSecretMessage(err))
	}
	reason, message := conditions.ErrorInjectingBindResult, fmt.Sprintf("Writing the Secret %q failed: %v", secretName(binding), err)
	var exists *secretExistsError
	var missing *missingSourceError
	switch {
	case errors.As(err, &exists):
		reason, message = conditions.ErrorSecretExists, exists.Error()
	case errors.As(err, &missing):
		message = missing.Error()
	}
	message += " The broker holds the binding; the write is retried."
	conditions.Ready(&status.Conditions, metav1.ConditionFalse, reason, message, binding.Generation)
	c.cfg.Recorder.Event(binding, corev1.EventTypeWarning, reason, message)
	if _, werr := c.updateStatus(ctx, binding); werr != nil {
		return controller.Result{}, werr
	}
	return controller.Result{}, fmt.Errorf("%s: %s", reason, message)
}

// injected records a binding whose credentials are in the Secret.
func (c *Controller) injected(ctx context.Context, binding *v1beta1.ServiceBinding, requestIdentity string) (controller.Result, error) {
	status := &binding.Status
	name := secretName(binding)
	status.Binding = &v1beta1.LocalObjectReference{Name: name}
	status.UnbindStatus = v1beta1.ServiceBindingUnbindStatusRequired
	clearOperation(status)
	status.Attempts = v1beta1.OperationAttempts{}
	message := fmt.Sprintf("The broker bound the instance (request %s); the credentials are in the Secret %q.", requestIdentity, name)
	conditions.Ready(&status.Conditions, metav1.ConditionTrue, conditions.InjectedBindResult, message, binding.Generation)
	conditions.ClearFailed(&status.Conditions)
	c.cfg.Recorder.Event(binding, corev1.EventTypeNormal, conditions.InjectedBindResult, message)
	if _, err := c.updateStatus(ctx, binding); err != nil {
		return controller.Result{}, err
	}
	c.pending.forget(binding)
	return controller.Result{}, nil
}

// injectPending finishes a bind the broker completed whose credentials are not in the
// Secret yet: from memory, from the broker (GET binding) when it can hand them out again,
// or else by unbinding and binding again.
func (c *Controller) injectPending(ctx context.Context, binding *v1beta1.ServiceBinding) (controller.Result, error) {
	r, err := c.resolve(binding)
	if err != nil {
		return c.resolveFailed(ctx, binding, err)
	}
	if r.broker == nil || r.known == nil {
		return c.notReady(ctx, binding, conditions.ErrorInstanceNotReady,
			fmt.Errorf("the broker of the instance %q is not known", r.instance.Name))
	}
	if err := missingCatalogObject(r); err != nil {
		return c.resolveFailed(ctx, binding, err)
	}
	if credentials, ok := c.pending.get(binding); ok {
		return c.inject(ctx, binding, r, credentials, binding.Status.LastRequestIdentity)
	}
	owned, err := ownedSecret(ctx, c.cfg.KubeClient.CoreV1(), binding)
	if err != nil {
		return controller.Result{}, err
	}
	if owned != nil {
		return c.injected(ctx, binding, binding.Status.LastRequestIdentity)
	}
	if !c.asyncBindings(r) {
		return c.startOrphanMitigation(ctx, binding, conditions.BindResultLost,
			"The credentials were lost before they were written to the Secret, and the broker cannot hand them out again.")
	}
	return c.fetchCredentials(ctx, binding, r)
}

// fetchCredentials gets the credentials of a finished binding from the broker.
func (c *Controller) fetchCredentials(ctx context.Context, binding *v1beta1.ServiceBinding, r *resolved) (controller.Result, error) {
	status := &binding.Status
	client, err := c.cfg.BrokerClients.ClientFor(ctx, r.broker)
	if err != nil {
		return c.brokerUnavailable(ctx, binding, conditions.FetchingBindingFailed, err)
	}
	var user *v1beta1.UserInfo
	if props := status.InProgressProperties; props != nil {
		user = props.UserInfo
	}
	resp, err := client.GetBinding(ctx, &osb.GetBindingRequest{
		InstanceID:          r.instance.Spec.ExternalID,
		BindingID:           binding.Spec.ExternalID,
		ServiceID:           r.known.ClusterServiceClassExternalID,
		PlanID:              r.known.ClusterServicePlanExternalID,
		OriginatingIdentity: identity(user),
	})
	if err != nil {
		status.LastRequestIdentity = osb.RequestIdentityOf(err)
		logger(ctx, status.LastRequestIdentity).Info("Fetching the binding failed", "binding", bindingRef(binding), "err", err)
		if osb.IsUnauthorized(err) {
			c.cfg.BrokerClients.Forget(r.broker.Name)
		}
		return c.retryLater(ctx, binding, conditions.FetchingBindingFailed, describe(err)+".")
	}
	status.LastRequestIdentity = resp.RequestIdentity
	c.pending.put(binding, resp.Credentials)
	return c.inject(ctx, binding, r, resp.Credentials, resp.RequestIdentity)
}

// bindFailed handles a failed bind request as the OSB orphan-mitigation table says: an
// answer that may have left a binding behind starts orphan mitigation; a refusal stops;
// anything else is retried later.
func (c *Controller) bindFailed(ctx context.Context, binding *v1beta1.ServiceBinding, r *resolved, err error) (controller.Result, error) {
	status := &binding.Status
	switch {
	case osb.NeedsOrphanMitigation(osb.OperationBind, err):
		return c.startOrphanMitigation(ctx, binding, conditions.BindCallFailed, describe(err)+".")
	case osb.IsConcurrencyError(err):
		return c.retryLater(ctx, binding, conditions.BrokerBusy, "The broker is busy with another operation on the instance or binding.")
	case osb.IsUnauthorized(err):
		c.cfg.BrokerClients.Forget(r.broker.Name)
		return c.retryLater(ctx, binding, conditions.BindCallFailed, "The broker refused the catalog's credentials (401).")
	case osb.IsPreconditionFailed(err):
		return c.retryLater(ctx, binding, conditions.BindCallFailed, describe(err)+" (the broker refused the OSB API version; see the broker's spec.osbAPIVersion).")
	case osb.IsConflict(err), osb.IsMalformedResponse(err):
		// The broker holds a binding with this id (409), or said it holds one but its
		// answer is unreadable (200): deleting the binding must unbind it.
		status.UnbindStatus = v1beta1.ServiceBindingUnbindStatusRequired
		return c.fail(ctx, binding, conditions.BindFailed, describe(err)+".")
	}
	if code, ok := osb.StatusCode(err); ok && code >= 400 && code < 500 && code != 408 {
		// A refusal leaves nothing at the broker.
		status.UnbindStatus = v1beta1.ServiceBindingUnbindStatusNotRequired
		return c.fail(ctx, binding, conditions.BindFailed, describe(err)+".")
	}
	return c.retryLater(ctx, binding, conditions.BindCallFailed, describe(err)+".")
}

// startOrphanMitigation records a bind that may have left a binding at the broker; the
// unbind path removes it next.
func (c *Controller) startOrphanMitigation(ctx context.Context, binding *v1beta1.ServiceBinding, reason, message string) (controller.Result, error) {
	status := &binding.Status
	status.OrphanMitigationInProgress = true
	status.AsyncOpInProgress = false
	status.OperationKey = ""
	status.UnbindStatus = v1beta1.ServiceBindingUnbindStatusRequired
	c.pending.forget(binding)
	conditions.Set(&status.Conditions, v1beta1.ConditionOrphanMitigation, metav1.ConditionTrue, reason, message, binding.Generation)
	readyMessage := message + " The broker may hold the binding; deleting it there."
	if reason == conditions.BindResultLost {
		readyMessage = message + " Deleting the binding at the broker to bind again."
	}
	conditions.Ready(&status.Conditions, metav1.ConditionFalse, conditions.OrphanMitigationInProgress, readyMessage, binding.Generation)
	c.cfg.Recorder.Event(binding, corev1.EventTypeWarning, conditions.OrphanMitigationInProgress, readyMessage)
	if _, err := c.updateStatus(ctx, binding); err != nil {
		return controller.Result{}, err
	}
	return controller.Result{RequeueAfter: 1}, nil
}

// resolveFailed records why the binding's instance cannot be used. A missing instance is
// waited for: its creation queues the binding.
func (c *Controller) resolveFailed(ctx context.Context, binding *v1beta1.ServiceBinding, err error) (controller.Result, error) {
	var re *resolveError
	if !errors.As(err, &re) {
		return controller.Result{}, err
	}
	binding.Status.ObservedGeneration = binding.Generation
	if re.reason == conditions.ReferencesNonexistentInstance {
		return c.waitForInstance(ctx, binding, re.reason, re.message+" The binding waits for it.")
	}
	return c.notReady(ctx, binding, re.reason, re)
}

// parametersFailed records a problem with the parameters; nothing is sent to the broker.
func (c *Controller) parametersFailed(ctx context.Context, binding *v1beta1.ServiceBinding, err error) (controller.Result, error) {
	var pe *parameters.Error
	if !errors.As(err, &pe) {
		return controller.Result{}, err
	}
	binding.Status.ObservedGeneration = binding.Generation
	return c.notReady(ctx, binding, conditions.ErrorWithParameters, pe)
}

// secretFailed records that the Secret could not be written, found before the broker
// was asked: nothing is sent until it can be.
func (c *Controller) secretFailed(ctx context.Context, binding *v1beta1.ServiceBinding, err error) (controller.Result, error) {
	binding.Status.ObservedGeneration = binding.Generation
	var exists *secretExistsError
	var missing *missingSourceError
	var se *secretError
	switch {
	case errors.As(err, &exists):
		return c.notReady(ctx, binding, conditions.ErrorSecretExists, err)
	case errors.As(err, &missing), errors.As(err, &se):
		return c.notReady(ctx, binding, conditions.ErrorInjectingBindResult, err)
	}
	return controller.Result{}, err
}

// brokerUnavailable records that no client could be built for the broker, e.g. because
// its auth Secret is missing.
func (c *Controller) brokerUnavailable(ctx context.Context, binding *v1beta1.ServiceBinding, reason string, err error) (controller.Result, error) {
	var ce *brokerclient.CredentialsError
	if !errors.As(err, &ce) {
		return controller.Result{}, err
	}
	return c.notReady(ctx, binding, reason, fmt.Errorf("the broker's credentials cannot be read: %w", ce))
}

func bindingRef(binding *v1beta1.ServiceBinding) string {
	return binding.Namespace + "/" + binding.Name
}
