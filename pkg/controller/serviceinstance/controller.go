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
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	"k8s.io/client-go/tools/cache"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/validation"
	"github.com/kube-service-catalog/catalog/pkg/catalog"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/indexes"
	"github.com/kube-service-catalog/catalog/pkg/controller/operation"
	"github.com/kube-service-catalog/catalog/pkg/osb"
	"github.com/kube-service-catalog/catalog/pkg/parameters"
)

// FieldManager is the field manager of the instance loop's writes.
const FieldManager = "service-catalog-instance-controller"

// Config holds what the instance loop needs.
type Config = operation.Config

// Controller syncs instances.
type Controller struct {
	cfg  Config
	loop *controller.Controller
	ops  *operation.Engine[*v1beta1.ServiceInstance]
	// provisions are the broker's answers to provisions not yet written to status.
	provisions *operation.Answers[provisionAnswer]
	// unclearChecks counts, per interrupted provision, the checks with the broker that
	// settled nothing (see heldAlready). A restarted controller counts from zero again,
	// so it checks more, never fewer, times before it sends the provision again.
	unclearChecks *operation.Answers[int]
}

// New returns the instance loop.
func New(cfg Config, opts controller.Options) *Controller {
	registerMetrics()
	c := &Controller{cfg: cfg.Complete(), provisions: operation.NewAnswers[provisionAnswer](), unclearChecks: operation.NewAnswers[int]()}
	writer := controller.NewWriter(FieldManager, func(ns string) controller.Client[*v1beta1.ServiceInstance] {
		return c.cfg.Client.ServicecatalogV1beta1().ServiceInstances(ns)
	})
	c.ops = operation.New(c.kind(), writer, c.cfg)
	c.loop = controller.New("serviceinstance", c.sync, opts, cfg.Synced()...)
	c.loop.Watch(cfg.Instances.Informer())
	// A plan's new maintenance is shown on its instances.
	for _, s := range []catalog.Scope{catalog.ClusterScope, catalog.NamespaceScope} {
		c.loop.Handle(c.cfg.Catalog.PlanInformer(s), cache.ResourceEventHandlerFuncs{UpdateFunc: func(_, obj interface{}) {
			controller.EnqueueRelated(c.loop, c.instancesOf)(obj)
		}})
	}
	// The deletion of an instance waits for its bindings to go.
	// An update waits for the bindings' operations to end.
	// The status lists the bindings of other namespaces.
	instanceOf := controller.EnqueueRelated(c.loop, func(b *v1beta1.ServiceBinding) []cache.ObjectName {
		return []cache.ObjectName{{Namespace: b.InstanceNamespace(), Name: b.Spec.InstanceRef.Name}}
	})
	c.loop.Handle(cfg.Bindings.Informer(), cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj interface{}) {
			if b, ok := obj.(*v1beta1.ServiceBinding); ok && b.SharesInstance() {
				instanceOf(obj)
			}
		},
		UpdateFunc: func(old, obj interface{}) {
			if o, ok := old.(*v1beta1.ServiceBinding); ok && o.Status.CurrentOperation != "" {
				instanceOf(obj)
			}
		},
		DeleteFunc: instanceOf,
	})
	return c
}

// kind tells the operation engine how instances keep their operations.
func (c *Controller) kind() operation.Kind[*v1beta1.ServiceInstance] {
	return operation.Kind[*v1beta1.ServiceInstance]{
		Noun: "instance", Record: operationRecord, FailAdvice: "Change the spec to try again.",
		BusyMessage: "The broker is busy with another operation on the instance.",
		ForgetKey: func(key cache.ObjectName) {
			c.provisions.Forget(key)
			c.unclearChecks.Forget(key)
		},
		ExternalID: func(i *v1beta1.ServiceInstance) string { return i.Spec.ExternalID },
		Ledger: func(i *v1beta1.ServiceInstance) (string, v1beta1.AbandonedResource) {
			return indexes.Resolved(i).Broker, v1beta1.AbandonedResource{Kind: "ServiceInstance", InstanceID: i.Spec.ExternalID}
		},
	}
}

