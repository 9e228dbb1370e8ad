// Package servicebinding is the control loop of ServiceBindings: it asks the broker of a
// Ready instance for credentials, writes them into a Secret in the binding's namespace,
// and unbinds at the broker and removes the Secret when the binding is deleted, as the
// Open Service Broker API asks of a platform.
//
// # Bind
//
// A binding waits (Ready=False, ErrorInstanceNotReady) until its instance is provisioned,
// has no operation in flight and is Ready; instance events wake it up. A plan that is not
// bindable (the plan's bindable, else the class's) fails the binding without a broker call.
// The parameters are built from spec.parameters and spec.parametersFrom; the Secret is
// checked before the broker is called, so that a Secret the binding does not own, or a
// missing addKeysFrom Secret, holds the bind request back instead of stranding fresh
// credentials. The request in flight is recorded in status (currentOperation Bind,
// inProgressProperties, unbindStatus Required) before it is sent. It carries the
// instance's service_id and plan_id, the Kubernetes context, bind_resource.app_guid (the
// namespace's UID) and spec.userInfo as the originating identity. accepts_incomplete is
// sent only when the class is bindingsRetrievable and the broker's API version (2.14 or
// later) has asynchronous bindings, because the credentials of an asynchronous binding
// can only be fetched with GET binding. A 202 is polled (Retry-After and the plan's
// maximum_polling_duration are honoured; a 410 while binding is not an answer), then the
// credentials are fetched.
//
// Failures follow the orphan-mitigation table of the OSB specification: a 5xx, a
// timeout, another 2xx than 200/201/202, or a 201/202 whose body is malformed deletes the
// binding at the broker (retried with backoff until the broker answers 200 or 410), then
// the bind is tried again later; an asynchronous bind that ends "failed" is deleted the
// same way and then Failed. 400, 409, 422 and other refusals are Failed with no orphan
// mitigation, except 422 ConcurrencyError (and 408, 401 and 412), which are retried later.
// After a 409 or a 200 with a malformed body the broker may hold the binding, so deleting
// the Failed binding unbinds it. The next attempt time is kept in status.
//
// # The Secret
//
// The Secret is named spec.secretName (the binding's name by default), lives in the
// binding's namespace, and has a controller ownerReference to the binding. It follows the
// Provisioned Service part of the servicebinding.io specification, and status.binding
// names it, so servicebinding.io runtimes can project it:
//
//   - every top-level credential is a key: strings as they are, other values (numbers,
//     booleans, objects, arrays, null) as JSON, so a numeric port 5432 becomes "5432";
//   - a "type" key is added, unless the credentials have one: the first of the class's
//     tags that, lowercased, is a DNS label (e.g. "postgresql"), else the class's external
//     name lowercased if it is one, else the class's object name;
//   - a "provider" key is added, unless the credentials have one: the broker's name;
//   - spec.secretTransforms are applied in order; a JSONPath of addKey is evaluated
//     against the broker's credentials object as the broker sent it;
//   - the Secret's type is "servicebinding.io/<type>" when the final "type" key is a DNS
//     subdomain, as that specification recommends, and Opaque otherwise.
//
// A Secret that exists and is not controlled by the binding is never changed, adopted or
// deleted: the binding reports ErrorSecretExists and retries. An owned Secret is updated
// in place (or recreated, should its type have to change, since a Secret's type cannot).
// Transforms that do not fit the broker's credentials (a JSONPath that finds nothing) and
// credential keys a Secret cannot hold fail the binding (ErrorInjectingBindResult); the
// broker keeps the binding until the ServiceBinding is deleted.
//
// # Credentials that could not be written
//
// Credentials live only in memory between the broker's answer and the Secret write. When
// the write fails, status keeps currentOperation Bind with externalProperties set (the
// broker holds the binding) and the write is retried from memory. Should the controller
// restart in between, the credentials are fetched again with GET binding when the class is
// bindingsRetrievable; otherwise the binding is deleted at the broker and made again, which
// hands out new credentials (reason BindResultLost). An owned Secret found while a bind is
// recorded as in flight means the Secret was written and only the status write was lost;
// the bind is then finished without calling the broker again.
//
// # Unbind
//
// A deleted binding (its finalizer holds it) is unbound at the broker with spec.userInfo,
// which the API server sets to the deleting user, as the originating identity; a 410 means
// it is gone already. Then the Secret is deleted if the binding controls it, and the
// finalizer is removed. A binding the broker never bound (unbindStatus NotRequired or
// Succeeded) is released at once. Failed unbinds are retried with a backoff kept in status.
//
// Credentials, broker auth secrets and parameter values from Secrets never appear in
// status, events or logs.
package servicebinding

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/brokerclient"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/indexes"
	clientset "github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned"
	informers "github.com/kube-service-catalog/catalog/pkg/generated/informers/externalversions/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// FieldManager is the field manager of the binding loop's writes.
