package broker

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/catalog"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/internal/looptest"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

func kvCatalog() *osb.CatalogResponse {
	return catalogOf(service("kv-id", "kv", plan("kv-small-id", "small"), plan("kv-large-id", "large")))
}

func TestRelistDecision(t *testing.T) {
	f := newFixture(t, testBroker())
	f.answer = kvCatalog()

	// The first sync fetches.
	f.WantRequeue(f.MustSync(), defaultRelist)
	f.wantFetches(1)
	b := f.wantReady(metav1.ConditionTrue, conditions.FetchedCatalog)
	type fetched struct {
		ObservedGeneration       int64
		LastCatalogRetrievalTime *metav1.Time
	}
	start := metav1.NewTime(looptest.Start)
	looptest.Require(t, "status", fetched{1, &start}, fetched{b.Status.ObservedGeneration, b.Status.LastCatalogRetrievalTime})

	// Within the relist period nothing is fetched; the sync asks to come back when it ends.
	f.Clock.Step(10 * time.Minute)
	f.WantRequeue(f.MustSync(), 5*time.Minute)
	f.wantFetches(1)

	// The period elapsed.
	f.Clock.Step(5 * time.Minute)
	f.WantRequeue(f.MustSync(), defaultRelist)
	f.wantFetches(2)

	// A spec change (a new generation) fetches at once.
	f.changeSpec(func(b *catalog.Broker) {
		b.Spec.RelistDuration = &metav1.Duration{Duration: 5 * time.Minute}
	})
	f.WantRequeue(f.MustSync(), 5*time.Minute)
	f.wantFetches(3)

	// So does a relistRequests bump, which the API server turns into a new generation.
	f.changeSpec(func(b *catalog.Broker) { b.Spec.RelistRequests++ })
	f.MustSync()
	f.wantFetches(4)
	type observed struct{ RelistRequests, Generation int64 }
	b = f.broker()
	looptest.Expect(t, "observed", observed{1, 3}, observed{b.Status.ObservedRelistRequests, b.Status.ObservedGeneration})

	// A broker that is not Ready is fetched even within the period.
	b = f.broker()
	b.Status.Conditions[0].Status = metav1.ConditionFalse
	f.Put(b.Object)
	f.Refresh()
	f.MustSync()
	f.wantFetches(5)
	f.wantReady(metav1.ConditionTrue, conditions.FetchedCatalog)
}

func TestAManualBrokerIsNeverFetchedByTime(t *testing.T) {
	f := newFixture(t, testBroker(func(b *v1beta1.ClusterServiceBroker) {
		b.Spec.RelistBehavior = v1beta1.ServiceBrokerRelistBehaviorManual
	}))
	f.answer = kvCatalog()
	if result := f.MustSync(); result.RequeueAfter != 0 {
		t.Errorf("a manual broker asks to come back: %+v", result)
	}
	f.wantFetches(1)
	f.Clock.Step(1000 * time.Hour)
	if result := f.MustSync(); result.RequeueAfter != 0 {
		t.Errorf("a manual broker asks to come back: %+v", result)
	}
	f.wantFetches(1)
	f.changeSpec(func(b *catalog.Broker) { b.Spec.RelistRequests++ })
	f.MustSync()
	f.wantFetches(2)
}

