// Package app is the catalog controller-manager: the control loops of an Open Service
// Broker platform, run against the catalog API and the Kubernetes API.
package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/google/uuid"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	kubeinformers "k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/client-go/tools/record"
	"k8s.io/component-base/metrics/legacyregistry"
	"k8s.io/klog/v2"

	"github.com/kube-service-catalog/catalog/cmd/controller-manager/app/config"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/broker"
	"github.com/kube-service-catalog/catalog/pkg/controller/brokerclient"
	"github.com/kube-service-catalog/catalog/pkg/controller/indexes"
	"github.com/kube-service-catalog/catalog/pkg/controller/servicebinding"
	"github.com/kube-service-catalog/catalog/pkg/controller/serviceinstance"
	clientset "github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned"
	catalogscheme "github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned/scheme"
	catalogfactory "github.com/kube-service-catalog/catalog/pkg/generated/informers/externalversions"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// clusterIDKey is the ConfigMap key holding the cluster ID.
const clusterIDKey = "clusterID"

// Run runs the configured control loops until ctx ends. With leader election, only the
// leader runs them; losing the lease ends Run with an error.
func Run(ctx context.Context, cfg *config.Config) error {
	logger := klog.FromContext(ctx)
	catalogClient, err := clientset.NewForConfig(cfg.CatalogConfig)
	if err != nil {
		return err
	}
	kubeClient, err := kubernetes.NewForConfig(cfg.CoreConfig)
	if err != nil {
		return err
	}

	healthy := &readiness{}
	if cfg.HealthAddress != "" {
		stop, err := serveHealth(ctx, cfg.HealthAddress, healthy)
		if err != nil {
			return err
		}
		defer stop()
	}

	run := func(ctx context.Context) error {
		clusterID, err := ensureClusterID(ctx, kubeClient, cfg.ClusterIDNamespace, cfg.ClusterIDConfigMap)
		if err != nil {
			return err
		}
		logger.Info("Starting control loops", "controllers", cfg.Controllers, "clusterID", clusterID)
		return runControllers(ctx, cfg, catalogClient, kubeClient, clusterID, healthy)
	}
	if !cfg.LeaderElection.LeaderElect {
		return run(ctx)
	}
	return runWithLeaderElection(ctx, cfg, kubeClient, run)
}

// runControllers builds the informers and loops and runs them until ctx ends.
func runControllers(ctx context.Context, cfg *config.Config, catalogClient clientset.Interface, kubeClient kubernetes.Interface, clusterID string, healthy *readiness) error {
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(catalogscheme.AddToScheme(scheme))
	broadcaster := record.NewBroadcaster(record.WithContext(ctx))
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: kubeClient.CoreV1().Events("")})
	defer broadcaster.Shutdown()
	recorder := broadcaster.NewRecorder(scheme, corev1.EventSource{Component: "service-catalog-controller-manager"})

	catalogInformers := catalogfactory.NewSharedInformerFactory(catalogClient, cfg.ResyncPeriod)
	kubeInformers := kubeinformers.NewSharedInformerFactory(kubeClient, cfg.ResyncPeriod)
	sc := catalogInformers.Servicecatalog().V1beta1()
	for _, add := range []func() error{
		func() error { return indexes.AddClassIndexes(sc.ClusterServiceClasses().Informer()) },
		func() error { return indexes.AddPlanIndexes(sc.ClusterServicePlans().Informer()) },
		func() error { return indexes.AddInstanceIndexes(sc.ServiceInstances().Informer()) },
		func() error { return indexes.AddBindingIndexes(sc.ServiceBindings().Informer()) },
	} {
		if err := add(); err != nil {
			return err
		}
	}

	create := cfg.OSB.Create
	if create == nil {
		create = osb.New
	}
	brokerClients := brokerclient.NewManager(brokerclient.Options{
		Create:     create,
		Secrets:    kubeClient.CoreV1(),
		APIVersion: cfg.OSB.APIVersion,
		Timeout:    cfg.OSB.Timeout,
	})
	backoff := controller.Backoff{Base: cfg.RetryBackoffBase, Max: cfg.RetryBackoffMax}
	polling := controller.Polling{MinInterval: cfg.PollIntervalMin, MaxInterval: cfg.PollIntervalMax, MaxDuration: cfg.MaxPollingDuration}

	var loops []interface{ Run(context.Context) error }
	for _, name := range cfg.Controllers {
		opts := controller.Options{Workers: cfg.Workers[name]}
		switch name {
		case config.BrokerController:
			loops = append(loops, broker.New(broker.Config{
				Client:                catalogClient,
				Brokers:               sc.ClusterServiceBrokers(),
				Classes:               sc.ClusterServiceClasses(),
				Plans:                 sc.ClusterServicePlans(),
				Instances:             sc.ServiceInstances(),
				BrokerClients:         brokerClients,
				Recorder:              recorder,
				DefaultRelistDuration: cfg.DefaultRelistDuration,
				Backoff:               backoff,
			}, opts))
		case config.InstanceController:
			loops = append(loops, serviceinstance.New(serviceinstance.Config{
				Client:        catalogClient,
				KubeClient:    kubeClient,
				Instances:     sc.ServiceInstances(),
				Bindings:      sc.ServiceBindings(),
				Classes:       sc.ClusterServiceClasses(),
				Plans:         sc.ClusterServicePlans(),
				Brokers:       sc.ClusterServiceBrokers(),
				Namespaces:    kubeInformers.Core().V1().Namespaces(),
				BrokerClients: brokerClients,
				ClusterID:     clusterID,
				Recorder:      recorder,
				Backoff:       backoff,
				Polling:       polling,
			}, opts))
		case config.BindingController:
			loops = append(loops, servicebinding.New(servicebinding.Config{
				Client:        catalogClient,
				KubeClient:    kubeClient,
				Bindings:      sc.ServiceBindings(),
				Instances:     sc.ServiceInstances(),
				Classes:       sc.ClusterServiceClasses(),
				Plans:         sc.ClusterServicePlans(),
				Brokers:       sc.ClusterServiceBrokers(),
				Namespaces:    kubeInformers.Core().V1().Namespaces(),
				BrokerClients: brokerClients,
				ClusterID:     clusterID,
				Recorder:      recorder,
				Backoff:       backoff,
				Polling:       polling,
			}, opts))
		default:
			return fmt.Errorf("unknown control loop %q", name)
		}
	}

	catalogInformers.Start(ctx.Done())
	kubeInformers.Start(ctx.Done())
	defer catalogInformers.Shutdown()
	defer kubeInformers.Shutdown()

	var wg sync.WaitGroup
	errs := make(chan error, len(loops))
	for _, loop := range loops {
		wg.Go(func() {
			if err := loop.Run(ctx); err != nil {
				errs <- err
			}
		})
	}
	catalogInformers.WaitForCacheSync(ctx.Done())
	kubeInformers.WaitForCacheSync(ctx.Done())
	healthy.set(true)
	wg.Wait()
	healthy.set(false)
	close(errs)
	return errors.Join(collect(errs)...)
}