const FieldManager = "service-catalog-binding-controller"

// Config holds what the binding loop needs.
type Config struct {
	// Client writes catalog objects.
	Client clientset.Interface
	// KubeClient writes the credentials Secrets and reads the Secrets named by
	// parametersFrom and addKeysFrom.
	KubeClient kubernetes.Interface
	// Informers of the catalog kinds; Bindings needs the ByInstance index of package
	// indexes.
	Bindings  informers.ServiceBindingInformer
	Instances informers.ServiceInstanceInformer
	Classes   informers.ClusterServiceClassInformer
	Plans     informers.ClusterServicePlanInformer
	Brokers   informers.ClusterServiceBrokerInformer
	// Namespaces gives the namespace UID sent as bind_resource.app_guid.
	Namespaces coreinformers.NamespaceInformer
	// BrokerClients builds OSB clients.
	BrokerClients *brokerclient.Manager
	// ClusterID identifies the cluster to brokers (context clusterid).
	ClusterID string
	// Recorder records events.
	Recorder record.EventRecorder
	// Backoff spaces out the attempts of failed broker calls.
	Backoff controller.Backoff
	// Polling paces the polls of asynchronous operations.
	Polling controller.Polling
	// Clock tells the time.
	Clock clock.PassiveClock
}

// Controller syncs bindings.
type Controller struct {
	cfg     Config
	loop    *controller.Controller
	writes  *controller.Writes
	pending *pendingCredentials
}

// New returns the binding loop.
func New(cfg Config, opts controller.Options) *Controller {
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	c := &Controller{cfg: cfg, writes: controller.NewWrites(), pending: newPendingCredentials()}
	c.loop = controller.New("servicebinding", c.sync, opts,
		cfg.Bindings.Informer().HasSynced, cfg.Instances.Informer().HasSynced, cfg.Classes.Informer().HasSynced,
		cfg.Plans.Informer().HasSynced, cfg.Brokers.Informer().HasSynced, cfg.Namespaces.Informer().HasSynced)
	cfg.Bindings.Informer().AddEventHandler(c.loop.EventHandler())
	// A binding waits for its instance to become Ready.
	cfg.Instances.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueueBindingsOf,
		UpdateFunc: func(_, obj interface{}) { c.enqueueBindingsOf(obj) },
		DeleteFunc: c.enqueueBindingsOf,
	})
	return c
}

// Run runs the loop until ctx ends.
func (c *Controller) Run(ctx context.Context) error { return c.loop.Run(ctx) }

// enqueueBindingsOf queues the bindings of an instance.
func (c *Controller) enqueueBindingsOf(obj interface{}) {
	if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tombstone.Obj
	}
	i, ok := obj.(*v1beta1.ServiceInstance)
	if !ok {
		return
	}
	bindings, err := c.cfg.Bindings.Informer().GetIndexer().ByIndex(indexes.ByInstance, indexes.InstanceKey(i.Namespace, i.Name))
	if err != nil {
		return
	}
	for _, b := range bindings {
		c.loop.Enqueue(b)
	}
}

