// Package broker is the control loop of ClusterServiceBrokers: it fetches each broker's
// catalog and publishes its offerings and plans as ClusterServiceClasses and
// ClusterServicePlans.
package broker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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

// FieldManager is the field manager of the broker loop's writes.
const FieldManager = "service-catalog-broker-controller"

// Config holds what the broker loop needs.
type Config struct {
	// Client writes catalog objects.
	Client clientset.Interface
	// Brokers, Classes, Plans and Instances are the informers of the catalog kinds, with
	// the indexes of package indexes.
	Brokers   informers.ClusterServiceBrokerInformer
	Classes   informers.ClusterServiceClassInformer
	Plans     informers.ClusterServicePlanInformer
	Instances informers.ServiceInstanceInformer
	// BrokerClients builds OSB clients.
	BrokerClients *brokerclient.Manager
	// Recorder records events.
	Recorder record.EventRecorder
	// DefaultRelistDuration applies to brokers whose spec sets none.
	DefaultRelistDuration time.Duration
	// Backoff spaces out failed catalog fetches.
	Backoff controller.Backoff
	// Clock tells the time.
	Clock clock.PassiveClock
}

// Controller syncs brokers.
type Controller struct {
	cfg    Config
	loop   *controller.Controller
	writer *controller.Writer[*v1beta1.ClusterServiceBroker]
	// classes and plans publish the catalog's entries.
	classes entries[*v1beta1.ClusterServiceClass, v1beta1.ClusterServiceClassSpec]
	plans   entries[*v1beta1.ClusterServicePlan, v1beta1.ClusterServicePlanSpec]
	// relists are the brokers whose catalog RequestRelist asked for; enqueue queues a
	// broker.
	relists relistRequests
	enqueue func(cache.ObjectName)
}

// New returns the broker loop.
func New(cfg Config, opts controller.Options) *Controller {
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	c := &Controller{cfg: cfg}
	c.classes, c.plans = newEntries(cfg)
	c.writer = controller.NewWriter(FieldManager, func(string) controller.Client[*v1beta1.ClusterServiceBroker] {
		return cfg.Client.ServicecatalogV1beta1().ClusterServiceBrokers()
	})
	c.loop = controller.New("broker", c.sync, opts,
		cfg.Brokers.Informer().HasSynced, cfg.Classes.Informer().HasSynced,
		cfg.Plans.Informer().HasSynced, cfg.Instances.Informer().HasSynced)
	c.enqueue = c.loop.EnqueueKey
	c.loop.Watch(cfg.Brokers.Informer())
	// A deleted instance may unblock the deletion of its broker or of a removed plan.
	c.loop.Handle(cfg.Instances.Informer(), cache.ResourceEventHandlerFuncs{DeleteFunc: controller.EnqueueRelated(c.loop,
		func(i *v1beta1.ServiceInstance) []cache.ObjectName {
			if i.Status.ClusterServiceBrokerName == "" {
				return nil
			}
			return []cache.ObjectName{{Name: i.Status.ClusterServiceBrokerName}}
		})})
	return c
}

// Run runs the loop until ctx ends.
func (c *Controller) Run(ctx context.Context) error { return c.loop.Run(ctx) }

func (c *Controller) sync(ctx context.Context, key cache.ObjectName) (controller.Result, error) {
	broker, ok, err := c.writer.Fetch(key, func() (*v1beta1.ClusterServiceBroker, error) {
		b, err := c.cfg.Brokers.Lister().Get(key.Name)
		if apierrors.IsNotFound(err) {
			c.cfg.BrokerClients.Forget(key.Name)
			c.relists.forget(key.Name)
		}
		return b, err
	})
	if !ok {
		return controller.Result{}, err
	}
	if broker.DeletionTimestamp != nil {
		return c.syncDeletion(ctx, broker)
	}
	now := c.cfg.Clock.Now()
	if !c.relistDue(broker, now) {
		return controller.Result{RequeueAfter: c.untilRelist(broker, now)}, c.deleteUnusedRemoved(ctx, broker)
	}
	if wait := controller.Remaining(broker.Status.Attempts, now); wait > 0 && broker.Status.ObservedGeneration == broker.Generation {
		return controller.Result{RequeueAfter: wait}, nil
	}
	return c.relist(ctx, broker)
}

