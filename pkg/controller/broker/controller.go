// Package broker is the control loop of brokers, ClusterServiceBrokers and ServiceBrokers
// alike: it fetches each broker's catalog and publishes its offerings and plans, as
// ClusterServiceClasses and ClusterServicePlans for a ClusterServiceBroker, and as
// ServiceClasses and ServicePlans in its own namespace for a ServiceBroker. Each class
// and plan records the digest of the catalog entry it was published from.
//
// One code path serves both scopes: a queue key with a namespace is a ServiceBroker, one
// without a ClusterServiceBroker, and the sync works on the views of package catalog.
// Only the typed writes, and the objects the catalog's entries become, differ by scope;
// scope.go holds them.
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
	"github.com/kube-service-catalog/catalog/pkg/catalog"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/brokerclient"
	"github.com/kube-service-catalog/catalog/pkg/controller/catalogcache"
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
	// Catalog reads brokers, classes and plans of both scopes, with the indexes of
	// package indexes.
	Catalog *catalogcache.Cache
	// Instances is the informer of instances, with the indexes of package indexes.
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

// Controller syncs brokers of both scopes.
type Controller struct {
	cfg  Config
	loop *controller.Controller
	// brokers writes the brokers of each scope.
	brokers [2]brokerWrites
	// classes and plans publish the catalog's entries.
	classes entries[classSpec]
	plans   entries[planSpec]
	// relists are the brokers, by catalog.Key, whose catalog RequestRelist asked for;
	// enqueue queues a broker.
	relists relistRequests
	enqueue func(cache.ObjectName)
}

// New returns the broker loop.
func New(cfg Config, opts controller.Options) *Controller {
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	c := &Controller{cfg: cfg, brokers: newBrokerWrites(cfg.Client.ServicecatalogV1beta1())}
	c.classes, c.plans = newEntries(cfg)
	c.loop = controller.New("broker", c.sync, opts, append(cfg.Catalog.Synced(), cfg.Instances.Informer().HasSynced)...)
	c.enqueue = c.loop.EnqueueKey
	c.loop.Watch(cfg.Catalog.BrokerInformer(catalog.ClusterScope))
	c.loop.Watch(cfg.Catalog.BrokerInformer(catalog.NamespaceScope))
	// A deleted instance may unblock the deletion of its broker or of a removed plan.
	c.loop.Handle(cfg.Instances.Informer(), cache.ResourceEventHandlerFuncs{DeleteFunc: controller.EnqueueRelated(c.loop, resolvedBroker)})
	return c
}

// resolvedBroker returns the key of the broker an instance resolved, if any.
func resolvedBroker(i *v1beta1.ServiceInstance) []cache.ObjectName {
	key, err := cache.ParseObjectName(indexes.Resolved(i).Broker)
	if err != nil || key.Name == "" {
		return nil
	}
	return []cache.ObjectName{key}
}

// Run runs the loop until ctx ends.
func (c *Controller) Run(ctx context.Context) error { return c.loop.Run(ctx) }

// scopeOf returns the scope of the broker a queue key names: a namespaced key is a
// ServiceBroker.
func scopeOf(key cache.ObjectName) catalog.Scope {
	if key.Namespace == "" {
		return catalog.ClusterScope
	}
	return catalog.NamespaceScope
}

func (c *Controller) sync(ctx context.Context, key cache.ObjectName) (controller.Result, error) {
	scope, brokerKey := scopeOf(key), catalog.Key(key.Namespace, key.Name)
	broker, ok, err := c.brokers[scope].fetch(key, func() (catalog.Object, error) {
		b, err := c.cfg.Catalog.Broker(scope, key.Namespace, key.Name)
		if apierrors.IsNotFound(err) {
			c.cfg.BrokerClients.Forget(brokerKey)
			c.relists.forget(brokerKey)
		}
		if err != nil {
			return nil, err
		}
		return b.Object, nil
	})
	if !ok {
		return controller.Result{}, err
	}
	if broker.Object.GetDeletionTimestamp() != nil {
		return c.syncDeletion(ctx, broker)
	}
	now := c.cfg.Clock.Now()
	if !c.relistDue(broker, now) {
		return controller.Result{RequeueAfter: c.untilRelist(broker, now)}, c.deleteUnusedRemoved(ctx, broker)
	}
	if wait := controller.Remaining(broker.Status.Attempts, now); wait > 0 && broker.Status.ObservedGeneration == broker.Object.GetGeneration() {
		return controller.Result{RequeueAfter: wait}, nil
	}
	return c.relist(ctx, broker)
}