func (c *Controller) sync(ctx context.Context, key cache.ObjectName) (controller.Result, error) {
	cached, err := c.cfg.Bindings.Lister().ServiceBindings(key.Namespace).Get(key.Name)
	if apierrors.IsNotFound(err) {
		c.writes.Forget(key)
		c.pending.forgetKey(key)
		return controller.Result{}, nil
	}
	if err != nil {
		return controller.Result{}, err
	}
	if c.writes.Stale(key, cached.ResourceVersion) {
		return controller.Result{}, nil // the cache has not seen our last write yet
	}
	binding := cached.DeepCopy()
	status := &binding.Status
	switch {
	case binding.DeletionTimestamp != nil || status.OrphanMitigationInProgress:
		return c.reconcileDeletion(ctx, binding)
	case status.AsyncOpInProgress:
		return c.poll(ctx, binding)
	}
	pending := status.ObservedGeneration == binding.Generation || status.CurrentOperation != ""
	if wait := controller.Remaining(status.Attempts, c.now()); wait > 0 && pending {
		return controller.Result{RequeueAfter: wait}, nil
	}
	if conditions.IsFailed(status.Conditions, binding.Generation) {
		return controller.Result{}, nil // stopped for good: the spec of a binding cannot change
	}
	if status.CurrentOperation == v1beta1.ServiceBindingOperationBind && status.ExternalProperties != nil {
		// The broker holds the binding; the Secret is still to be written.
		return c.injectPending(ctx, binding)
	}
	if status.CurrentOperation == "" && status.Binding != nil && status.ObservedGeneration == binding.Generation &&
		apimeta.IsStatusConditionTrue(status.Conditions, v1beta1.ConditionReady) {
		return controller.Result{}, nil
	}
	return c.bind(ctx, binding)
}

func (c *Controller) now() time.Time { return c.cfg.Clock.Now() }

// updateStatus writes the status and returns the stored object.
func (c *Controller) updateStatus(ctx context.Context, binding *v1beta1.ServiceBinding) (*v1beta1.ServiceBinding, error) {
	updated, err := c.cfg.Client.ServicecatalogV1beta1().ServiceBindings(binding.Namespace).UpdateStatus(ctx, binding, metav1.UpdateOptions{FieldManager: FieldManager})
	if err != nil {
		return nil, err
	}
	c.writes.Wrote(cache.MetaObjectToName(updated), updated.ResourceVersion)
	return updated, nil
}

// notReady records why a binding waits, without a broker call, and retries the key with
// the runner's backoff. The status is written only when it changes.
func (c *Controller) notReady(ctx context.Context, binding *v1beta1.ServiceBinding, reason string, cause error) (controller.Result, error) {
	if conditions.Ready(&binding.Status.Conditions, metav1.ConditionFalse, reason, cause.Error(), binding.Generation) {
		c.cfg.Recorder.Event(binding, corev1.EventTypeWarning, reason, cause.Error())
		if _, err := c.updateStatus(ctx, binding); err != nil {
			return controller.Result{}, err
		}
	}
	return controller.Result{}, fmt.Errorf("%s: %w", reason, cause)
}

// waitForInstance records that a binding waits for its instance. Instance events queue
// the binding again, so the key is not retried.
func (c *Controller) waitForInstance(ctx context.Context, binding *v1beta1.ServiceBinding, reason, message string) (controller.Result, error) {
	if conditions.Ready(&binding.Status.Conditions, metav1.ConditionFalse, reason, message, binding.Generation) {
		c.cfg.Recorder.Event(binding, corev1.EventTypeNormal, reason, message)
		if _, err := c.updateStatus(ctx, binding); err != nil {
			return controller.Result{}, err
		}
	}
	return controller.Result{}, nil
}

