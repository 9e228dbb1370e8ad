package broker_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/kube-service-catalog/catalog/pkg/broker"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// BenchmarkProvision measures synchronous provisions through the real client
// and the broker over loopback HTTP, from parallel goroutines as a
// controller's workers would send them.
func BenchmarkProvision(b *testing.B) {
	_, srv := startBroker(b, broker.Options{})
	c := newClient(b, srv.URL)
	ctx := context.Background()
	var n atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := fmt.Sprintf("bench-%d", n.Add(1))
			_, err := c.Provision(ctx, &osb.ProvisionRequest{
				InstanceID: id, AcceptsIncomplete: true, ServiceID: pgService, PlanID: pgSmall,
				OrganizationGUID: "org", SpaceGUID: "space", Context: k8sContext,
				Parameters: map[string]any{"storageGB": 20}, OriginatingIdentity: user,
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "provisions/s")
}

// BenchmarkLifecycle measures provision, bind, unbind and deprovision of one
// instance per iteration.
func BenchmarkLifecycle(b *testing.B) {
	_, srv := startBroker(b, broker.Options{})
	c := newClient(b, srv.URL)
	ctx := context.Background()
	var n atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := fmt.Sprintf("life-%d", n.Add(1))
			if _, err := c.Provision(ctx, &osb.ProvisionRequest{InstanceID: id, ServiceID: pgService, PlanID: pgSmall, OrganizationGUID: "o", SpaceGUID: "s", Context: k8sContext}); err != nil {
				b.Error(err)
				return
			}
			if _, err := c.Bind(ctx, &osb.BindRequest{InstanceID: id, BindingID: "b", ServiceID: pgService, PlanID: pgSmall}); err != nil {
				b.Error(err)
				return
			}
			if _, err := c.Unbind(ctx, &osb.UnbindRequest{InstanceID: id, BindingID: "b", ServiceID: pgService, PlanID: pgSmall}); err != nil {
				b.Error(err)
				return
			}
			if _, err := c.Deprovision(ctx, &osb.DeprovisionRequest{InstanceID: id, ServiceID: pgService, PlanID: pgSmall}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