func TestPublishTurnsTheCatalogIntoClassesAndPlans(t *testing.T) {
	f := newFixture(t, testBroker())
	updatable, notUpdatable, notBindable, rotatable, notFree := true, false, false, true, false
	polling := 600
	svc := osb.Service{
		ID: "db-id", Name: "db", Description: "A database", Bindable: true, PlanUpdatable: &updatable,
		InstancesRetrievable: true, BindingsRetrievable: true, AllowContextUpdates: true,
		Tags: []string{"sql"}, Requires: []string{"volume_mount"},
		Metadata: json.RawMessage("{ \"displayName\" : \"DB\",\n \"n\": [1, 2] }"),
		Plans: []osb.Plan{
			{
				ID: "db-small-id", Name: "small", Description: "Small",
				Schemas: &osb.Schemas{
					ServiceInstance: &osb.ServiceInstanceSchemas{
						Create: &osb.InputParametersSchema{Parameters: json.RawMessage(`{"type": "object"}`)},
						Update: &osb.InputParametersSchema{Parameters: json.RawMessage(`{"type":"object","properties":{}}`)},
					},
					ServiceBinding: &osb.ServiceBindingSchemas{Create: &osb.InputParametersSchema{Parameters: json.RawMessage(`{"type":"object"}`)}},
				},
			},
			{
				ID: "db-large-id", Name: "large", Description: "Large", Free: &notFree, Bindable: &notBindable,
				PlanUpdatable: &notUpdatable, BindingRotatable: &rotatable, MaximumPollingDuration: &polling,
				MaintenanceInfo: &osb.MaintenanceInfo{Version: "1.2.0", Description: "Patched"},
				Metadata:        json.RawMessage(`{"cost": 10}`),
			},
		},
	}
	f.answer = catalogOf(svc)
	f.MustSync()

	f.wantNames([]string{"db"}, []string{"db-large", "db-small"})
	broker := f.broker()
	class := f.class("db")
	wantClass := v1beta1.ClusterServiceClassSpec{
		CommonServiceClassSpec: v1beta1.CommonServiceClassSpec{
			ExternalName: "db", ExternalID: "db-id", Description: "A database", Bindable: true, PlanUpdatable: true,
			InstancesRetrievable: true, BindingsRetrievable: true, AllowContextUpdates: true,
			Tags: []string{"sql"}, Requires: []string{"volume_mount"},
			ExternalMetadata: &runtime.RawExtension{Raw: []byte(`{"displayName":"DB","n":[1,2]}`)},
		},
		ClusterServiceBrokerName: "the-broker",
	}
	looptest.Expect(t, "class spec", wantClass, class.Object.(*v1beta1.ClusterServiceClass).Spec)
	// How an entry of the catalog is published: owned by its broker, fetched, not removed.
	type entry struct{ Controlled, Fetched, Removed bool }
	looptest.Expect(t, "class", entry{true, true, false},
		entry{metav1.IsControlledBy(class.Object, broker.Object), class.Status.LastCatalogRetrievalTime != nil, class.Status.RemovedFromBrokerCatalog})
	small := f.plan("db-small")
	wantSmall := v1beta1.ClusterServicePlanSpec{
		CommonServicePlanSpec: v1beta1.CommonServicePlanSpec{
			ExternalName: "small", ExternalID: "db-small-id", Description: "Small", Free: true,
			InstanceCreateParameterSchema:       &runtime.RawExtension{Raw: []byte(`{"type":"object"}`)},
			InstanceUpdateParameterSchema:       &runtime.RawExtension{Raw: []byte(`{"type":"object","properties":{}}`)},
			ServiceBindingCreateParameterSchema: &runtime.RawExtension{Raw: []byte(`{"type":"object"}`)},
		},
		ClusterServiceBrokerName: "the-broker",
		ClusterServiceClassRef:   v1beta1.ClusterObjectReference{Name: "db"},
	}
	looptest.Expect(t, "small plan spec", wantSmall, small.Object.(*v1beta1.ClusterServicePlan).Spec)
	large := f.plan("db-large")
	wantLarge := v1beta1.ClusterServicePlanSpec{
		CommonServicePlanSpec: v1beta1.CommonServicePlanSpec{
			ExternalName: "large", ExternalID: "db-large-id", Description: "Large", Free: false,
			Bindable: &notBindable, PlanUpdatable: &notUpdatable, BindingRotatable: true,
			ExternalMetadata:       &runtime.RawExtension{Raw: []byte(`{"cost":10}`)},
			MaintenanceInfo:        &v1beta1.MaintenanceInfo{Version: "1.2.0", Description: "Patched"},
			MaximumPollingDuration: &metav1.Duration{Duration: 10 * time.Minute},
		},
		ClusterServiceBrokerName: "the-broker",
		ClusterServiceClassRef:   v1beta1.ClusterObjectReference{Name: "db"},
	}
	looptest.Expect(t, "large plan spec", wantLarge, large.Object.(*v1beta1.ClusterServicePlan).Spec)
	looptest.Expect(t, "large plan", entry{true, true, false},
		entry{metav1.IsControlledBy(large.Object, broker.Object), large.Status.LastCatalogRetrievalTime != nil, large.Status.RemovedFromBrokerCatalog})

	b := f.wantReady(metav1.ConditionTrue, conditions.FetchedCatalog)
	type published struct {
		Classes, Plans int32
		Skipped        []v1beta1.SkippedOffering
		Attempts       v1beta1.OperationAttempts
		Message        string
	}
	looptest.Expect(t, "status", published{1, 2, nil, v1beta1.OperationAttempts{}, "Published 1 classes and 2 plans from the catalog."},
		published{b.Status.ServiceClassCount, b.Status.ServicePlanCount, b.Status.SkippedOfferings, b.Status.Attempts, readyMessage(b)})
	f.WantEvents(conditions.FetchedCatalog)
	f.WantWrites(
		"create clusterserviceclasses db", "update clusterserviceclasses/status db",
		"create clusterserviceplans db-small", "update clusterserviceplans/status db-small",
		"create clusterserviceplans db-large", "update clusterserviceplans/status db-large",
		"update clusterservicebrokers/status the-broker",
	)

	// The same catalog again writes nothing but the broker's status.
	f.Clock.Step(defaultRelist)
	f.MustSync()
	f.wantFetches(2)
	f.WantWrites("update clusterservicebrokers/status the-broker")
	f.WantEvents()

	// A changed description updates the spec, nothing else.
	svc.Plans[1].Description = "Larger"
	f.answer = catalogOf(svc)
	f.Clock.Step(defaultRelist)
	f.MustSync()
	f.WantWrites("update clusterserviceplans db-large", "update clusterserviceplans/status db-large", "update clusterservicebrokers/status the-broker")
	type updated struct {
		Description string
		UID         types.UID
	}
	p := f.plan("db-large")
	looptest.Expect(t, "plan db-large", updated{"Larger", large.Object.GetUID()}, updated{p.Spec.Description, p.Object.GetUID()})
}