// retryLater records a failed broker call and when the next attempt is due.
func (c *Controller) retryLater(ctx context.Context, binding *v1beta1.ServiceBinding, reason, message string) (controller.Result, error) {
	status := &binding.Status
	wait := c.cfg.Backoff.Failed(&status.Attempts, c.now())
	message = fmt.Sprintf("%s Attempt %d failed; the next is at %s.", message, status.Attempts.Count, status.Attempts.NextAttemptTime.UTC().Format(time.RFC3339))
	conditions.Ready(&status.Conditions, metav1.ConditionFalse, reason, message, binding.Generation)
	c.cfg.Recorder.Event(binding, corev1.EventTypeWarning, reason, message)
	if _, err := c.updateStatus(ctx, binding); err != nil {
		return controller.Result{}, err
	}
	return controller.Result{RequeueAfter: wait}, nil
}

// fail stops for good: a binding's spec cannot change, so only a new binding can try
// again. unbindStatus is left to the caller: it says whether the broker may hold the
// binding, which deleting the binding then unbinds.
func (c *Controller) fail(ctx context.Context, binding *v1beta1.ServiceBinding, reason, message string) (controller.Result, error) {
	status := &binding.Status
	message += " Delete the binding and create a new one to try again."
	conditions.Ready(&status.Conditions, metav1.ConditionFalse, reason, message, binding.Generation)
	conditions.Failed(&status.Conditions, reason, message, binding.Generation)
	clearOperation(status)
	c.pending.forget(binding)
	c.cfg.Recorder.Event(binding, corev1.EventTypeWarning, reason, message)
	_, err := c.updateStatus(ctx, binding)
	return controller.Result{}, err
}

// describe returns the broker's message for a failed call, for conditions.
func describe(err error) string {
	var h *osb.HTTPStatusCodeError
	if errors.As(err, &h) && h.Description != "" {
		return fmt.Sprintf("The broker answered %d: %s", h.StatusCode, h.Description)
	}
	return "The broker call failed: " + err.Error()
}

// identity turns stored user info into the OSB originating identity.
func identity(u *v1beta1.UserInfo) *osb.OriginatingIdentity {
	if u == nil {
		return nil
	}
	id := &osb.OriginatingIdentity{Username: u.Username, UID: u.UID, Groups: u.Groups}
	if len(u.Extra) > 0 {
		id.Extra = make(map[string][]string, len(u.Extra))
		for k, v := range u.Extra {
			id.Extra[k] = v
		}
	}
	return id
}

// clearOperation ends the current operation.
func clearOperation(status *v1beta1.ServiceBindingStatus) {
	status.CurrentOperation = ""
	status.OperationStartTime = nil
	status.InProgressProperties = nil
	status.AsyncOpInProgress = false
	status.OperationKey = ""
	status.Attempts = v1beta1.OperationAttempts{}
}

// startOperation records an operation about to be sent to the broker. The attempts are
// kept: a bind tried again after orphan mitigation keeps backing off.
func (c *Controller) startOperation(status *v1beta1.ServiceBindingStatus, op v1beta1.ServiceBindingOperation, props *v1beta1.PropertiesState) {
	now := metav1.NewTime(c.now())
	status.CurrentOperation = op
	status.OperationStartTime = &now
	status.InProgressProperties = props
	status.AsyncOpInProgress = false
	status.OperationKey = ""
}

// sameRequest tells whether two recorded bind requests send the same thing.
func sameRequest(a, b *v1beta1.PropertiesState) bool {
	return a != nil && b != nil && a.ParameterChecksum == b.ParameterChecksum &&
		(a.UserInfo == nil) == (b.UserInfo == nil) && (a.UserInfo == nil || a.UserInfo.UID == b.UserInfo.UID && a.UserInfo.Username == b.UserInfo.Username)
}

// logger returns the sync's logger with the binding's broker request identity.
func logger(ctx context.Context, requestIdentity string) klog.Logger {
	return klog.FromContext(ctx).WithValues("requestIdentity", requestIdentity)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