// Run runs the loop until ctx ends.
func (c *Controller) Run(ctx context.Context) error { return c.loop.Run(ctx) }

func (c *Controller) sync(ctx context.Context, key cache.ObjectName) (controller.Result, error) {
	instance, result, done, err := c.ops.Load(ctx, key, func() (*v1beta1.ServiceInstance, error) {
		return c.cfg.Instances.Lister().ServiceInstances(key.Namespace).Get(key.Name)
	}, deprovisioner{c})
	if done {
		return result, err
	}
	if instance, err = c.noteSharing(ctx, instance); err != nil {
		return controller.Result{}, err
	}
	status := &instance.Status
	switch {
	case status.ProvisionStatus != v1beta1.ServiceInstanceProvisionStatusProvisioned:
		return c.provision(ctx, instance)
	case status.ObservedGeneration != instance.Generation || status.CurrentOperation == v1beta1.ServiceInstanceOperationUpdate ||
		brokerStateUnknown(status.ExternalProperties):
		return c.update(ctx, instance)
	}
	if err := c.noteMaintenance(ctx, instance); err != nil {
		return controller.Result{}, err
	}
	checked, err := c.checkAtBroker(ctx, instance)
	if err != nil {
		return checked, err
	}
	result, err = c.checkSecrets(ctx, instance)
	return controller.Sooner(result, checked), err
}

// ParametersFromAnnotation set to "manual" on an instance turns off sending changed values
// of its parametersFrom Secrets: they are then sent when spec.updateRequests is bumped.
const ParametersFromAnnotation = "servicecatalog.k8s.io/parameters-from-secrets"

// checkSecrets reads the Secrets the instance's parametersFrom names every
// SecretsCheckPeriod and sends their changed values to the broker as an update: the
// checksum in status.externalProperties tells what the broker has. Secrets are not
// watched: the catalog never caches every Secret of the cluster.
func (c *Controller) checkSecrets(ctx context.Context, instance *v1beta1.ServiceInstance) (controller.Result, error) {
	if len(instance.Spec.ParametersFrom) == 0 || instance.Annotations[ParametersFromAnnotation] == "manual" || instance.Status.ExternalProperties == nil {
		return controller.Result{}, nil
	}
	params, err := parameters.Build(ctx, c.cfg.KubeClient.CoreV1(), instance.Namespace, instance.Spec.Parameters, instance.Spec.ParametersFrom)
	if err == nil && params.Checksum != instance.Status.ExternalProperties.ParameterChecksum {
		klog.FromContext(ctx).V(2).Info("The values of parametersFrom Secrets changed; updating", "instance", klog.KObj(instance))
		return c.update(ctx, instance)
	}
	return controller.Result{RequeueAfter: c.cfg.SecretsCheckPeriod}, nil
}