func TestPublishedNames(t *testing.T) {
	other := &v1beta1.ClusterServiceClass{ObjectMeta: metav1.ObjectMeta{Name: "queue", UID: "other-uid"}}
	other.Spec.ExternalID, other.Spec.ExternalName, other.Spec.ClusterServiceBrokerName = "other-queue-id", "queue", "other-broker"
	f := newFixture(t, testBroker(), other)
	f.answer = catalogOf(
		service("db-id", "My Service_v2", plan("db-gold-id", "Gold Plan")),
		// Both turn into "my-db": the second gets a hash of its id.
		service("db1-id", "my db", plan("db1-p-id", "p")),
		service("db2-id", "My-DB", plan("db2-p-id", "p")),
		// Another broker's class has the name.
		service("queue-id", "queue", plan("queue-p-id", "p")),
	)
	f.MustSync()
	f.wantNames(
		[]string{"my-db", "my-db-" + shortHash("db2-id"), "my-service-v2", "queue", "queue-" + shortHash("queue-id")},
		[]string{"my-db-" + shortHash("db2-id") + "-p", "my-db-p", "my-service-v2-gold-plan", "queue-" + shortHash("queue-id") + "-p"},
	)
	type offering struct{ ExternalName, Broker string }
	c := f.class("queue-" + shortHash("queue-id"))
	looptest.Expect(t, "class queue-"+shortHash("queue-id"), offering{"queue", "the-broker"}, offering{c.Spec.ExternalName, c.BrokerName})
	looptest.Expect(t, "externalID of another broker's class", "other-queue-id", f.class("queue").Spec.ExternalID)

	// Names are stable: a renamed offering keeps its class, and the names of the others
	// do not move though the name they collided with is free now.
	f.answer = catalogOf(
		service("db-id", "Renamed", plan("db-gold-id", "Gold Plan")),
		service("db2-id", "My-DB", plan("db2-p-id", "p")),
		service("queue-id", "queue", plan("queue-p-id", "p")),
		service("db1-id", "my db", plan("db1-p-id", "p")),
	)
	f.Clock.Step(defaultRelist)
	f.MustSync()
	f.wantNames(
		[]string{"my-db", "my-db-" + shortHash("db2-id"), "my-service-v2", "queue", "queue-" + shortHash("queue-id")},
		[]string{"my-db-" + shortHash("db2-id") + "-p", "my-db-p", "my-service-v2-gold-plan", "queue-" + shortHash("queue-id") + "-p"},
	)
	type renamed struct{ ExternalName, ExternalID string }
	c = f.class("my-service-v2")
	looptest.Expect(t, "renamed class", renamed{"Renamed", "db-id"}, renamed{c.Spec.ExternalName, c.Spec.ExternalID})
	looptest.Expect(t, "class of the renamed class's plan", "my-service-v2", f.plan("my-service-v2-gold-plan").ClassName)
	f.wantReady(metav1.ConditionTrue, conditions.FetchedCatalog)
}

