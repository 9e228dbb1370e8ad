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
//   - an "endpoints" key is added when the broker's answer has endpoints, unless the
//     credentials have one: their JSON list of {"host", "ports", "protocol"} objects,
//     ports as strings and the protocol "tcp" when the broker gave none;
//   - spec.secretTransforms are applied in order; a JSONPath of addKey is evaluated
//     against the broker's credentials object as the broker sent it, with the endpoints
//     added as above;
//   - the Secret's type is "servicebinding.io/<type>" when the final "type" key is a DNS
//     subdomain, as that specification recommends, and Opaque otherwise.
//
// What else the broker's answer (to the bind, or to GET binding) says goes to
// status.credentials: expires_at and renew_before, the syslog drain and route service
// URLs (with any password hidden) and the volume mounts (without their mount_config).
// The catalog streams no logs, routes nothing and mounts no volumes; it records what the
// broker asked. Unbinding clears it. docs/bindings.md describes all of it for users.
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
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/indexes"
	"github.com/kube-service-catalog/catalog/pkg/controller/operation"
)

// FieldManager is the field manager of the binding loop's writes.
const FieldManager = "service-catalog-binding-controller"

// Config holds what the binding loop needs.
type Config = operation.Config

// Controller syncs bindings.
type Controller struct {
	cfg     Config
	loop    *controller.Controller
	ops     *operation.Engine[*v1beta1.ServiceBinding]
	pending *pendingCredentials
}

// New returns the binding loop.
func New(cfg Config, opts controller.Options) *Controller {
	c := &Controller{cfg: cfg.Complete(), pending: newPendingCredentials()}
	writer := controller.NewWriter(FieldManager, func(ns string) controller.Client[*v1beta1.ServiceBinding] {
		return c.cfg.Client.ServicecatalogV1beta1().ServiceBindings(ns)
	})
	c.ops = operation.New(c.kind(), writer, c.cfg)
	c.loop = controller.New("servicebinding", c.sync, opts, cfg.Synced()...)
	c.loop.Watch(cfg.Bindings.Informer())
	// A binding waits for its instance to become Ready.
	enqueue := controller.EnqueueRelated(c.loop, c.bindingsOf)
	c.loop.Handle(cfg.Instances.Informer(), cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue, UpdateFunc: func(_, obj interface{}) { enqueue(obj) }, DeleteFunc: enqueue,
	})
	// A credentials Secret deleted by hand is written again.
	if cfg.Secrets != nil {
		c.loop.Handle(cfg.Secrets.Informer(), cache.ResourceEventHandlerFuncs{DeleteFunc: controller.EnqueueRelated(c.loop, owningBinding)})
	}
	return c
}

// kind tells the operation engine how bindings keep their operations.
func (c *Controller) kind() operation.Kind[*v1beta1.ServiceBinding] {
	return operation.Kind[*v1beta1.ServiceBinding]{
		Noun: "binding", Record: operationRecord, FailAdvice: "Delete the binding and create a new one to try again.",
		BusyMessage: "The broker is busy with another operation on the instance or binding.",
		Forget:      c.pending.forget,
		ForgetKey:   c.pending.forgetKey,
		ExternalID:  brokerBindingID,
		Ledger:      c.ledgerEntry,
	}
}

// Run runs the loop until ctx ends.
func (c *Controller) Run(ctx context.Context) error { return c.loop.Run(ctx) }

// bindingsOf returns the keys of an instance's bindings.
func (c *Controller) bindingsOf(i *v1beta1.ServiceInstance) []cache.ObjectName {
	bindings, _ := c.cfg.Bindings.Informer().GetIndexer().ByIndex(indexes.ByInstance, indexes.InstanceKey(i.Namespace, i.Name))
	keys := make([]cache.ObjectName, 0, len(bindings))
	for _, b := range bindings {
		keys = append(keys, cache.MetaObjectToName(b.(*v1beta1.ServiceBinding)))
	}
	return keys
}

func (c *Controller) sync(ctx context.Context, key cache.ObjectName) (controller.Result, error) {
	binding, result, done, err := c.ops.Load(ctx, key, func() (*v1beta1.ServiceBinding, error) {
		return c.cfg.Bindings.Lister().ServiceBindings(key.Namespace).Get(key.Name)
	}, unbinder{c})
	if done {
		return result, err
	}
	status := &binding.Status
	if status.CurrentOperation == v1beta1.ServiceBindingOperationBind && status.ExternalProperties != nil {
		// The broker holds the binding; the Secret is still to be written.
		return c.injectPending(ctx, binding)
	}
	if status.Rotation != nil {
		return c.rotate(ctx, binding, status.Rotation.Reason)
	}
	if holdsCredentials(binding) {
		return c.maintain(ctx, binding)
	}
	return c.bind(ctx, binding)
}