// relistDue tells whether the catalog must be fetched: the spec changed (a relistRequests
// bump changes it), the last fetch failed, another loop asked for it (RequestRelist), or
// the relist period passed.
func (c *Controller) relistDue(broker *v1beta1.ClusterServiceBroker, now time.Time) bool {
	if broker.Status.ObservedGeneration != broker.Generation || !apimeta.IsStatusConditionTrue(broker.Status.Conditions, v1beta1.ConditionReady) ||
		c.relists.pending(broker.Name) {
		return true
	}
	return c.untilRelist(broker, now) == 0 && broker.Spec.RelistBehavior != v1beta1.ServiceBrokerRelistBehaviorManual
}

// untilRelist returns the time left until the next periodic fetch: zero when it is due,
// and zero for a manual broker, which is never fetched by time (zero asks for no requeue).
func (c *Controller) untilRelist(broker *v1beta1.ClusterServiceBroker, now time.Time) time.Duration {
	if broker.Spec.RelistBehavior == v1beta1.ServiceBrokerRelistBehaviorManual {
		return 0
	}
	period := c.cfg.DefaultRelistDuration
	if broker.Spec.RelistDuration != nil {
		period = broker.Spec.RelistDuration.Duration
	}
	last := broker.Status.LastCatalogRetrievalTime
	if last == nil {
		return 0
	}
	if d := last.Add(period).Sub(now); d > 0 {
		return d
	}
	return 0
}

// relist fetches the catalog and publishes it; publishing deletes what the catalog no
// longer offers and nothing uses.
func (c *Controller) relist(ctx context.Context, broker *v1beta1.ClusterServiceBroker) (controller.Result, error) {
	now := c.cfg.Clock.Now()
	broker.Status.ObservedGeneration = broker.Generation
	// A relist asked for before this fetch is served by it; one asked for later is not.
	c.relists.forget(broker.Name)
	catalog, reason, err := c.fetch(ctx, broker)
	if err != nil {
		return c.fetchFailed(ctx, broker, reason, err.Error())
	}
	published, err := c.publish(ctx, broker, catalog, now)
	if err != nil {
		return c.fetchFailed(ctx, broker, conditions.ErrorSyncingCatalog, err.Error())
	}
	if err := c.fetched(ctx, broker, published, now); err != nil {
		return controller.Result{}, err
	}
	return controller.Result{RequeueAfter: c.untilRelist(broker, c.cfg.Clock.Now())}, nil
}

// fetch fetches the broker's catalog, or says why it could not, with the Ready reason.
func (c *Controller) fetch(ctx context.Context, broker *v1beta1.ClusterServiceBroker) (*osb.CatalogResponse, string, error) {
	logger := klog.FromContext(ctx)
	client, err := c.cfg.BrokerClients.ClientFor(ctx, broker)
	if err != nil {
		var credErr *brokerclient.CredentialsError
		if errors.As(err, &credErr) {
			return nil, conditions.ErrorGettingAuthCredentials, err
		}
		return nil, conditions.ErrorFetchingCatalog, err
	}
	catalog, err := client.GetCatalog(ctx)
	if err != nil {
		reason := conditions.ErrorFetchingCatalog
		switch {
		case osb.IsUnauthorized(err):
			reason = conditions.BrokerAuthenticationFailed
			c.cfg.BrokerClients.Forget(broker.Name)
		case osb.IsPreconditionFailed(err):
			reason = conditions.BrokerAPIVersionRejected
		}
		logger.Info("Fetching the catalog failed", "broker", broker.Name, "requestIdentity", osb.RequestIdentityOf(err), "err", err)
		return nil, reason, err
	}
	logger.V(2).Info("Fetched the catalog", "broker", broker.Name, "offerings", len(catalog.Services), "requestIdentity", catalog.RequestIdentity)
	return catalog, "", nil
}

