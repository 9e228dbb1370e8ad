package broker

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/internal/looptest"
)

// authSecret is a Secret of basic auth credentials whose user is named after its namespace.
func authSecret(namespace string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "broker-auth"},
		Data:       map[string][]byte{"username": []byte(namespace + "-user"), "password": []byte("secret")},
	}
}

// withBasicAuth makes a ServiceBroker authenticate with the Secret "broker-auth" of its
// namespace.
func withBasicAuth(b *v1beta1.ServiceBroker) {
	b.Spec.AuthInfo = &v1beta1.ServiceBrokerAuthInfo{Basic: &v1beta1.BasicAuthConfig{SecretRef: &v1beta1.LocalObjectReference{Name: "broker-auth"}}}
}

func TestANamespacedBrokerPublishesIntoItsNamespace(t *testing.T) {
	// Secrets of the same name elsewhere are not the broker's.
	f := newFixture(t, namespacedBroker("team-a", withBasicAuth), authSecret("team-a"), authSecret("catalog"), authSecret("team-b")).in("team-a")
	f.answer = kvCatalog()
	f.WantRequeue(f.MustSync(), defaultRelist)

	broker := f.wantReady(metav1.ConditionTrue, conditions.FetchedCatalog)
	looptest.Expect(t, "published", "Published 1 classes and 2 plans from the catalog.", readyMessage(broker))
	type client struct{ Name, User string }
	var clients []client
	for _, cfg := range f.OSB.Configs() {
		clients = append(clients, client{cfg.Name, cfg.Auth.Basic.Username})
	}
	looptest.Expect(t, "broker clients", []client{{"team-a/the-broker", "team-a-user"}}, clients)
	f.wantNames([]string{"kv"}, []string{"kv-large", "kv-small"})
	f.in("").wantNames(nil, nil)
	f.in("team-a")

	owner := []metav1.OwnerReference{{
		APIVersion: "servicecatalog.k8s.io/v1beta1", Kind: "ServiceBroker", Name: "the-broker", UID: "broker-uid-team-a",
		Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(false),
	}}
	type published struct {
		Namespace, Name string
		Owners          []metav1.OwnerReference
		Spec            any
	}
	class, small := f.class("kv").Object.(*v1beta1.ServiceClass), f.plan("kv-small").Object.(*v1beta1.ServicePlan)
	looptest.Expect(t, "class and plan", []published{
		{"team-a", "kv", owner, v1beta1.ServiceClassSpec{
			CommonServiceClassSpec: classSpec{ExternalName: "kv", ExternalID: "kv-id", Description: "The kv service", Bindable: true},
			ServiceBrokerName:      "the-broker",
		}},
		{"team-a", "kv-small", owner, v1beta1.ServicePlanSpec{
			CommonServicePlanSpec: planSpec{ExternalName: "small", ExternalID: "kv-small-id", Description: "The small plan", Free: true},
			ServiceBrokerName:     "the-broker",
			ServiceClassRef:       v1beta1.LocalObjectReference{Name: "kv"},
		}},
	}, []published{
		{class.Namespace, class.Name, class.OwnerReferences, class.Spec},
		{small.Namespace, small.Name, small.OwnerReferences, small.Spec},
	})
	looptest.Expect(t, "fetched at", metav1.NewTime(looptest.Start), *small.Status.LastCatalogRetrievalTime)
	f.WantEvents(conditions.FetchedCatalog)
	f.WantWrites(
		"create serviceclasses kv", "update serviceclasses/status kv",
		"create serviceplans kv-small", "update serviceplans/status kv-small",
		"create serviceplans kv-large", "update serviceplans/status kv-large",
		"update servicebrokers/status the-broker",
	)
}