// noteMaintenance records the maintenance the instance's plan offers that it is not at.
func (c *Controller) noteMaintenance(ctx context.Context, instance *v1beta1.ServiceInstance) error {
	plan, err := c.statusPlan(instance)
	if err != nil || !noteAvailableMaintenance(instance, plan) {
		return nil
	}
	_, err = c.ops.UpdateStatus(ctx, instance)
	return err
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
func properties(r *resolved, params *parameters.Parameters, user *v1beta1.UserInfo, maintenance string) *v1beta1.ServiceInstancePropertiesState {
	return &v1beta1.ServiceInstancePropertiesState{
		ClusterServiceClassExternalID:  r.class.Spec.ExternalID,
		ClusterServicePlanExternalName: r.plan.Spec.ExternalName,
		ClusterServicePlanExternalID:   r.plan.Spec.ExternalID,
		MaintenanceInfoVersion:         maintenance,
		PropertiesState: v1beta1.PropertiesState{
			Parameters:        params.RedactedRaw(),
			ParameterChecksum: params.Checksum,
			UserInfo:          user.DeepCopy(),
			PlanDigest:        r.plan.Status.CatalogDigest,
			PlanRetrievalTime: r.plan.Status.LastCatalogRetrievalTime.DeepCopy(),
		},
	}
}

// madeBy records, in what a request sent, the identity of the request the broker
// answered first: the one that made the instance as it is, which a poll does not replace.
func madeBy(props *v1beta1.ServiceInstancePropertiesState, requestIdentity string) *v1beta1.ServiceInstancePropertiesState {
	if props != nil {
		operation.MadeBy(&props.PropertiesState, requestIdentity)
	}
	return props
}

// sameRequest tells whether two recorded requests send the same thing.
func sameRequest(a, b *v1beta1.ServiceInstancePropertiesState) bool {
	return a != nil && b != nil &&
		a.ClusterServicePlanExternalID == b.ClusterServicePlanExternalID &&
		a.ParameterChecksum == b.ParameterChecksum &&
		a.MaintenanceInfoVersion == b.MaintenanceInfoVersion &&
		(a.UserInfo == nil) == (b.UserInfo == nil) && (a.UserInfo == nil || a.UserInfo.UID == b.UserInfo.UID && a.UserInfo.Username == b.UserInfo.Username)
}

// setResolved records the class, plan and broker the spec resolved to, in the fields of
// their scope.
func setResolved(status *v1beta1.ServiceInstanceStatus, r *resolved) {
	status.ClusterServiceClassRef, status.ClusterServicePlanRef, status.ClusterServiceBrokerName = nil, nil, ""
	status.ServiceClassRef, status.ServicePlanRef, status.ServiceBrokerName = nil, nil, ""
	if r.class.Scope == catalog.NamespaceScope {
		status.ServiceClassRef = &v1beta1.LocalObjectReference{Name: r.class.Name}
		status.ServicePlanRef = &v1beta1.LocalObjectReference{Name: r.plan.Name}
		status.ServiceBrokerName = r.broker.Name
		return
	}
	status.ClusterServiceClassRef = &v1beta1.ClusterObjectReference{Name: r.class.Name}
	status.ClusterServicePlanRef = &v1beta1.ClusterObjectReference{Name: r.plan.Name}
	status.ClusterServiceBrokerName = r.broker.Name
}

// begin records an operation about to be sent to the broker, with what it sends.
func (c *Controller) begin(instance *v1beta1.ServiceInstance, op v1beta1.ServiceInstanceOperation, props *v1beta1.ServiceInstancePropertiesState) {
	c.ops.Begin(instance)
	instance.Status.CurrentOperation = op
	instance.Status.InProgressProperties = props
}

// instancesOf returns the keys of the instances on a plan of either scope.
func (c *Controller) instancesOf(obj catalog.Object) []cache.ObjectName {
	plan, ok := catalog.PlanOf(obj)
	if !ok {
		return nil
	}
	instances, _ := c.cfg.Instances.Informer().GetIndexer().ByIndex(indexes.ByPlan, plan.Key())
	keys := make([]cache.ObjectName, 0, len(instances))
	for _, i := range instances {
		keys = append(keys, cache.MetaObjectToName(i.(*v1beta1.ServiceInstance)))
	}
	return keys
}

// operationRecord points the operation engine at the instance's status.
func operationRecord(i *v1beta1.ServiceInstance) operation.Record {
	s := &i.Status
	return operation.Record{
		Conditions: &s.Conditions, ObservedGeneration: &s.ObservedGeneration, Operation: &s.OperationStatus,
		Current: string(s.CurrentOperation), End: func() { s.CurrentOperation, s.InProgressProperties = "", nil },
	}
}

// setDashboard records the dashboard URL the broker sent; none keeps the one it sent
// before. A URL longer than status holds is left out, and an event says so: writing it
// would fail the status write that records the broker's answer.
func (c *Controller) setDashboard(instance *v1beta1.ServiceInstance, url *string) {
	switch {
	case url == nil:
	case len(*url) > validation.MaxDashboardURLLength:
		c.cfg.Recorder.Eventf(instance, corev1.EventTypeWarning, "DashboardURLTooLong",
			"The broker's dashboard_url is %d characters long, over the limit of %d; it is not shown.", len(*url), validation.MaxDashboardURLLength)
	default:
		instance.Status.DashboardURL = *url
	}
}