// fetched records a catalog fetched and published at now.
func (c *Controller) fetched(ctx context.Context, broker *v1beta1.ClusterServiceBroker, published *published, now time.Time) error {
	status := &broker.Status
	status.LastCatalogRetrievalTime = fetchTime(now)
	status.ObservedRelistRequests = broker.Spec.RelistRequests
	status.ServiceClassCount, status.ServicePlanCount = published.classes, published.plans
	status.SkippedOfferings = published.skipped
	status.Attempts = v1beta1.OperationAttempts{}
	message := fmt.Sprintf("Published %d classes and %d plans from the catalog.", published.classes, published.plans)
	if n := len(published.skipped); n > 0 {
		message += fmt.Sprintf(" Skipped %d malformed offerings; see status.skippedOfferings.", n)
		c.cfg.Recorder.Eventf(broker, corev1.EventTypeWarning, "SkippedOfferings", "Skipped %d malformed offerings of the catalog: %s", n, skippedSummary(published.skipped))
	}
	if conditions.Ready(&status.Conditions, metav1.ConditionTrue, conditions.FetchedCatalog, message, broker.Generation) {
		c.cfg.Recorder.Event(broker, corev1.EventTypeNormal, conditions.FetchedCatalog, message)
	}
	_, err := c.writer.UpdateStatus(ctx, broker)
	return err
}

// fetchFailed records a failed fetch and when the next one is due.
func (c *Controller) fetchFailed(ctx context.Context, broker *v1beta1.ClusterServiceBroker, reason, message string) (controller.Result, error) {
	status := &broker.Status
	wait := c.cfg.Backoff.Failed(&status.Attempts, c.cfg.Clock.Now())
	message = fmt.Sprintf("%s (attempt %d; next at %s)", message, status.Attempts.Count, status.Attempts.NextAttemptTime.UTC().Format(time.RFC3339))
	if conditions.Ready(&status.Conditions, metav1.ConditionFalse, reason, message, broker.Generation) {
		c.cfg.Recorder.Event(broker, corev1.EventTypeWarning, reason, message)
	}
	if _, err := c.writer.UpdateStatus(ctx, broker); err != nil {
		return controller.Result{}, err
	}
	return controller.Result{RequeueAfter: wait}, nil
}

// syncDeletion deletes the broker's classes and plans and releases the broker, unless
// instances of its plans still exist: they would be stranded, so the deletion waits and
// says why.
func (c *Controller) syncDeletion(ctx context.Context, broker *v1beta1.ClusterServiceBroker) (controller.Result, error) {
	if !slices.Contains(broker.Finalizers, v1beta1.FinalizerServiceCatalog) {
		return controller.Result{}, nil
	}
	if blocked, err := c.deletionBlocked(ctx, broker); blocked || err != nil {
		return controller.Result{}, err
	}
	plans, err := c.cfg.Plans.Informer().GetIndexer().ByIndex(indexes.ByBroker, broker.Name)
	if err != nil {
		return controller.Result{}, err
	}
	for _, obj := range plans {
		if _, err := c.plans.delete(ctx, obj.(*v1beta1.ClusterServicePlan)); err != nil {
			return controller.Result{}, err
		}
	}
	classes, err := c.cfg.Classes.Informer().GetIndexer().ByIndex(indexes.ByBroker, broker.Name)
	if err != nil {
		return controller.Result{}, err
	}
	for _, obj := range classes {
		if _, err := c.classes.delete(ctx, obj.(*v1beta1.ClusterServiceClass)); err != nil {
			return controller.Result{}, err
		}
	}
	c.cfg.BrokerClients.Forget(broker.Name)
	return controller.Result{}, c.writer.ReleaseFinalizer(ctx, broker)
}

// deletionBlocked tells whether instances of the broker's plans still exist, having
// recorded which.
func (c *Controller) deletionBlocked(ctx context.Context, broker *v1beta1.ClusterServiceBroker) (bool, error) {
	instances, err := c.cfg.Instances.Informer().GetIndexer().ByIndex(indexes.ByBroker, broker.Name)
	if err != nil || len(instances) == 0 {
		return false, err
	}
	var names []string
	for _, obj := range instances {
		i := obj.(*v1beta1.ServiceInstance)
		names = append(names, i.Namespace+"/"+i.Name)
	}
	sort.Strings(names)
	if len(names) > 5 {
		names = append(names[:5], "...")
	}
	message := fmt.Sprintf("The broker is being deleted, but %d instances of its plans still exist (%s); delete them first.", len(instances), strings.Join(names, ", "))
	if !conditions.Ready(&broker.Status.Conditions, metav1.ConditionFalse, conditions.DeletionBlockedByInstances, message, broker.Generation) {
		return true, nil
	}
	c.cfg.Recorder.Event(broker, corev1.EventTypeWarning, conditions.DeletionBlockedByInstances, message)
	_, err = c.writer.UpdateStatus(ctx, broker)
	return true, err
}