// relistDue tells whether the catalog must be fetched: the spec changed (a relistRequests
// bump changes it), the last fetch failed, another loop asked for it (RequestRelist), or
// the relist period passed.
func (c *Controller) relistDue(broker *catalog.Broker, now time.Time) bool {
	if broker.Status.ObservedGeneration != broker.Object.GetGeneration() || !apimeta.IsStatusConditionTrue(broker.Status.Conditions, v1beta1.ConditionReady) ||
		c.relists.pending(broker.Key()) {
		return true
	}
	return c.untilRelist(broker, now) == 0 && broker.Spec.RelistBehavior != v1beta1.ServiceBrokerRelistBehaviorManual
}

// untilRelist returns the time left until the next periodic fetch: zero when it is due,
// and zero for a manual broker, which is never fetched by time (zero asks for no requeue).
func (c *Controller) untilRelist(broker *catalog.Broker, now time.Time) time.Duration {
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
func (c *Controller) relist(ctx context.Context, broker *catalog.Broker) (controller.Result, error) {
	now := c.cfg.Clock.Now()
	broker.Status.ObservedGeneration = broker.Object.GetGeneration()
	// A relist asked for before this fetch is served by it; one asked for later is not.
	c.relists.forget(broker.Key())
	resp, reason, err := c.fetch(ctx, broker)
	if err != nil {
		return c.fetchFailed(ctx, broker, reason, err.Error())
	}
	published, err := c.publish(ctx, broker, resp, now)
	if err != nil {
		return c.fetchFailed(ctx, broker, conditions.ErrorSyncingCatalog, err.Error())
	}
	if err := c.fetched(ctx, broker, published, now); err != nil {
		return controller.Result{}, err
	}
	return controller.Result{RequeueAfter: c.untilRelist(broker, c.cfg.Clock.Now())}, nil
}

// fetch fetches the broker's catalog, or says why it could not, with the Ready reason.
func (c *Controller) fetch(ctx context.Context, broker *catalog.Broker) (*osb.CatalogResponse, string, error) {
	logger := klog.FromContext(ctx)
	client, err := c.cfg.BrokerClients.ClientFor(ctx, broker)
	if err != nil {
		var credErr *brokerclient.CredentialsError
		if errors.As(err, &credErr) {
			return nil, conditions.ErrorGettingAuthCredentials, err
		}
		return nil, conditions.ErrorFetchingCatalog, err
	}
	resp, err := client.GetCatalog(ctx)
	if err != nil {
		reason := conditions.ErrorFetchingCatalog
		switch {
		case osb.IsUnauthorized(err):
			reason = conditions.BrokerAuthenticationFailed
			c.cfg.BrokerClients.Forget(broker.Key())
		case osb.IsPreconditionFailed(err):
			reason = conditions.BrokerAPIVersionRejected
		}
		logger.Info("Fetching the catalog failed", "broker", klog.KObj(broker.Object), "requestIdentity", osb.RequestIdentityOf(err), "err", err)
		return nil, reason, err
	}
	logger.V(2).Info("Fetched the catalog", "broker", klog.KObj(broker.Object), "offerings", len(resp.Services), "requestIdentity", resp.RequestIdentity)
	return resp, "", nil
}

// fetched records a catalog fetched and published at now.
func (c *Controller) fetched(ctx context.Context, broker *catalog.Broker, published *published, now time.Time) error {
	status := broker.Status
	status.LastCatalogRetrievalTime = fetchTime(now)
	status.ObservedRelistRequests = broker.Spec.RelistRequests
	status.ServiceClassCount, status.ServicePlanCount = published.classes, published.plans
	status.SkippedOfferings = published.skipped
	status.Attempts = v1beta1.OperationAttempts{}
	message := fmt.Sprintf("Published %d classes and %d plans from the catalog.", published.classes, published.plans)
	if n := len(published.skipped); n > 0 {
		message += fmt.Sprintf(" Skipped %d malformed offerings; see status.skippedOfferings.", n)
		c.cfg.Recorder.Eventf(broker.Object, corev1.EventTypeWarning, "SkippedOfferings", "Skipped %d malformed offerings of the catalog: %s", n, skippedSummary(published.skipped))
	}
	if conditions.Ready(&status.Conditions, metav1.ConditionTrue, conditions.FetchedCatalog, message, broker.Object.GetGeneration()) {
		c.cfg.Recorder.Event(broker.Object, corev1.EventTypeNormal, conditions.FetchedCatalog, message)
	}
	return c.brokers[broker.Scope].updateStatus(ctx, broker)
}

// fetchFailed records a failed fetch and when the next one is due.
func (c *Controller) fetchFailed(ctx context.Context, broker *catalog.Broker, reason, message string) (controller.Result, error) {
	status := broker.Status
	wait := c.cfg.Backoff.Failed(&status.Attempts, c.cfg.Clock.Now())
	message = fmt.Sprintf("%s (attempt %d; next at %s)", message, status.Attempts.Count, status.Attempts.NextAttemptTime.UTC().Format(time.RFC3339))
	if conditions.Ready(&status.Conditions, metav1.ConditionFalse, reason, message, broker.Object.GetGeneration()) {
		c.cfg.Recorder.Event(broker.Object, corev1.EventTypeWarning, reason, message)
	}
	if err := c.brokers[broker.Scope].updateStatus(ctx, broker); err != nil {
		return controller.Result{}, err
	}
	return controller.Result{RequeueAfter: wait}, nil
}

// syncDeletion deletes the broker's classes and plans and releases the broker, unless
// instances of its plans still exist: they would be stranded, so the deletion waits and
// says why.
func (c *Controller) syncDeletion(ctx context.Context, broker *catalog.Broker) (controller.Result, error) {
	if !slices.Contains(broker.Object.GetFinalizers(), v1beta1.FinalizerServiceCatalog) {
		return controller.Result{}, nil
	}
	if blocked, err := c.deletionBlocked(ctx, broker); blocked || err != nil {
		return controller.Result{}, err
	}
	if err := c.plans.deleteAll(ctx, broker); err != nil {
		return controller.Result{}, err
	}
	if err := c.classes.deleteAll(ctx, broker); err != nil {
		return controller.Result{}, err
	}
	c.cfg.BrokerClients.Forget(broker.Key())
	return controller.Result{}, c.brokers[broker.Scope].releaseFinalizer(ctx, broker)
}

// deletionBlocked tells whether instances of the broker's plans still exist, having
// recorded which.
func (c *Controller) deletionBlocked(ctx context.Context, broker *catalog.Broker) (bool, error) {
	instances, err := c.cfg.Instances.Informer().GetIndexer().ByIndex(indexes.ByBroker, broker.Key())
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
	message := fmt.Sprintf("The broker is being deleted, but %s (%s); delete them first.", instancesRemain(len(instances)), strings.Join(names, ", "))
	if !conditions.Ready(&broker.Status.Conditions, metav1.ConditionFalse, conditions.DeletionBlockedByInstances, message, broker.Object.GetGeneration()) {
		return true, nil
	}
	c.cfg.Recorder.Event(broker.Object, corev1.EventTypeWarning, conditions.DeletionBlockedByInstances, message)
	return true, c.brokers[broker.Scope].updateStatus(ctx, broker)
}

// instancesRemain says how many instances of the broker's plans remain: "1 instance of its
// plans still exists", "2 instances of its plans still exist".
func instancesRemain(n int) string {
	if n == 1 {
		return "1 instance of its plans still exists"
	}
	return fmt.Sprintf("%d instances of its plans still exist", n)
}