// rotateIf rotates stale credentials, unless err.
func (c *Controller) rotateIf(ctx context.Context, binding *v1beta1.ServiceBinding, stale bool, err error) (controller.Result, error) {
	if err != nil || !stale {
		return controller.Result{}, err
	}
	return c.rotate(ctx, binding, rotationStale)
}

// maintain keeps a bound binding's credentials: it rotates them when asked, when the
// broker said they expire, or when they are stale and the binding asks for it, unbinds the bindings a rotation replaced once their overlap
// window ended, and writes the Secret again if it was deleted.
func (c *Controller) maintain(ctx context.Context, binding *v1beta1.ServiceBinding) (controller.Result, error) {
	now := c.ops.Now()
	reason, at := rotationDue(binding, now)
	if reason != "" {
		return c.rotate(ctx, binding, reason)
	}
	// Resolved once for the checks below; each skips what it cannot do without it.
	r, _ := c.resolve(binding)
	binding, stale, err := c.checkStale(ctx, binding, r)
	if err != nil || stale {
		return c.rotateIf(ctx, binding, stale, err)
	}
	binding, next, err := c.unbindPredecessors(ctx, binding, r, false)
	if err != nil {
		return controller.Result{}, err
	}
	result, err := c.restoreSecret(ctx, binding)
	if err == nil && result == (controller.Result{}) {
		result, err = c.checkAtBroker(ctx, binding, r)
	}
	if !at.IsZero() {
		result = controller.Sooner(result, controller.Result{RequeueAfter: max(at.Sub(now), time.Second)})
	}
	if next > 0 {
		result = controller.Sooner(result, controller.Result{RequeueAfter: next})
	}
	return result, err
}

// restoreSecret writes the credentials Secret of a Ready binding again when it was
// deleted: the credentials are fetched again from the broker where it can hand them out,
// else the binding is made again at the broker (see injectPending). The informer's word
// is checked with the API first: it may not have seen a Secret just written, or one
// written before Secrets were labelled, which gets its label now.
func (c *Controller) restoreSecret(ctx context.Context, binding *v1beta1.ServiceBinding) (controller.Result, error) {
	if c.cfg.Secrets == nil {
		return controller.Result{}, nil
	}
	name := binding.Status.Binding.Name
	if _, err := c.cfg.Secrets.Lister().Secrets(binding.Namespace).Get(name); !apierrors.IsNotFound(err) {
		return controller.Result{}, nil
	}
	owned, err := ownedSecret(ctx, c.cfg.KubeClient.CoreV1(), binding)
	switch {
	case err != nil:
		return controller.Result{}, err
	case owned != nil && !labelled(owned, binding):
		return controller.Result{}, labelSecret(ctx, c.cfg.KubeClient.CoreV1(), binding, owned.DeepCopy())
	case owned != nil:
		return controller.Result{}, nil
	}
	status := &binding.Status
	status.CurrentOperation = v1beta1.ServiceBindingOperationBind
	status.InProgressProperties = status.ExternalProperties
	binding, err = c.ops.Report(ctx, binding, false, conditions.SecretMissing,
		fmt.Sprintf("The Secret %q that held the credentials was deleted; writing it again.", name))
	if err != nil {
		return controller.Result{}, err
	}
	return c.injectPending(ctx, binding)
}

// owningBinding returns the binding whose credentials a Secret holds, from its
// controller reference.
func owningBinding(secret *corev1.Secret) []cache.ObjectName {
	ref := metav1.GetControllerOf(secret)
	if ref == nil || ref.Kind != "ServiceBinding" || !strings.HasPrefix(ref.APIVersion, v1beta1.GroupName+"/") {
		return nil
	}
	return []cache.ObjectName{{Namespace: secret.Namespace, Name: ref.Name}}
}

// begin records a bind or unbind about to be sent to the broker, with what it sends.
func (c *Controller) begin(binding *v1beta1.ServiceBinding, op v1beta1.ServiceBindingOperation, props *v1beta1.PropertiesState) {
	c.ops.Begin(binding)
	binding.Status.CurrentOperation = op
	binding.Status.InProgressProperties = props
}

// sameRequest tells whether two recorded bind requests send the same thing.
func sameRequest(a, b *v1beta1.PropertiesState) bool {
	return a != nil && b != nil && a.ParameterChecksum == b.ParameterChecksum &&
		(a.UserInfo == nil) == (b.UserInfo == nil) && (a.UserInfo == nil || a.UserInfo.UID == b.UserInfo.UID && a.UserInfo.Username == b.UserInfo.Username)
}

// operationRecord points the operation engine at the binding's status.
func operationRecord(b *v1beta1.ServiceBinding) operation.Record {
	s := &b.Status
	return operation.Record{
		Conditions: &s.Conditions, ObservedGeneration: &s.ObservedGeneration, Operation: &s.OperationStatus,
		Current: string(s.CurrentOperation), End: func() { s.CurrentOperation, s.InProgressProperties = "", nil },
	}
}
