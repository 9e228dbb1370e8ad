// Package app is the catalog controller-manager: the control loops of an Open Service
// Broker platform, run against the catalog API and the Kubernetes API.
//
// Its files follow the jobs of a run: run.go connects to the APIs and decides who runs the
// loops, clusterid.go reads the cluster ID, leaderelection.go holds the Lease, health.go
// serves /healthz, /readyz, /livez and /metrics, shared.go builds what the loops share (informers,
// events, broker clients, pacing), and loops.go lists every loop and runs them.
package app

import (
	"context"
	"sync/atomic"

	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"

	"github.com/kube-service-catalog/catalog/cmd/controller-manager/app/config"
	clientset "github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned"
)

// Run runs the configured control loops until ctx ends. With leader election, only the
// leader runs them; losing the lease ends Run with an error.
func Run(ctx context.Context, cfg *config.Config) error {
	catalogClient, err := clientset.NewForConfig(cfg.CatalogConfig)
	if err != nil {
		return err
	}
	kubeClient, err := kubernetes.NewForConfig(cfg.CoreConfig)
	if err != nil {
		return err
	}

	ready := &atomic.Bool{}
	stop, err := serveHealth(ctx, cfg, ready)
	if err != nil {
		return err
	}
	defer stop()

	run := func(ctx context.Context) error {
		clusterID, err := ensureClusterID(ctx, kubeClient, cfg.ClusterIDNamespace, cfg.ClusterIDConfigMap)
		if err != nil {
			return err
		}
		klog.FromContext(ctx).Info("Starting control loops", "controllers", cfg.Controllers, "clusterID", clusterID)
		return runControllers(ctx, cfg, catalogClient, kubeClient, clusterID, ready)
	}
	if !cfg.LeaderElection.LeaderElect {
		return run(ctx)
	}
	return runWithLeaderElection(ctx, cfg, kubeClient, run)
}

// runControllers builds what the loops share and the loops, and runs them until ctx ends.
// ready is set while the informer caches are synced and the loops run.
func runControllers(ctx context.Context, cfg *config.Config, catalogClient clientset.Interface, kubeClient kubernetes.Interface, clusterID string, ready *atomic.Bool) error {
	recorder, stopEvents := newEventRecorder(ctx, kubeClient)
	defer stopEvents()
	informers, err := newInformers(cfg.ResyncPeriod, catalogClient, kubeClient)
	if err != nil {
		return err
	}
	loops, err := newLoops(cfg, shared{
		catalogClient:     catalogClient,
		kubeClient:        kubeClient,
		informers:         informers,
		brokerClients:     newBrokerClients(cfg.OSB, kubeClient),
		recorder:          recorder,
		clusterID:         clusterID,
		backoff:           newBackoff(cfg),
		polling:           newPolling(cfg),
		deleteRetryWindow: cfg.DeleteRetryWindow,
		brokerCheckPeriod: cfg.BrokerCheckPeriod,
		rotationOverlap:   cfg.RotationOverlap,
	})
	if err != nil {
		return err
	}
	return runLoops(ctx, informers, loops, ready)
}
