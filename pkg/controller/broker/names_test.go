package broker

import (
	"context"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/internal/looptest"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// otherClass is a class published by another broker.
func otherClass(broker, name, externalID string) *v1beta1.ClusterServiceClass {
	c := &v1beta1.ClusterServiceClass{ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID("uid-" + name)}}
	c.Spec.ExternalID, c.Spec.ExternalName, c.Spec.ClusterServiceBrokerName = externalID, name, broker
	return c
}

// otherPlan is a plan published by another broker.
func otherPlan(broker, name, externalID, class string) *v1beta1.ClusterServicePlan {
	p := &v1beta1.ClusterServicePlan{ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID("uid-" + name)}}
	p.Spec.ExternalID, p.Spec.ExternalName, p.Spec.ClusterServiceBrokerName = externalID, name, broker
	p.Spec.ClusterServiceClassRef.Name = class
	return p
}

func TestAnotherBrokersEntriesWithTheSameIDsDoNotClash(t *testing.T) {
	h, hb := shortHash("kv-id"), shortHash("the-broker/kv-id")
	for _, tc := range []struct {
		name                   string
		other                  []runtime.Object
		wantOurs               []string // the names of our class and plans
		wantClasses, wantPlans []string
	}{{
		// Another broker publishes the same catalog, as two brokers of one product would.
		name: "same offering and plan ids",
		other: []runtime.Object{
			otherClass("other-broker", "kv", "kv-id"),
			otherPlan("other-broker", "kv-small", "kv-small-id", "kv"), otherPlan("other-broker", "kv-large", "kv-large-id", "kv"),
		},
		wantOurs:    []string{"kv-" + h, "kv-" + h + "-small", "kv-" + h + "-large"},
		wantClasses: []string{"kv", "kv-" + h},
		wantPlans:   []string{"kv-" + h + "-large", "kv-" + h + "-small", "kv-large", "kv-small"},
	}, {
		// Two other brokers publish it: the name with the id's hash is taken too.
		name: "same ids at two other brokers",
		other: []runtime.Object{
			otherClass("other-broker", "kv", "kv-id"), otherPlan("other-broker", "kv-small", "kv-small-id", "kv"),
			otherClass("third-broker", "kv-"+h, "kv-id"), otherPlan("third-broker", "kv-"+h+"-small", "kv-small-id", "kv-"+h),
		},
		wantOurs:    []string{"kv-" + hb, "kv-" + hb + "-small", "kv-" + hb + "-large"},
		wantClasses: []string{"kv", "kv-" + h, "kv-" + hb},
		wantPlans:   []string{"kv-" + h + "-small", "kv-" + hb + "-large", "kv-" + hb + "-small", "kv-small"},
	}, {
		// Only a plan id is shared, by a plan whose name is the one ours would get.
		name:        "same plan id",
		other:       []runtime.Object{otherClass("other-broker", "cache", "cache-id"), otherPlan("other-broker", "kv-small", "kv-small-id", "cache")},
		wantOurs:    []string{"kv", "kv-small-" + shortHash("kv-small-id"), "kv-large"},
		wantClasses: []string{"cache", "kv"},
		wantPlans:   []string{"kv-large", "kv-small", "kv-small-" + shortHash("kv-small-id")},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			slices.Sort(tc.wantClasses)
			slices.Sort(tc.wantPlans)
			f := newFixture(t, append(tc.other, testBroker())...)
			f.answer = kvCatalog()
			f.MustSync()
			f.wantReady(metav1.ConditionTrue, conditions.FetchedCatalog)
			f.wantNames(tc.wantClasses, tc.wantPlans)
			type entry struct{ Broker, ExternalID string }
			class, small, large := f.class(tc.wantOurs[0]), f.plan(tc.wantOurs[1]), f.plan(tc.wantOurs[2])
			looptest.Expect(t, "our entries", []entry{{"the-broker", "kv-id"}, {"the-broker", "kv-small-id"}, {"the-broker", "kv-large-id"}},
				[]entry{
					{class.BrokerName, class.Spec.ExternalID},
					{small.BrokerName, small.Spec.ExternalID},
					{large.BrokerName, large.Spec.ExternalID},
				})
			looptest.Expect(t, "class of our plans", []string{class.Name, class.Name},
				[]string{small.ClassName, large.ClassName})
			looptest.Expect(t, "broker of the other's kv-small", "other-broker", f.plan("kv-small").BrokerName)

			// The names are stable.
			f.Clock.Step(defaultRelist)
			f.ForgetWrites()
			f.MustSync()
			f.WantWrites("update clusterservicebrokers/status the-broker")
			f.wantNames(tc.wantClasses, tc.wantPlans)
		})
	}
}

