package app

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	kubeinformers "k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"

	"github.com/kube-service-catalog/catalog/cmd/controller-manager/app/config"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/brokerclient"
	"github.com/kube-service-catalog/catalog/pkg/controller/catalogcache"
	"github.com/kube-service-catalog/catalog/pkg/controller/indexes"
	"github.com/kube-service-catalog/catalog/pkg/controller/servicebinding"
	clientset "github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned"
	catalogscheme "github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned/scheme"
	catalogfactory "github.com/kube-service-catalog/catalog/pkg/generated/informers/externalversions"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// shared is what the loops are built from and share.
type shared struct {
	catalogClient clientset.Interface
	kubeClient    kubernetes.Interface
	informers     *informerFactories
	brokerClients *brokerclient.Manager
	recorder      record.EventRecorder
	clusterID     string
	backoff       controller.Backoff
	polling       controller.Polling
	// deleteRetryWindow bounds the retries of refused deletes.
	deleteRetryWindow time.Duration
	// brokerCheckPeriod spaces the checks of Ready objects with their brokers.
	brokerCheckPeriod time.Duration
	// rotationOverlap is how long rotated credentials stay valid.
	rotationOverlap time.Duration
}

// informerFactories are the shared informers of the catalog API and of the Kubernetes API.
type informerFactories struct {
	catalog catalogfactory.SharedInformerFactory
	kube    kubeinformers.SharedInformerFactory
	// catalogCache reads brokers, classes and plans of both scopes from catalog's
	// informers.
	catalogCache *catalogcache.Cache
	// bindingSecrets holds only the Secrets the binding loop wrote, by their label.
	bindingSecrets kubeinformers.SharedInformerFactory
}

// newInformers returns the informer factories, with the indexes the loops look catalog
// objects up by.
func newInformers(resync time.Duration, catalogClient clientset.Interface, kubeClient kubernetes.Interface) (*informerFactories, error) {
	f := &informerFactories{
		catalog: catalogfactory.NewSharedInformerFactoryWithOptions(catalogClient, resync,
			catalogfactory.WithTransform(withoutManagedFields)),
		kube: kubeinformers.NewSharedInformerFactoryWithOptions(kubeClient, resync,
			kubeinformers.WithTransform(withoutManagedFields)),
		bindingSecrets: kubeinformers.NewSharedInformerFactoryWithOptions(kubeClient, resync,
			kubeinformers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = servicebinding.SecretLabel }),
			kubeinformers.WithTransform(bindingSecretForCache)),
	}
	sc := f.catalog.Servicecatalog().V1beta1()
	f.catalogCache = catalogcache.New(catalogcache.NewInformers(sc))
	for _, add := range []func() error{
		f.catalogCache.AddIndexes,
		func() error { return indexes.AddInstanceIndexes(sc.ServiceInstances().Informer()) },
		func() error { return indexes.AddBindingIndexes(sc.ServiceBindings().Informer()) },
	} {
		if err := add(); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// start starts the informers the loops asked for; they stop when ctx ends.
func (f *informerFactories) start(ctx context.Context) {
	f.catalog.Start(ctx.Done())
	f.kube.Start(ctx.Done())
	f.bindingSecrets.Start(ctx.Done())
}

// waitForCacheSync waits until the started informers synced or ctx ends.
func (f *informerFactories) waitForCacheSync(ctx context.Context) {
	f.catalog.WaitForCacheSync(ctx.Done())
	f.kube.WaitForCacheSync(ctx.Done())
	f.bindingSecrets.WaitForCacheSync(ctx.Done())
}

// shutdown waits for the informers to stop.
func (f *informerFactories) shutdown() {
	f.bindingSecrets.Shutdown()
	f.kube.Shutdown()
	f.catalog.Shutdown()
}

// newEventRecorder returns the recorder of the loops' events, written to the Kubernetes
// API, and the function that stops it.
func newEventRecorder(ctx context.Context, kubeClient kubernetes.Interface) (record.EventRecorder, func()) {
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(catalogscheme.AddToScheme(scheme))
	broadcaster := record.NewBroadcaster(record.WithContext(ctx))
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: kubeClient.CoreV1().Events("")})
	recorder := broadcaster.NewRecorder(scheme, corev1.EventSource{Component: "service-catalog-controller-manager"})
	return recorder, broadcaster.Shutdown
}

// newBrokerClients returns the manager of the OSB clients of every broker, which reads
// broker credentials from Secrets.
func newBrokerClients(cfg config.OSBConfig, kubeClient kubernetes.Interface) *brokerclient.Manager {
	create := cfg.Create
	if create == nil {
		create = osb.New
	}
	return brokerclient.NewManager(brokerclient.Options{
		Create:     create,
		Secrets:    kubeClient.CoreV1(),
		APIVersion: cfg.APIVersion,
		Timeout:    cfg.Timeout,
	})
}

// newBackoff returns the spacing of the attempts of failed broker calls.
func newBackoff(cfg *config.Config) controller.Backoff {
	return controller.Backoff{Base: cfg.RetryBackoffBase, Max: cfg.RetryBackoffMax}
}

// newPolling returns the pacing of the polls of asynchronous operations.
func newPolling(cfg *config.Config) controller.Polling {
	return controller.Polling{MinInterval: cfg.PollIntervalMin, MaxInterval: cfg.PollIntervalMax, MaxDuration: cfg.MaxPollingDuration}
}
