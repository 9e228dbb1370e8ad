package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kube-service-catalog/catalog/cmd/controller-manager/app/config"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/broker"
	"github.com/kube-service-catalog/catalog/pkg/controller/operation"
	"github.com/kube-service-catalog/catalog/pkg/controller/servicebinding"
	"github.com/kube-service-catalog/catalog/pkg/controller/serviceinstance"
)

// loop is a control loop; Run returns once ctx ends.
type loop interface {
	Run(ctx context.Context) error
}

// newLoops builds the loops cfg.Controllers names, in that order. Every loop the
// controller-manager can run is listed here. The broker loop is built first: when it runs
// in this process, the loops built on the operation engine ask it for relists.
func newLoops(cfg *config.Config, s shared) ([]loop, error) {
	options := func(name string) controller.Options { return controller.Options{Workers: cfg.Workers[name]} }
	var brokers *broker.Controller
	ops := s.operationConfig()
	if slices.Contains(cfg.Controllers, config.BrokerController) {
		brokers = newBrokerLoop(s, cfg.DefaultRelistDuration, options(config.BrokerController))
		ops.RequestRelist = brokers.RequestRelist
	}
	var loops []loop
	for _, name := range cfg.Controllers {
		switch name {
		case config.BrokerController:
			loops = append(loops, brokers)
		case config.InstanceController:
			loops = append(loops, newInstanceLoop(ops, options(name)))
		case config.BindingController:
			loops = append(loops, newBindingLoop(s, ops, options(name)))
		default:
			return nil, fmt.Errorf("unknown control loop %q", name)
		}
	}
	return loops, nil
}

// newBrokerLoop builds the loop that turns the catalogs of brokers of both scopes into
// classes and plans.
func newBrokerLoop(s shared, defaultRelistDuration time.Duration, opts controller.Options) *broker.Controller {
	return broker.New(broker.Config{
		Client:                s.catalogClient,
		Catalog:               s.informers.catalogCache,
		Instances:             s.informers.catalog.Servicecatalog().V1beta1().ServiceInstances(),
		BrokerClients:         s.brokerClients,
		Recorder:              s.recorder,
		DefaultRelistDuration: defaultRelistDuration,
		Backoff:               s.backoff,
	}, opts)
}

// newInstanceLoop builds the loop that provisions, updates and deprovisions instances.
func newInstanceLoop(ops operation.Config, opts controller.Options) loop {
	return serviceinstance.New(ops, opts)
}

// newBindingLoop builds the loop that binds and unbinds, and writes credentials Secrets.
// It watches the Secrets it wrote, to write again one deleted by hand.
func newBindingLoop(s shared, ops operation.Config, opts controller.Options) loop {
	ops.Secrets = s.informers.bindingSecrets.Core().V1().Secrets()
	return servicebinding.New(ops, opts)
}

// operationConfig is what the loops built on the operation engine share; newLoops adds
// RequestRelist when the broker loop runs in this process.
func (s shared) operationConfig() operation.Config {
	sc := s.informers.catalog.Servicecatalog().V1beta1()
	return operation.Config{
		Client:            s.catalogClient,
		KubeClient:        s.kubeClient,
		Instances:         sc.ServiceInstances(),
		Bindings:          sc.ServiceBindings(),
		Catalog:           s.informers.catalogCache,
		Namespaces:        s.informers.kube.Core().V1().Namespaces(),
		BrokerClients:     s.brokerClients,
		ClusterID:         s.clusterID,
		Recorder:          s.recorder,
		Backoff:           s.backoff,
		Polling:           s.polling,
		DeleteRetryWindow: s.deleteRetryWindow,
		BrokerCheckPeriod: s.brokerCheckPeriod,
		RotationOverlap:   s.rotationOverlap,
	}
}

// runLoops starts the informers the loops asked for, runs the loops until ctx ends, and
// returns their errors. ready is set from the caches' sync until the loops end.
func runLoops(ctx context.Context, f *informerFactories, loops []loop, ready *atomic.Bool) error {
	f.start(ctx)
	defer f.shutdown()

	var wg sync.WaitGroup
	errs := make(chan error, len(loops))
	for _, l := range loops {
		wg.Go(func() {
			if err := l.Run(ctx); err != nil {
				errs <- err
			}
		})
	}
	f.waitForCacheSync(ctx)
	ready.Store(true)
	wg.Wait()
	ready.Store(false)
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	return errors.Join(all...)
}
