package controller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/broker"
)

func TestBrokersWithTheSameCatalogDoNotClash(t *testing.T) {
	e := newEnv(t, envOptions{catalog: defaultCatalog})
	ctx := context.Background()
	sc := e.catalog.ServicecatalogV1beta1()

	// A second broker serves the same catalog, ids and all, as a second deployment of one
	// broker would.
	twin, err := broker.New(broker.Options{Catalog: e.broker.Catalog()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(twin.Close)
	twinName := e.brokerName + "-twin"
	e.addBroker(twinName, newServer(t, twin))
	b := e.waitBrokerNamedReady(twinName)
	if b.Status.ServiceClassCount != 1 || b.Status.ServicePlanCount != 4 {
		t.Errorf("twin broker status: %+v", b.Status)
	}

	// The first broker keeps the readable names; the twin's entries get the hash of their id.
	h := nameHash("db-" + e.id + "-service")
	want := map[string][]string{
		e.brokerName: {"db-" + e.id, "db-" + e.id + "-fixed", "db-" + e.id + "-large", "db-" + e.id + "-nobind", "db-" + e.id + "-small"},
		twinName:     {"db-" + e.id + "-" + h, "db-" + e.id + "-" + h + "-fixed", "db-" + e.id + "-" + h + "-large", "db-" + e.id + "-" + h + "-nobind", "db-" + e.id + "-" + h + "-small"},
	}
	for brokerName, names := range want {
		if got := e.entryNames(brokerName); !slices.Equal(got, names) {
			t.Errorf("entries of %s: %v, want %v", brokerName, got, names)
		}
	}

	// An instance of the twin's plan goes to the twin.
	i := e.instance("on-twin", "", "", "")
	i.Spec.PlanReference = v1beta1.PlanReference{ClusterServiceClassName: "db-" + e.id + "-" + h, ClusterServicePlanName: "db-" + e.id + "-" + h + "-small"}
	i = e.createInstance(i)
	e.waitInstanceReady(i.Name)
	if got := e.requests(i.Spec.ExternalID); len(got) != 0 {
		t.Errorf("the first broker saw %v for the twin's instance", got)
	}
	if got := len(twin.Instances()); got != 1 {
		t.Errorf("the twin holds %d instances, want 1", got)
	}
	e.deleteInstance(i.Name)
	e.waitInstanceGone(i.Name)
	if err := sc.ClusterServiceBrokers().Delete(ctx, twinName, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.waitBrokerGone(twinName)
}

func TestAnOfferingWithNewIDsGetsItsNamesBack(t *testing.T) {
	e := newEnv(t, envOptions{catalog: defaultCatalog})
	old := e.classByExternalName("db-" + e.id)

	// The broker restarts and generates new ids for its offering and plans, as
	// overview-broker does.
	e.setCatalog(strings.ReplaceAll(defaultCatalog, "id: db-{id}-", "id: db-{id}-restarted-"))
	e.relist()

	class := e.classByExternalName("db-" + e.id)
	type entry struct{ Name, ExternalID string }
	if got, want := (entry{class.Name, class.Spec.ExternalID}), (entry{"db-" + e.id, "db-" + e.id + "-restarted-service"}); got != want {
		t.Errorf("class %+v, want %+v", got, want)
	}
	if class.UID == old.UID {
		t.Errorf("the class was not published anew")
	}
	for _, p := range []string{"small", "large", "fixed", "nobind"} {
		plan := e.plan("db-" + e.id + "-" + p)
		if got, want := plan.Spec.ExternalID, "db-"+e.id+"-restarted-"+p; got != want {
			t.Errorf("plan %s has external id %q, want %q", plan.Name, got, want)
		}
	}
	if got := e.entryNames(e.brokerName); len(got) != 5 {
		t.Errorf("entries of the broker: %v, want a class and 4 plans", got)
	}

	// The new entries work.
	i := e.createInstance(e.instance("after-restart", "db-{id}", "small", ""))
	e.waitInstanceReady(i.Name)
}

// addBroker registers another broker, relisted by hand, and deletes it at the end of the
// test.
func (e *env) addBroker(name, url string) {
	e.t.Helper()
	b := &v1beta1.ClusterServiceBroker{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1beta1.ClusterServiceBrokerSpec{CommonServiceBrokerSpec: v1beta1.CommonServiceBrokerSpec{
			URL: url, RelistBehavior: v1beta1.ServiceBrokerRelistBehaviorManual,
		}},
	}
	brokers := e.catalog.ServicecatalogV1beta1().ClusterServiceBrokers()
	if _, err := brokers.Create(context.Background(), b, metav1.CreateOptions{}); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		_ = brokers.Delete(context.Background(), name, metav1.DeleteOptions{})
		e.waitBrokerGone(name)
	})
}

// waitBrokerNamedReady waits until a broker's catalog was published.
func (e *env) waitBrokerNamedReady(name string) *v1beta1.ClusterServiceBroker {
	e.t.Helper()
	var last *v1beta1.ClusterServiceBroker
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		b, err := e.catalog.ServicecatalogV1beta1().ClusterServiceBrokers().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		last = b
		return meta.IsStatusConditionTrue(b.Status.Conditions, v1beta1.ConditionReady) && b.Status.ObservedGeneration == b.Generation, nil
	})
	if err != nil {
		e.t.Fatalf("broker %s never became Ready; last status: %+v", name, statusOf(last))
	}
	return last
}

// waitBrokerGone waits until a broker no longer exists.
func (e *env) waitBrokerGone(name string) {
	e.t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := e.catalog.ServicecatalogV1beta1().ClusterServiceBrokers().Get(ctx, name, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if err != nil {
		e.t.Errorf("broker %s was not deleted", name)
	}
}

// entryNames returns the names of a broker's classes and plans, sorted.
func (e *env) entryNames(brokerName string) []string {
	e.t.Helper()
	ctx := context.Background()
	sc := e.catalog.ServicecatalogV1beta1()
	selector := metav1.ListOptions{FieldSelector: "spec.clusterServiceBrokerName=" + brokerName}
	classes, err := sc.ClusterServiceClasses().List(ctx, selector)
	if err != nil {
		e.t.Fatal(err)
	}
	plans, err := sc.ClusterServicePlans().List(ctx, selector)
	if err != nil {
		e.t.Fatal(err)
	}
	var names []string
	for _, c := range classes.Items {
		names = append(names, c.Name)
	}
	for _, p := range plans.Items {
		names = append(names, p.Name)
	}
	slices.Sort(names)
	return names
}

// nameHash is the hash the broker loop appends to a class or plan name that is taken.
func nameHash(externalID string) string {
	sum := sha256.Sum256([]byte(externalID))
	return hex.EncodeToString(sum[:])[:8]
}