func collect(errs <-chan error) []error {
	var out []error
	for err := range errs {
		out = append(out, err)
	}
	return out
}

// ensureClusterID returns the cluster ID kept in a ConfigMap, creating it on first start.
// Brokers see it as context.clusterid and organization_guid; it must stay stable.
func ensureClusterID(ctx context.Context, client kubernetes.Interface, namespace, name string) (string, error) {
	configMaps := client.CoreV1().ConfigMaps(namespace)
	for {
		cm, err := configMaps.Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			if id := cm.Data[clusterIDKey]; id != "" {
				return id, nil
			}
			return "", fmt.Errorf("ConfigMap %s/%s has no %q key", namespace, name, clusterIDKey)
		}
		if !apierrors.IsNotFound(err) {
			return "", fmt.Errorf("reading the cluster ID from ConfigMap %s/%s: %w", namespace, name, err)
		}
		cm = &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
			Data:       map[string]string{clusterIDKey: uuid.NewString()},
		}
		if _, err := configMaps.Create(ctx, cm, metav1.CreateOptions{}); err == nil {
			return cm.Data[clusterIDKey], nil
		} else if !apierrors.IsAlreadyExists(err) {
			return "", fmt.Errorf("creating the cluster ID ConfigMap %s/%s: %w", namespace, name, err)
		}
		// Another instance created it first: read theirs.
	}
}

// runWithLeaderElection runs fn while holding the Lease.
func runWithLeaderElection(ctx context.Context, cfg *config.Config, kubeClient kubernetes.Interface, fn func(context.Context) error) error {
	hostname, err := os.Hostname()
	if err != nil {
		return err
	}
	le := cfg.LeaderElection
	lock, err := resourcelock.New(le.ResourceLock, le.ResourceNamespace, le.ResourceName,
		kubeClient.CoreV1(), kubeClient.CoordinationV1(),
		resourcelock.ResourceLockConfig{Identity: hostname + "_" + uuid.NewString()})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var runErr error
	var lost bool
	leaderelection.RunOrDie(ctx, leaderelection.LeaderElectionConfig{
		Lock:            lock,
		LeaseDuration:   le.LeaseDuration.Duration,
		RenewDeadline:   le.RenewDeadline.Duration,
		RetryPeriod:     le.RetryPeriod.Duration,
		ReleaseOnCancel: true,
		Name:            le.ResourceName,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(ctx context.Context) {
				runErr = fn(ctx)
				cancel()
			},
			OnStoppedLeading: func() {
				if ctx.Err() == nil {
					lost = true
				}
			},
		},
	})
	if lost {
		return errors.New("lost the leader election lease")
	}
	return runErr
}

// readiness is ready once the informer caches synced.
type readiness struct {
	mu    sync.RWMutex
	ready bool
}

func (r *readiness) set(ready bool) {
	r.mu.Lock()
	r.ready = ready
	r.mu.Unlock()
}

func (r *readiness) get() bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.ready
}

// serveHealth serves /healthz, /readyz and /metrics until the returned stop is called.
func serveHealth(ctx context.Context, address string, ready *readiness) (func(), error) {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !ready.get() {
			http.Error(w, "caches not synced, or not the leader", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok"))
	})
	mux.Handle("/metrics", legacyregistry.Handler())
	listener, err := net.Listen("tcp", address)
	if err != nil {
		return nil, fmt.Errorf("serving health and metrics on %s: %w", address, err)
	}
	server := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := server.Serve(listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			klog.FromContext(ctx).Error(err, "Health server stopped")
		}
	}()
	return func() {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = server.Shutdown(shutdownCtx)
	}, nil
}
