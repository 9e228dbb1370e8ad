// Package serviceinstance is the control loop of ServiceInstances: it provisions, updates
// and deprovisions instances at their brokers, polls asynchronous operations, and cleans
// up after failed provisions, as the Open Service Broker API asks of a platform.
//
// Everything needed to resume after a restart lives in the instance's status: the
// operation in flight and what it sent, the broker's operation key, and when the next
// attempt of a failed call is due.
package serviceinstance

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
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
	"github.com/kube-service-catalog/catalog/pkg/controller/parameters"
	clientset "github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned"
	informers "github.com/kube-service-catalog/catalog/pkg/generated/informers/externalversions/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// FieldManager is the field manager of the instance loop's writes.
const FieldManager = "service-catalog-instance-controller"

// Config holds what the instance loop needs.
type Config struct {
	// Client writes catalog objects.
	Client clientset.Interface
	// KubeClient reads the Secrets named by parametersFrom.
	KubeClient kubernetes.Interface
	// Informers of the catalog kinds, with the indexes of package indexes.
	Instances informers.ServiceInstanceInformer
	Bindings  informers.ServiceBindingInformer
	Classes   informers.ClusterServiceClassInformer
	Plans     informers.ClusterServicePlanInformer
	Brokers   informers.ClusterServiceBrokerInformer
	// Namespaces gives the namespace UID sent as space_guid.
	Namespaces coreinformers.NamespaceInformer
	// BrokerClients builds OSB clients.
	BrokerClients *brokerclient.Manager
	// ClusterID identifies the cluster to brokers (context clusterid, organization_guid).
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

// Controller syncs instances.
type Controller struct {
	cfg    Config
	loop   *controller.Controller
	writes *controller.Writes
}

// New returns the instance loop.
func New(cfg Config, opts controller.Options) *Controller {
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	registerMetrics()
	c := &Controller{cfg: cfg, writes: controller.NewWrites()}
	c.loop = controller.New("serviceinstance", c.sync, opts,
		cfg.Instances.Informer().HasSynced, cfg.Bindings.Informer().HasSynced, cfg.Classes.Informer().HasSynced,
		cfg.Plans.Informer().HasSynced, cfg.Brokers.Informer().HasSynced, cfg.Namespaces.Informer().HasSynced)
	cfg.Instances.Informer().AddEventHandler(c.loop.EventHandler())
	// The deletion of an instance waits for its bindings to go.
	cfg.Bindings.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{DeleteFunc: c.enqueueInstanceOf})
	return c
}

// Run runs the loop until ctx ends.
func (c *Controller) Run(ctx context.Context) error { return c.loop.Run(ctx) }

func (c *Controller) enqueueInstanceOf(obj interface{}) {
	if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tombstone.Obj
	}
	if b, ok := obj.(*v1beta1.ServiceBinding); ok {
		c.loop.EnqueueKey(cache.ObjectName{Namespace: b.Namespace, Name: b.Spec.InstanceRef.Name})
	}
}

func (c *Controller) sync(ctx context.Context, key cache.ObjectName) (controller.Result, error) {
	cached, err := c.cfg.Instances.Lister().ServiceInstances(key.Namespace).Get(key.Name)
	if apierrors.IsNotFound(err) {
		c.writes.Forget(key)
		return controller.Result{}, nil
	}
	if err != nil {
		return controller.Result{}, err
	}
	if c.writes.Stale(key, cached.ResourceVersion) {
		return controller.Result{}, nil // the cache has not seen our last write yet
	}
	instance := cached.DeepCopy()
	status := &instance.Status
	switch {
	case instance.DeletionTimestamp != nil || status.OrphanMitigationInProgress:
		return c.reconcileDeletion(ctx, instance)
	case status.AsyncOpInProgress:
		return c.poll(ctx, instance)
	}
	pending := status.ObservedGeneration == instance.Generation || status.CurrentOperation != ""
	if wait := controller.Remaining(status.Attempts, c.now()); wait > 0 && pending {
		return controller.Result{RequeueAfter: wait}, nil
	}
	if conditions.IsFailed(status.Conditions, instance.Generation) {
		return controller.Result{}, nil // stopped for good until the spec changes
	}
	switch {
	case status.ProvisionStatus != v1beta1.ServiceInstanceProvisionStatusProvisioned:
		return c.provision(ctx, instance)
	case status.ObservedGeneration != instance.Generation || status.CurrentOperation == v1beta1.ServiceInstanceOperationUpdate:
		return c.update(ctx, instance)
	}
	return controller.Result{}, nil
}

func (c *Controller) now() time.Time { return c.cfg.Clock.Now() }

// updateStatus writes the status and returns the stored object.
func (c *Controller) updateStatus(ctx context.Context, instance *v1beta1.ServiceInstance) (*v1beta1.ServiceInstance, error) {
	updated, err := c.cfg.Client.ServicecatalogV1beta1().ServiceInstances(instance.Namespace).UpdateStatus(ctx, instance, metav1.UpdateOptions{FieldManager: FieldManager})
	if err != nil {
		return nil, err
	}
	c.writes.Wrote(cache.MetaObjectToName(updated), updated.ResourceVersion)
	return updated, nil
}

// notReady records why an instance waits, without a broker call, and retries the key
// with the runner's backoff. The status is written only when it changes.
func (c *Controller) notReady(ctx context.Context, instance *v1beta1.ServiceInstance, reason string, cause error) (controller.Result, error) {
	if conditions.Ready(&instance.Status.Conditions, metav1.ConditionFalse, reason, cause.Error(), instance.Generation) {
		c.cfg.Recorder.Event(instance, corev1.EventTypeWarning, reason, cause.Error())
		if _, err := c.updateStatus(ctx, instance); err != nil {
			return controller.Result{}, err
		}
	}
	return controller.Result{}, fmt.Errorf("%s: %w", reason, cause)
}

