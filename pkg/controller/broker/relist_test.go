package broker

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/internal/looptest"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

func TestARequestedRelistFetchesBeforeThePeriod(t *testing.T) {
	for _, tc := range []struct {
		behavior v1beta1.ServiceBrokerRelistBehavior
		requeue  time.Duration
	}{
		{v1beta1.ServiceBrokerRelistBehaviorDuration, defaultRelist},
		{v1beta1.ServiceBrokerRelistBehaviorManual, 0},
	} {
		t.Run(string(tc.behavior), func(t *testing.T) {
			f := newFixture(t, testBroker(func(b *v1beta1.ClusterServiceBroker) { b.Spec.RelistBehavior = tc.behavior }))
			var queued []cache.ObjectName
			f.c.enqueue = func(key cache.ObjectName) { queued = append(queued, key) }
			f.answer = kvCatalog()
			f.MustSync()
			f.wantFetches(1)
			f.Clock.Step(time.Minute)
			f.MustSync()
			f.wantFetches(1)

			// The instance loop heard 422 MaintenanceInfoConflict: the catalog changed.
			f.c.RequestRelist("the-broker")
			looptest.Expect(t, "queued", []cache.ObjectName{{Name: "the-broker"}}, queued)
			f.answer = catalogOf(service("kv-id", "kv", plan("kv-small-id", "small"),
				osb.Plan{ID: "kv-large-id", Name: "large", Description: "The large plan", MaintenanceInfo: &osb.MaintenanceInfo{Version: "2.0.0"}}))
			f.WantRequeue(f.MustSync(), tc.requeue)
			f.wantFetches(2)
			b := f.wantReady(metav1.ConditionTrue, conditions.FetchedCatalog)
			looptest.Expect(t, "lastCatalogRetrievalTime", metav1.NewTime(looptest.Start.Add(time.Minute)), *b.Status.LastCatalogRetrievalTime)
			looptest.Expect(t, "maintenance info of kv-large", &v1beta1.MaintenanceInfo{Version: "2.0.0"}, f.plan("kv-large").Spec.MaintenanceInfo)

			// Once: the next sync within the period fetches nothing.
			f.MustSync()
			f.wantFetches(2)

			// A request for another broker does not fetch this one's catalog.
			f.c.RequestRelist("other-broker")
			f.MustSync()
			f.wantFetches(2)
		})
	}
}

func TestARequestedRelistOfADeletedBrokerIsForgotten(t *testing.T) {
	f := newFixture(t, testBroker())
	f.c.enqueue = func(cache.ObjectName) {}
	f.answer = kvCatalog()
	f.MustSync()
	f.c.RequestRelist("the-broker")
	if err := f.Informers.ClusterServiceBrokers().Informer().GetIndexer().Delete(f.broker().Object); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.sync(t.Context(), cache.ObjectName{Name: "the-broker"}); err != nil {
		t.Fatal(err)
	}
	looptest.Expect(t, "pending relist of the deleted broker", false, f.c.relists.pending("the-broker"))
}