func TestCatalogRestrictions(t *testing.T) {
	notFree := false
	paid := func(p osb.Plan) osb.Plan { p.Free = &notFree; return p }
	f := newFixture(t, testBroker(func(b *v1beta1.ClusterServiceBroker) {
		b.Spec.CatalogRestrictions = &v1beta1.CatalogRestrictions{
			ServiceClass: []string{"spec.externalName in (kv, queue)", "name!=blocked"},
			ServicePlan:  []string{"spec.free=true", "spec.externalName!=beta"},
		}
	}))
	f.answer = catalogOf(
		service("kv-id", "kv", plan("kv-small-id", "small"), paid(plan("kv-large-id", "large")), plan("kv-beta-id", "beta")),
		// Every plan is filtered out: the class is not published.
		service("queue-id", "queue", paid(plan("queue-p-id", "p"))),
		service("db-id", "db", plan("db-p-id", "p")),
		service("blocked-id", "blocked", plan("blocked-p-id", "p")),
	)
	f.MustSync()
	f.wantNames([]string{"kv"}, []string{"kv-small"})
	b := f.wantReady(metav1.ConditionTrue, conditions.FetchedCatalog)
	type published struct {
		Classes, Plans int32
		Skipped        int
	}
	looptest.Expect(t, "published", published{1, 1, 0}, published{b.Status.ServiceClassCount, b.Status.ServicePlanCount, len(b.Status.SkippedOfferings)})

	// Plans can also be picked by their class.
	f.changeSpec(func(b *catalog.Broker) {
		b.Spec.CatalogRestrictions = &v1beta1.CatalogRestrictions{ServicePlan: []string{"spec.clusterServiceClass.name=db"}}
	})
	f.MustSync()
	// What is no longer allowed is removed from the catalog; unused, it is deleted at once.
	f.wantNames([]string{"db"}, []string{"db-p"})
	f.WantEvents(conditions.FetchedCatalog, "PlanRemovedFromCatalog", "ClassRemovedFromCatalog", conditions.FetchedCatalog)
	f.ForgetWrites()
	f.MustSync()
	f.WantWrites()
	f.wantNames([]string{"db"}, []string{"db-p"})
}

func TestInvalidRestrictionsAreReported(t *testing.T) {
	f := newFixture(t, testBroker(func(b *v1beta1.ClusterServiceBroker) {
		b.Spec.CatalogRestrictions = &v1beta1.CatalogRestrictions{ServicePlan: []string{"spec.free in (true"}}
	}))
	f.answer = kvCatalog()
	f.MustSync()
	b := f.wantReady(metav1.ConditionFalse, conditions.ErrorSyncingCatalog)
	if m := readyMessage(b); !strings.Contains(m, "catalogRestrictions.servicePlan") {
		t.Errorf("message %q", m)
	}
	f.wantNames(nil, nil)
}