// retryLater records a failed broker call and when the next attempt is due.
func (c *Controller) retryLater(ctx context.Context, instance *v1beta1.ServiceInstance, reason, message string) (controller.Result, error) {
	status := &instance.Status
	wait := c.cfg.Backoff.Failed(&status.Attempts, c.now())
	message = fmt.Sprintf("%s Attempt %d failed; the next is at %s.", message, status.Attempts.Count, status.Attempts.NextAttemptTime.UTC().Format(time.RFC3339))
	conditions.Ready(&status.Conditions, metav1.ConditionFalse, reason, message, instance.Generation)
	c.cfg.Recorder.Event(instance, corev1.EventTypeWarning, reason, message)
	if _, err := c.updateStatus(ctx, instance); err != nil {
		return controller.Result{}, err
	}
	return controller.Result{RequeueAfter: wait}, nil
}

// fail stops retrying until the spec changes: the broker refused the request.
func (c *Controller) fail(ctx context.Context, instance *v1beta1.ServiceInstance, reason, message string) (controller.Result, error) {
	status := &instance.Status
	message += " Change the spec to try again."
	conditions.Ready(&status.Conditions, metav1.ConditionFalse, reason, message, instance.Generation)
	conditions.Failed(&status.Conditions, reason, message, instance.Generation)
	status.CurrentOperation = ""
	status.OperationStartTime = nil
	status.InProgressProperties = nil
	status.AsyncOpInProgress = false
	status.OperationKey = ""
	status.Attempts = v1beta1.OperationAttempts{}
	c.cfg.Recorder.Event(instance, corev1.EventTypeWarning, reason, message)
	_, err := c.updateStatus(ctx, instance)
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

// brokerClient returns the broker's client, or a reason why there is none.
func (c *Controller) brokerClient(ctx context.Context, broker *v1beta1.ClusterServiceBroker) (osb.Client, error) {
	return c.cfg.BrokerClients.ClientFor(ctx, broker)
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

// requestContext is the Kubernetes context object of provision and update requests.
func (c *Controller) requestContext(instance *v1beta1.ServiceInstance) *osb.Context {
	return &osb.Context{
		Platform:     osb.PlatformKubernetes,
		Namespace:    instance.Namespace,
		ClusterID:    c.cfg.ClusterID,
		InstanceName: instance.Name,
	}
}

// spaceGUID is the namespace's UID, sent as the deprecated but required space_guid.
func (c *Controller) spaceGUID(namespace string) (string, error) {
	ns, err := c.cfg.Namespaces.Lister().Get(namespace)
	if err != nil {
		return "", fmt.Errorf("reading namespace %s: %w", namespace, err)
	}
	return string(ns.UID), nil
}

// properties records what a request sends, without secret values.
func properties(r *resolved, params *parameters.Parameters, user *v1beta1.UserInfo) *v1beta1.ServiceInstancePropertiesState {
	p := &v1beta1.ServiceInstancePropertiesState{
		ClusterServiceClassExternalID:  r.class.Spec.ExternalID,
		ClusterServicePlanExternalName: r.plan.Spec.ExternalName,
		ClusterServicePlanExternalID:   r.plan.Spec.ExternalID,
		PropertiesState: v1beta1.PropertiesState{
			Parameters:        params.RedactedRaw(),
			ParameterChecksum: params.Checksum,
			UserInfo:          user.DeepCopy(),
		},
	}
	if mi := r.plan.Spec.MaintenanceInfo; mi != nil {
		p.MaintenanceInfoVersion = mi.Version
	}
	return p
}

// sameRequest tells whether two recorded requests send the same thing.
func sameRequest(a, b *v1beta1.ServiceInstancePropertiesState) bool {
	return a != nil && b != nil &&
		a.ClusterServicePlanExternalID == b.ClusterServicePlanExternalID &&
		a.ParameterChecksum == b.ParameterChecksum &&
		a.MaintenanceInfoVersion == b.MaintenanceInfoVersion &&
		(a.UserInfo == nil) == (b.UserInfo == nil) && (a.UserInfo == nil || a.UserInfo.UID == b.UserInfo.UID && a.UserInfo.Username == b.UserInfo.Username)
}

// setResolved records the class, plan and broker the spec resolved to.
func setResolved(status *v1beta1.ServiceInstanceStatus, r *resolved) {
	status.ClusterServiceClassRef = &v1beta1.ClusterObjectReference{Name: r.class.Name}
	status.ClusterServicePlanRef = &v1beta1.ClusterObjectReference{Name: r.plan.Name}
	status.ClusterServiceBrokerName = r.broker.Name
}

// clearOperation ends the current operation.
func clearOperation(status *v1beta1.ServiceInstanceStatus) {
	status.CurrentOperation = ""
	status.OperationStartTime = nil
	status.InProgressProperties = nil
	status.AsyncOpInProgress = false
	status.OperationKey = ""
	status.Attempts = v1beta1.OperationAttempts{}
}

// startOperation records an operation about to be sent to the broker.
func (c *Controller) startOperation(status *v1beta1.ServiceInstanceStatus, op v1beta1.ServiceInstanceOperation, props *v1beta1.ServiceInstancePropertiesState) {
	now := metav1.NewTime(c.now())
	status.CurrentOperation = op
	status.OperationStartTime = &now
	status.InProgressProperties = props
	status.AsyncOpInProgress = false
	status.OperationKey = ""
}

// logger returns the sync's logger with the instance's broker request identity.
func logger(ctx context.Context, requestIdentity string) klog.Logger {
	return klog.FromContext(ctx).WithValues("requestIdentity", requestIdentity)
}