func TestANamespacedBrokerReadsItsSecretInItsNamespace(t *testing.T) {
	f := newFixture(t, namespacedBroker("team-b", withBasicAuth), authSecret("team-a")).in("team-b")
	f.answer = kvCatalog()
	f.MustSync()
	b := f.wantReady(metav1.ConditionFalse, conditions.ErrorGettingAuthCredentials)
	if m, want := readyMessage(b), "auth Secret team-b/broker-auth not found"; !strings.Contains(m, want) {
		t.Errorf("message %q, want it to contain %q", m, want)
	}
	f.wantFetches(0)
}

// threeBrokers are brokers of one name: the ClusterServiceBroker and the ServiceBrokers of
// namespaces team-a and team-b.
func threeBrokers() []runtime.Object {
	return []runtime.Object{testBroker(), namespacedBroker("team-a"), namespacedBroker("team-b")}
}

// syncEach syncs the broker "the-broker" of each namespace ("" for the cluster's), and
// leaves the fixture at the last.
func (f *fixture) syncEach(namespaces ...string) {
	f.T.Helper()
	for _, ns := range namespaces {
		f.in(ns).MustSync()
		f.wantReady(metav1.ConditionTrue, conditions.FetchedCatalog)
	}
}

func TestBrokersOfOneNameInTheClusterAndTwoNamespacesDoNotInterfere(t *testing.T) {
	// Another broker of team-a published a class named kv in team-a.
	other := &v1beta1.ServiceClass{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "kv", UID: "uid-other-kv"}}
	other.Spec.ExternalID, other.Spec.ExternalName, other.Spec.ServiceBrokerName = "kv-id", "kv", "other-broker"
	f := newFixture(t, append(threeBrokers(), other)...)
	f.answer = kvCatalog()
	f.syncEach("", "team-a", "team-b")

	// Each publishes in its scope and namespace, named around what is there only.
	h := shortHash("kv-id")
	for _, tc := range []struct {
		ns, class string
		classes   []string
	}{
		{"", "kv", []string{"kv"}},
		{"team-a", "kv-" + h, []string{"kv", "kv-" + h}},
		{"team-b", "kv", []string{"kv"}},
	} {
		f.in(tc.ns).wantNames(tc.classes, []string{tc.class + "-large", tc.class + "-small"})
		type entry struct {
			Broker, Class string
			Owner         types.UID
		}
		large := f.plan(tc.class + "-large")
		looptest.Expect(t, "large plan of namespace "+tc.ns, entry{"the-broker", tc.class, f.broker().Object.GetUID()},
			entry{large.BrokerName, large.ClassName, large.Object.GetOwnerReferences()[0].UID})
	}

	// The next relist of one writes nothing but its status.
	f.Clock.Step(defaultRelist)
	f.ForgetWrites()
	f.in("team-b").MustSync()
	f.WantWrites("update servicebrokers/status the-broker")
}