func TestMalformedOfferingsAreSkippedAndTheOthersPublished(t *testing.T) {
	f := newFixture(t, testBroker())
	noDescription := service("bad-id", "bad", plan("bad-p-id", "p"))
	noDescription.Description = ""
	noPlans := service("empty-id", "empty")
	f.answer = catalogOf(
		service("kv-id", "kv", plan("kv-small-id", "small")),
		noDescription,
		noPlans,
		service("kv-id", "kv-again", plan("kv-again-p-id", "p")), // duplicate id
		service("other-id", "kv", plan("other-p-id", "p")),       // duplicate name
		service("dup-plans-id", "dup", plan("dup-p-id", "p"), plan("dup-p-id", "q")),
		service("queue-id", "queue", plan("queue-p-id", "p")),
	)
	f.MustSync()
	f.wantNames([]string{"kv", "queue"}, []string{"kv-small", "queue-p"})
	b := f.wantReady(metav1.ConditionTrue, conditions.FetchedCatalog)
	type published struct{ Classes, Plans int32 }
	looptest.Expect(t, "published", published{2, 2}, published{b.Status.ServiceClassCount, b.Status.ServicePlanCount})
	looptest.Expect(t, "skipped offerings", []v1beta1.SkippedOffering{
		{Name: "bad", ID: "bad-id", Message: "offering description is required"},
		{Name: "empty", ID: "empty-id", Message: "offering must have at least one plan"},
		{Name: "kv-again", ID: "kv-id", Message: `offering id "kv-id" appears twice in the catalog`},
		{Name: "kv", ID: "other-id", Message: `offering name "kv" appears twice in the catalog`},
		{Name: "dup", ID: "dup-plans-id", Message: `plans[1]: duplicate plan id "dup-p-id"`},
	}, b.Status.SkippedOfferings)
	if m := readyMessage(b); !strings.Contains(m, "Skipped 5 malformed offerings") {
		t.Errorf("message %q", m)
	}
	events := f.WantEvents("SkippedOfferings", conditions.FetchedCatalog)
	if !strings.HasPrefix(events[0], corev1.EventTypeWarning) || !strings.Contains(events[0], `"bad": offering description is required`) {
		t.Errorf("event %q", events[0])
	}
}

func TestAPlanIDUsedByTwoOfferingsIsSkipped(t *testing.T) {
	f := newFixture(t, testBroker())
	f.answer = catalogOf(
		service("kv-id", "kv", plan("shared-id", "small")),
		service("queue-id", "queue", plan("shared-id", "small")),
	)
	f.MustSync()
	f.wantNames([]string{"kv"}, []string{"kv-small"})
	b := f.wantReady(metav1.ConditionTrue, conditions.FetchedCatalog)
	type skip struct {
		ID           string
		NamesThePlan bool
	}
	var skipped []skip
	for _, s := range b.Status.SkippedOfferings {
		skipped = append(skipped, skip{s.ID, strings.Contains(s.Message, `plan id "shared-id"`)})
	}
	looptest.Expect(t, "skipped offerings", []skip{{"queue-id", true}}, skipped)
	// The next relist publishes the same, and does not fail.
	f.Clock.Step(defaultRelist)
	f.MustSync()
	f.wantReady(metav1.ConditionTrue, conditions.FetchedCatalog)
	f.wantNames([]string{"kv"}, []string{"kv-small"})
}

