package brokercatalog

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/internal/registry"
	"github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/internal/registrytest"
)

// The fuzz targets run the strategies of each kind on arbitrary objects (see
// registrytest.FuzzStrategies). On top of the checks every kind shares: a create clears
// the status and keeps the spec; an update takes the spec as sent, but for a broker's
// relistRequests, which it keeps when the request leaves it out.

func FuzzClusterServiceBrokerStrategy(f *testing.F) { fuzzKind(f, ClusterServiceBrokers) }

func FuzzServiceBrokerStrategy(f *testing.F) { fuzzKind(f, ServiceBrokers) }

func FuzzClusterServiceClassStrategy(f *testing.F) { fuzzKind(f, ClusterServiceClasses) }

func FuzzServiceClassStrategy(f *testing.F) { fuzzKind(f, ServiceClasses) }

func FuzzClusterServicePlanStrategy(f *testing.F) { fuzzKind(f, ClusterServicePlans) }

func FuzzServicePlanStrategy(f *testing.F) { fuzzKind(f, ServicePlans) }

// fuzzKind fuzzes the strategies of kind k.
func fuzzKind[T runtime.Object](f *testing.F, k *registry.CatalogKind[T]) {
	registrytest.FuzzStrategies(f, registrytest.StrategyFuzz[T]{
		New:       k.New,
		Strategy:  k.Strategy(scheme),
		Status:    k.StatusStrategy(scheme),
		GetAttrs:  k.GetAttrs,
		Finalizer: k.Finalizer,
		ServerSet: k.KeepUnset,
	})
}