func TestANamespacedBrokerDeletesItsUnusedRemovedEntriesOnly(t *testing.T) {
	f := newFixture(t, threeBrokers()...)
	f.answer = catalogOf(service("kv-id", "kv", plan("kv-small-id", "small"), plan("kv-large-id", "large")), service("queue-id", "queue", plan("queue-p-id", "p")))
	f.syncEach("", "team-b", "team-a")
	// Instances of team-a use its kv-large; of team-b and of the cluster, their queue-p.
	f.createInstance(namespacedInstanceOn("team-a", "db", "kv", "kv-large"))
	f.createInstance(namespacedInstanceOn("team-b", "mq", "queue", "queue-p"))
	f.createInstance(instanceOn("mq", "queue", "queue-p"))

	// team-a's broker drops plan large and offering queue: its unused queue and queue-p
	// go, though other namespaces' entries of those names are in use; its kv-large stays.
	f.answer = catalogOf(service("kv-id", "kv", plan("kv-small-id", "small")))
	f.Clock.Step(defaultRelist)
	f.ForgetWrites()
	f.WantEvents(conditions.FetchedCatalog, conditions.FetchedCatalog, conditions.FetchedCatalog)
	f.MustSync()
	f.WantWrites("delete serviceplans queue-p", "delete serviceclasses queue", "update serviceplans/status kv-large", "update servicebrokers/status the-broker")
	f.WantEvents("PlanRemovedFromCatalog", "ClassRemovedFromCatalog", "PlanRemovedFromCatalog", conditions.FetchedCatalog)
	f.wantNames([]string{"kv"}, []string{"kv-large", "kv-small"})
	looptest.Expect(t, "kv-large of team-a removed from the catalog", true, f.plan("kv-large").Status.RemovedFromBrokerCatalog)
	for _, ns := range []string{"", "team-b"} {
		f.in(ns).wantNames([]string{"kv", "queue"}, []string{"kv-large", "kv-small", "queue-p"})
		looptest.Expect(t, "kv-large of namespace "+ns+" removed from the catalog", false, f.plan("kv-large").Status.RemovedFromBrokerCatalog)
	}

	// An instance of team-b on its kv-large does not keep team-a's.
	f.createInstance(namespacedInstanceOn("team-b", "db", "kv", "kv-large"))
	f.in("team-a").deleteInstance("team-a", "db")
	f.ForgetWrites()
	f.MustSync()
	f.WantWrites("delete serviceplans kv-large")
	f.wantNames([]string{"kv"}, []string{"kv-small"})
	f.wantFetches(4)
}

func TestDeletionOfAServiceBrokerWaitsForTheInstancesOfItsPlans(t *testing.T) {
	f := newFixture(t, threeBrokers()...)
	f.answer = kvCatalog()
	f.syncEach("", "team-b", "team-a")
	// Instances of the same names of class and plan elsewhere do not hold it.
	f.createInstance(namespacedInstanceOn("team-a", "db", "kv", "kv-small"))
	f.createInstance(namespacedInstanceOn("team-b", "db", "kv", "kv-small"))
	f.createInstance(instanceOn("db", "kv", "kv-small"))
	f.WantEvents(conditions.FetchedCatalog, conditions.FetchedCatalog, conditions.FetchedCatalog)
	f.markDeleted()
	f.ForgetWrites()

	f.MustSync()
	b := f.wantReady(metav1.ConditionFalse, conditions.DeletionBlockedByInstances)
	if m, want := readyMessage(b), "1 instance of its plans still exists (team-a/db)"; !strings.Contains(m, want) {
		t.Errorf("message %q, want it to contain %q", m, want)
	}
	f.WantEvents(conditions.DeletionBlockedByInstances)
	f.WantWrites("update servicebrokers/status the-broker")

	// The instance's deletion queues the broker, which then goes with its entries.
	looptest.Expect(t, "brokers queued by the instance's deletion", []cache.ObjectName{{Namespace: "team-a", Name: "the-broker"}},
		resolvedBroker(namespacedInstanceOn("team-a", "db", "kv", "kv-small")))
	f.deleteInstance("team-a", "db")
	f.ForgetWrites()
	f.MustSync()
	f.WantWrites("delete serviceplans kv-small", "delete serviceplans kv-large", "delete serviceclasses kv", "patch servicebrokers the-broker")
	looptest.Expect(t, "finalizers", []string(nil), f.broker().Object.GetFinalizers(), cmpopts.EquateEmpty())
	f.wantNames(nil, nil)
	for _, ns := range []string{"", "team-b"} {
		f.in(ns).wantNames([]string{"kv"}, []string{"kv-large", "kv-small"})
	}
}

func TestResolvedBrokerOfAnInstance(t *testing.T) {
	looptest.Expect(t, "brokers", [][]cache.ObjectName{{{Name: "the-broker"}}, {{Namespace: "team-a", Name: "the-broker"}}, nil},
		[][]cache.ObjectName{resolvedBroker(instanceOn("db", "kv", "kv-small")), resolvedBroker(namespacedInstanceOn("team-a", "db", "kv", "kv-small")), resolvedBroker(&v1beta1.ServiceInstance{})})
}