func TestRemovedEntriesAreMarkedThenDeletedOnceUnused(t *testing.T) {
	f := newFixture(t, testBroker())
	f.answer = catalogOf(
		service("kv-id", "kv", plan("kv-small-id", "small"), plan("kv-large-id", "large")),
		service("queue-id", "queue", plan("queue-p-id", "p")),
	)
	f.MustSync()
	f.WantEvents(conditions.FetchedCatalog)
	// An instance uses plan large.
	if _, err := f.Catalog.ServicecatalogV1beta1().ServiceInstances("ns").Create(context.Background(), instanceOn("db", "kv", "kv-large"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.Refresh()
	f.Catalog.ClearActions()

	// The broker drops plan large and offering queue. What no instance uses goes at once:
	// the plan, and with it its class, which nothing needs any more. Plan large, in use, is
	// marked removed.
	f.answer = catalogOf(service("kv-id", "kv", plan("kv-small-id", "small")))
	f.Clock.Step(defaultRelist)
	f.WantRequeue(f.MustSync(), defaultRelist)
	f.wantNames([]string{"kv"}, []string{"kv-large", "kv-small"})
	type removed struct{ KVLarge, KV, KVSmall bool }
	looptest.Expect(t, "removed from the catalog", removed{KVLarge: true}, removed{
		f.plan("kv-large").Status.RemovedFromBrokerCatalog, f.class("kv").Status.RemovedFromBrokerCatalog,
		f.plan("kv-small").Status.RemovedFromBrokerCatalog,
	})
	type published struct{ Classes, Plans int32 }
	b := f.broker()
	looptest.Expect(t, "published", published{1, 1}, published{b.Status.ServiceClassCount, b.Status.ServicePlanCount})
	f.WantEvents("PlanRemovedFromCatalog", "ClassRemovedFromCatalog", "PlanRemovedFromCatalog", conditions.FetchedCatalog)
	f.WantWrites("delete clusterserviceplans queue-p", "delete clusterserviceclasses queue",
		"update clusterserviceplans/status kv-large", "update clusterservicebrokers/status the-broker")

	// The next sync has nothing to delete while the instance uses plan large.
	f.WantRequeue(f.MustSync(), defaultRelist)
	f.wantFetches(2)
	f.WantWrites()

	// Once its instance is gone, the removed plan goes too.
	if err := f.Catalog.ServicecatalogV1beta1().ServiceInstances("ns").Delete(context.Background(), "db", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	f.Refresh()
	f.Catalog.ClearActions()
	f.MustSync()
	f.WantWrites("delete clusterserviceplans kv-large")
	f.wantNames([]string{"kv"}, []string{"kv-small"})
	f.wantFetches(2)
}

func TestARemovedPlanThatComesBackIsRestored(t *testing.T) {
	f := newFixture(t, testBroker())
	f.answer = kvCatalog()
	f.MustSync()
	if _, err := f.Catalog.ServicecatalogV1beta1().ServiceInstances("ns").Create(context.Background(), instanceOn("db", "kv", "kv-large"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.Refresh()
	uid := f.plan("kv-large").Object.GetUID()

	f.answer = catalogOf(service("kv-id", "kv", plan("kv-small-id", "small")))
	f.Clock.Step(defaultRelist)
	f.MustSync()
	if !f.plan("kv-large").Status.RemovedFromBrokerCatalog {
		t.Fatal("kv-large is not marked removed")
	}
	f.answer = kvCatalog()
	f.Clock.Step(defaultRelist)
	f.ForgetWrites()
	f.MustSync()
	f.WantWrites("update clusterserviceplans/status kv-large", "update clusterservicebrokers/status the-broker")
	type restored struct {
		Removed bool
		UID     types.UID
	}
	p := f.plan("kv-large")
	looptest.Expect(t, "kv-large", restored{false, uid}, restored{p.Status.RemovedFromBrokerCatalog, p.Object.GetUID()})
}

func TestFetchFailuresBackOff(t *testing.T) {
	for _, tc := range []struct {
		name    string
		broker  func(*v1beta1.ClusterServiceBroker)
		answer  error
		reason  string
		message string
		fetches bool
		forgets bool
	}{
		{"401", nil, &osb.HTTPStatusCodeError{StatusCode: 401}, conditions.BrokerAuthenticationFailed, "401 Unauthorized", true, true},
		{"412", nil, &osb.HTTPStatusCodeError{StatusCode: 412, Description: "use 2.14"}, conditions.BrokerAPIVersionRejected, "use 2.14", true, false},
		{"500", nil, &osb.HTTPStatusCodeError{StatusCode: 500}, conditions.ErrorFetchingCatalog, "500", true, false},
		{"timeout", nil, &osb.TransportError{Operation: osb.OperationGetCatalog, Timeout: true}, conditions.ErrorFetchingCatalog, "timed out", true, false},
		{"malformed", nil, &osb.MalformedResponseError{StatusCode: 200, Reason: `"services" is missing`}, conditions.ErrorFetchingCatalog, `"services" is missing`, true, false},
		{"missing credentials", func(b *v1beta1.ClusterServiceBroker) {
			b.Spec.AuthInfo = &v1beta1.ClusterServiceBrokerAuthInfo{Basic: &v1beta1.ClusterBasicAuthConfig{
				SecretRef: &v1beta1.ObjectReference{Namespace: "catalog", Name: "broker-auth"},
			}}
		}, nil, conditions.ErrorGettingAuthCredentials, "auth Secret catalog/broker-auth not found", false, false},
		{"unsupported API version", func(b *v1beta1.ClusterServiceBroker) { b.Spec.OSBAPIVersion = "2.99" }, nil,
			conditions.ErrorFetchingCatalog, `unsupported OSB API version "2.99"`, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			broker := testBroker()
			if tc.broker != nil {
				broker = testBroker(tc.broker)
			}
			f := newFixture(t, broker)
			f.answer = tc.answer
			f.WantRequeue(f.MustSync(), looptest.BackoffWait(looptest.Start, backoffBase))
			b := f.wantReady(metav1.ConditionFalse, tc.reason)
			if m := readyMessage(b); !strings.Contains(m, tc.message) || !strings.Contains(m, "attempt 1") {
				t.Errorf("message %q, want %q", m, tc.message)
			}
			type failed struct {
				Attempts           int32
				ObservedGeneration int64
				Fetched            bool
			}
			looptest.Expect(t, "status", failed{1, 1, false},
				failed{b.Status.Attempts.Count, b.Status.ObservedGeneration, b.Status.LastCatalogRetrievalTime != nil})
			f.WantEvents(tc.reason)
			fetches := 0
			if tc.fetches {
				fetches = 1
			}
			f.wantFetches(fetches)

			// No tight loop: a sync before the next attempt makes no request.
			f.Clock.Step(5 * time.Second)
			f.WantRequeue(f.MustSync(), looptest.BackoffWait(looptest.Start, backoffBase)-5*time.Second)
			f.wantFetches(fetches)
			f.ForgetWrites()

			// The next attempt waits twice as long.
			f.Clock.Step(looptest.BackoffWait(looptest.Start, backoffBase) - 5*time.Second)
			now := f.Clock.Now()
			f.WantRequeue(f.MustSync(), looptest.BackoffWait(now, 2*backoffBase))
			looptest.Expect(t, "attempts", int32(2), f.broker().Status.Attempts.Count)
			if tc.fetches {
				fetches = 2
			}
			f.wantFetches(fetches)
			builds := 1
			if tc.forgets {
				builds = 2
			}
			if !tc.fetches {
				builds = 0
			}
			if n := len(f.OSB.Configs()); n != builds {
				t.Errorf("the broker client was built %d times, want %d", n, builds)
			}

			// Once the broker answers, the attempts are forgotten.
			f.answer = kvCatalog()
			f.Clock.Step(time.Hour)
			if tc.broker != nil {
				f.changeSpec(func(b *catalog.Broker) {
					b.Object.(*v1beta1.ClusterServiceBroker).Spec.AuthInfo, b.Spec.OSBAPIVersion = nil, ""
				})
			}
			f.MustSync()
			b = f.wantReady(metav1.ConditionTrue, conditions.FetchedCatalog)
			looptest.Expect(t, "attempts", v1beta1.OperationAttempts{}, b.Status.Attempts)
		})
	}
}

func TestAFailedFetchKeepsThePublishedCatalog(t *testing.T) {
	f := newFixture(t, testBroker())
	f.answer = kvCatalog()
	f.MustSync()
	f.ForgetWrites()
	f.answer = &osb.HTTPStatusCodeError{StatusCode: 503}
	f.Clock.Step(defaultRelist)
	f.MustSync()
	f.wantReady(metav1.ConditionFalse, conditions.ErrorFetchingCatalog)
	f.WantWrites("update clusterservicebrokers/status the-broker")
	f.wantNames([]string{"kv"}, []string{"kv-large", "kv-small"})
	looptest.Expect(t, "class kv removed from the catalog", false, f.class("kv").Status.RemovedFromBrokerCatalog)
}

func TestDeletionWaitsForInstancesThenCleansUp(t *testing.T) {
	f := newFixture(t, testBroker())
	f.answer = kvCatalog()
	f.MustSync()
	f.WantEvents(conditions.FetchedCatalog)
	sc := f.Catalog.ServicecatalogV1beta1()
	var names []string
	for n := range 7 {
		name := fmt.Sprintf("db-%d", n)
		names = append(names, name)
		if _, err := sc.ServiceInstances("ns").Create(context.Background(), instanceOn(name, "kv", "kv-small"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	other := instanceOn("elsewhere", "x", "y")
	other.Status.ClusterServiceBrokerName = "other-broker"
	if _, err := sc.ServiceInstances("ns").Create(context.Background(), other, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.markDeleted()
	f.ForgetWrites()

	f.MustSync()
	b := f.wantReady(metav1.ConditionFalse, conditions.DeletionBlockedByInstances)
	want := "7 instances of its plans still exist (ns/db-0, ns/db-1, ns/db-2, ns/db-3, ns/db-4, ...)"
	if m := readyMessage(b); !strings.Contains(m, want) {
		t.Errorf("message %q, want %q", m, want)
	}
	f.WantEvents(conditions.DeletionBlockedByInstances)
	f.WantWrites("update clusterservicebrokers/status the-broker")
	f.wantFetches(1)

	// Nothing changed: nothing is written.
	f.MustSync()
	f.WantWrites()
	f.WantEvents()

	for _, name := range names {
		if err := sc.ServiceInstances("ns").Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	f.Refresh()
	f.ForgetWrites()
	f.MustSync()
	f.WantWrites(
		"delete clusterserviceplans kv-small", "delete clusterserviceplans kv-large", "delete clusterserviceclasses kv",
		"patch clusterservicebrokers the-broker",
	)
	if b := f.broker(); len(b.Object.GetFinalizers()) != 0 {
		t.Errorf("finalizers %v", b.Object.GetFinalizers())
	}
	f.wantNames(nil, nil)
	f.wantFetches(1)
	// The broker's client is forgotten.
	if _, err := f.c.cfg.BrokerClients.ClientFor(context.Background(), f.broker()); err != nil {
		t.Fatal(err)
	}
	if n := len(f.OSB.Configs()); n != 2 {
		t.Errorf("the broker client was built %d times, want 2", n)
	}
}

func TestDeletionOfAnUnusedBroker(t *testing.T) {
	now := metav1.NewTime(looptest.Start)
	f := newFixture(t, testBroker(func(b *v1beta1.ClusterServiceBroker) { b.DeletionTimestamp = &now }))
	f.MustSync()
	f.WantWrites("patch clusterservicebrokers the-broker")
	f.wantFetches(0)

	// Without the finalizer, nothing is left to do.
	f.MustSync()
	f.WantWrites()
}

func TestABrokerThatIsGoneIsForgotten(t *testing.T) {
	f := newFixture(t, testBroker())
	f.answer = kvCatalog()
	f.MustSync()
	if err := f.Informers.ClusterServiceBrokers().Informer().GetIndexer().Delete(f.broker().Object); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.sync(context.Background(), cache.ObjectName{Name: "the-broker"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.cfg.BrokerClients.ClientFor(context.Background(), f.broker()); err != nil {
		t.Fatal(err)
	}
	if n := len(f.OSB.Configs()); n != 2 {
		t.Errorf("the broker client was built %d times, want 2", n)
	}
}

func TestASyncOnAStaleCacheDoesNothing(t *testing.T) {
	f := newFixture(t, testBroker())
	f.answer = &osb.HTTPStatusCodeError{StatusCode: 503}
	key := cache.ObjectName{Name: "the-broker"}
	if _, err := f.c.sync(context.Background(), key); err != nil {
		t.Fatal(err)
	}
	f.ForgetWrites()
	// The cached broker still has the status before the failure: no backoff recorded.
	for range 3 {
		result, err := f.c.sync(context.Background(), key)
		if err != nil {
			t.Fatalf("sync on a stale cache: %v", err)
		}
		looptest.Require(t, "result of a sync on a stale cache", controller.Result{}, result)
	}
	f.wantFetches(1)
	f.WantWrites()
	f.Refresh()
	if result := f.MustSync(); result.RequeueAfter <= 0 {
		t.Errorf("result %+v", result)
	}
	f.wantFetches(1)
}

func TestAFailedPublishIsReportedAndRetried(t *testing.T) {
	f := newFixture(t, testBroker())
	f.answer = kvCatalog()
	failures := 1
	f.Catalog.PrependReactor("create", "clusterserviceplans", func(clienttesting.Action) (bool, runtime.Object, error) {
		if failures > 0 {
			failures--
			return true, nil, apierrors.NewServiceUnavailable("etcd is unwell")
		}
		return false, nil, nil
	})
	f.WantRequeue(f.MustSync(), looptest.BackoffWait(looptest.Start, backoffBase))
	b := f.wantReady(metav1.ConditionFalse, conditions.ErrorSyncingCatalog)
	if m := readyMessage(b); !strings.Contains(m, "creating plan kv-small") {
		t.Errorf("message %q, want it to name the plan", m)
	}
	looptest.Expect(t, "lastCatalogRetrievalTime", (*metav1.Time)(nil), b.Status.LastCatalogRetrievalTime)
	f.WantEvents(conditions.ErrorSyncingCatalog)

	f.Clock.Step(looptest.BackoffWait(looptest.Start, backoffBase))
	f.MustSync()
	f.wantReady(metav1.ConditionTrue, conditions.FetchedCatalog)
	f.wantNames([]string{"kv"}, []string{"kv-large", "kv-small"})
}