func TestACreateRefusedAsAlreadyExistsNamesTheOwner(t *testing.T) {
	f := newFixture(t, testBroker())
	f.answer = kvCatalog()
	// Another broker's class named kv appears after the cache was read: a race.
	if err := f.Catalog.Tracker().Add(otherClass("other-broker", "kv", "kv-id")); err != nil {
		t.Fatal(err)
	}
	f.WantRequeue(f.MustSync(), looptest.BackoffWait(looptest.Start, backoffBase))
	b := f.wantReady(metav1.ConditionFalse, conditions.ErrorSyncingCatalog)
	if m, want := readyMessage(b), "a class named kv already exists, published by broker other-broker"; !strings.Contains(m, want) {
		t.Errorf("message %q, want it to contain %q", m, want)
	}
	f.WantEvents(conditions.ErrorSyncingCatalog)

	// The next attempt sees the other broker's class and names ours around it.
	f.Clock.Step(looptest.BackoffWait(looptest.Start, backoffBase))
	f.MustSync()
	f.wantReady(metav1.ConditionTrue, conditions.FetchedCatalog)
	h := shortHash("kv-id")
	f.wantNames([]string{"kv", "kv-" + h}, []string{"kv-" + h + "-large", "kv-" + h + "-small"})
}

// newIDsCatalog is kvCatalog after the broker restarted and generated new ids for its
// offering and plans, as overview-broker does.
func newIDsCatalog() *osb.CatalogResponse {
	return catalogOf(service("kv-id-2", "kv", plan("kv-small-id-2", "small"), plan("kv-large-id-2", "large")))
}

func TestAnOfferingWithNewIDsGetsTheCleanNamesBack(t *testing.T) {
	f := newFixture(t, testBroker())
	f.answer = kvCatalog()
	f.MustSync()
	f.WantEvents(conditions.FetchedCatalog)
	f.ForgetWrites()

	f.answer = newIDsCatalog()
	f.Clock.Step(defaultRelist)
	f.MustSync()
	// The old entries, unused, go before the new ones are named: the new ones take their
	// names.
	f.wantNames([]string{"kv"}, []string{"kv-large", "kv-small"})
	type entry struct{ Name, ExternalID, Class string }
	class, small, large := f.class("kv"), f.plan("kv-small"), f.plan("kv-large")
	looptest.Expect(t, "entries", []entry{{"kv", "kv-id-2", ""}, {"kv-small", "kv-small-id-2", "kv"}, {"kv-large", "kv-large-id-2", "kv"}},
		[]entry{
			{class.Name, class.Spec.ExternalID, ""},
			{small.Name, small.Spec.ExternalID, small.ClassName},
			{large.Name, large.Spec.ExternalID, large.ClassName},
		})
	f.WantWrites(
		"delete clusterserviceplans kv-small", "delete clusterserviceplans kv-large", "delete clusterserviceclasses kv",
		"create clusterserviceclasses kv", "update clusterserviceclasses/status kv",
		"create clusterserviceplans kv-small", "update clusterserviceplans/status kv-small",
		"create clusterserviceplans kv-large", "update clusterserviceplans/status kv-large",
		"update clusterservicebrokers/status the-broker",
	)
	events := f.WantEvents("PlanRemovedFromCatalog", "PlanRemovedFromCatalog", "ClassRemovedFromCatalog")
	if !strings.Contains(events[2], "Class kv (kv) is no longer in the catalog and nothing uses it; it was deleted") {
		t.Errorf("event %q", events[2])
	}
	b := f.wantReady(metav1.ConditionTrue, conditions.FetchedCatalog)
	type published struct{ Classes, Plans int32 }
	looptest.Expect(t, "published", published{1, 2}, published{b.Status.ServiceClassCount, b.Status.ServicePlanCount})

	// Nothing is left to delete.
	f.MustSync()
	f.WantWrites()
}

func TestEntriesInUseKeepTheirNamesWhenTheIDsChange(t *testing.T) {
	f := newFixture(t, testBroker())
	f.answer = kvCatalog()
	f.MustSync()
	if _, err := f.Catalog.ServicecatalogV1beta1().ServiceInstances("ns").Create(context.Background(), instanceOn("db", "kv", "kv-large"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.Refresh()

	f.answer = newIDsCatalog()
	f.Clock.Step(defaultRelist)
	f.MustSync()
	// The instance's class and plan stay, marked removed; the unused plan went. The new
	// entries are named around the ones that stay.
	h := shortHash("kv-id-2")
	f.wantNames([]string{"kv", "kv-" + h}, []string{"kv-" + h + "-large", "kv-" + h + "-small", "kv-large"})
	type removed struct{ Class, Plan, NewClass bool }
	looptest.Expect(t, "removed from the catalog", removed{true, true, false},
		removed{f.class("kv").Status.RemovedFromBrokerCatalog, f.plan("kv-large").Status.RemovedFromBrokerCatalog, f.class("kv-" + h).Status.RemovedFromBrokerCatalog})
	looptest.Expect(t, "external id of kv-"+h, "kv-id-2", f.class("kv-"+h).Spec.ExternalID)

	// Once the instance is gone, the old entries go; the new ones keep their names.
	if err := f.Catalog.ServicecatalogV1beta1().ServiceInstances("ns").Delete(context.Background(), "db", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	f.Refresh()
	f.ForgetWrites()
	f.MustSync()
	f.WantWrites("delete clusterserviceplans kv-large", "delete clusterserviceclasses kv")
	f.wantNames([]string{"kv-" + h}, []string{"kv-" + h + "-large", "kv-" + h + "-small"})
}