func TestCatalogDigests(t *testing.T) {
	for _, ns := range []string{"", "team-a"} {
		t.Run("namespace "+ns, func(t *testing.T) {
			f := newFixture(t, threeBrokers()...).in(ns)
			svc := service("kv-id", "kv", plan("kv-small-id", "small"), plan("kv-large-id", "large"))
			f.answer = catalogOf(svc)
			f.MustSync()
			type status struct {
				Digest  string
				Fetched time.Time
			}
			statusOf := func(s *v1beta1.CommonServiceClassStatus) status {
				return status{s.CatalogDigest, s.LastCatalogRetrievalTime.Time}
			}
			looptest.Expect(t, "class kv", status{sha256Of(`{"bindable":true,"description":"The kv service","id":"kv-id","name":"kv"}`), looptest.Start},
				statusOf(f.class("kv").Status))
			looptest.Expect(t, "plan kv-small", status{sha256Of(`{"description":"The small plan","id":"kv-small-id","name":"small"}`), looptest.Start},
				statusOf(f.plan("kv-small").Status))
			large := statusOf(f.plan("kv-large").Status)

			// The same catalog writes no class or plan.
			f.Clock.Step(defaultRelist)
			f.ForgetWrites()
			f.MustSync()
			f.WantWrites("update " + f.resource("servicebrokers") + "/status the-broker")

			// A change of the offering that its class's spec does not show changes its
			// digest only; a plan's new description, its spec and its digest.
			svc.PlanUpdatable = ptr.To(false)
			svc.Plans[0].Description = "Smaller"
			f.answer = catalogOf(svc)
			f.Clock.Step(defaultRelist)
			f.MustSync()
			f.WantWrites("update "+f.resource("serviceclasses")+"/status kv", "update "+f.resource("serviceplans")+" kv-small",
				"update "+f.resource("serviceplans")+"/status kv-small", "update "+f.resource("servicebrokers")+"/status the-broker")
			now := looptest.Start.Add(2 * defaultRelist)
			looptest.Expect(t, "class kv", status{sha256Of(`{"bindable":true,"description":"The kv service","id":"kv-id","name":"kv","plan_updateable":false}`), now},
				statusOf(f.class("kv").Status))
			looptest.Expect(t, "plan kv-small", status{sha256Of(`{"description":"Smaller","id":"kv-small-id","name":"small"}`), now},
				statusOf(f.plan("kv-small").Status))
			looptest.Expect(t, "plan kv-large", large, statusOf(f.plan("kv-large").Status))
		})
	}
}

func TestRequestRelistOfAServiceBroker(t *testing.T) {
	f := newFixture(t, threeBrokers()...).in("team-a")
	var queued []cache.ObjectName
	f.c.enqueue = func(key cache.ObjectName) { queued = append(queued, key) }
	f.answer = kvCatalog()
	f.MustSync()
	f.Clock.Step(time.Minute)

	// A request for the cluster's broker of the same name, or of another namespace's,
	// does not fetch this one's catalog; nor does a key that names no broker.
	f.c.RequestRelist("the-broker")
	f.c.RequestRelist("team-b/the-broker")
	f.c.RequestRelist("team-a/the-broker/x")
	f.MustSync()
	f.wantFetches(1)

	f.c.RequestRelist("team-a/the-broker")
	f.MustSync()
	f.wantFetches(2)
	looptest.Expect(t, "queued", []cache.ObjectName{{Name: "the-broker"}, {Namespace: "team-b", Name: "the-broker"}, {Namespace: "team-a", Name: "the-broker"}}, queued)
	looptest.Expect(t, "pending", []bool{false, true, true},
		[]bool{f.c.relists.pending("team-a/the-broker"), f.c.relists.pending("team-b/the-broker"), f.c.relists.pending("the-broker")})
}
