package controller

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/broker"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
)

func TestBrokerPublishesItsCatalog(t *testing.T) {
	e := newEnv(t, envOptions{catalog: defaultCatalog})
	ctx := context.Background()
	sc := e.catalog.ServicecatalogV1beta1()

	b := e.waitBrokerReady()
	if b.Status.ServiceClassCount != 1 || b.Status.ServicePlanCount != 4 || b.Status.LastCatalogRetrievalTime == nil {
		t.Errorf("broker status: %+v", b.Status)
	}
	class := e.classByExternalName("db-" + e.id)
	if class.Name != "db-"+e.id {
		t.Errorf("class name %q, want the readable db-%s", class.Name, e.id)
	}
	if class.Spec.ExternalID != "db-"+e.id+"-service" || class.Spec.Description != "A database" || !class.Spec.Bindable ||
		!class.Spec.PlanUpdatable || !slices.Equal(class.Spec.Tags, []string{"sql", "database"}) || class.Spec.ClusterServiceBrokerName != e.brokerName {
		t.Errorf("class spec: %+v", class.Spec)
	}
	var metadata map[string]any
	if err := json.Unmarshal(class.Spec.ExternalMetadata.Raw, &metadata); err != nil || metadata["documentationUrl"] != "https://docs.example.com/db" {
		t.Errorf("class externalMetadata: %s", class.Spec.ExternalMetadata.Raw)
	}
	if !metav1.IsControlledBy(class, b) || class.Status.LastCatalogRetrievalTime == nil {
		t.Errorf("class is not owned by its broker or has no fetch time: %+v %+v", class.OwnerReferences, class.Status)
	}

	large := e.plan("db-" + e.id + "-large")
	if large.Spec.ExternalID != "db-"+e.id+"-large" || large.Spec.Free || large.Spec.ClusterServiceClassRef.Name != class.Name ||
		large.Spec.MaximumPollingDuration == nil || large.Spec.MaximumPollingDuration.Duration != 10*time.Minute ||
		large.Spec.MaintenanceInfo == nil || large.Spec.MaintenanceInfo.Version != "1.2.0" {
		t.Errorf("large plan spec: %+v", large.Spec)
	}
	small := e.plan("db-" + e.id + "-small")
	if !small.Spec.Free || small.Spec.InstanceCreateParameterSchema == nil ||
		!strings.Contains(string(small.Spec.InstanceCreateParameterSchema.Raw), `"size"`) {
		t.Errorf("small plan spec: %+v", small.Spec)
	}
	if fixed := e.plan("db-" + e.id + "-fixed"); fixed.Spec.PlanUpdatable == nil || *fixed.Spec.PlanUpdatable {
		t.Errorf("fixed plan should not be updatable: %+v", fixed.Spec)
	}

	// An instance on the plan that will be removed keeps it in use.
	used := e.createInstance(e.instance("keeps-fixed", "db-{id}", "fixed", ""))
	e.waitInstanceReady(used.Name)

	// The catalog changes: a description, a new plan; "fixed" and "nobind" are gone.
	changed := strings.NewReplacer(
		"description: A large database, provisioned asynchronously", "description: A large database, now bigger",
		"  - name: fixed\n    id: db-{id}-fixed\n    description: A plan instances cannot leave\n    plan_updateable: false\n", "  - name: medium\n    id: db-{id}-medium\n    description: In between\n",
		"  - name: nobind\n    id: db-{id}-nobind\n    description: Cannot be bound\n    bindable: false\n", "",
	).Replace(defaultCatalog)
	e.setCatalog(changed)
	e.relist()

	if got := e.plan("db-" + e.id + "-large"); got.Spec.Description != "A large database, now bigger" {
		t.Errorf("large plan description not updated: %q", got.Spec.Description)
	}
	e.plan("db-" + e.id + "-medium")
	e.waitPlanGone("db-" + e.id + "-nobind") // removed and unused: deleted
	fixed := e.plan("db-" + e.id + "-fixed")
	if !fixed.Status.RemovedFromBrokerCatalog {
		t.Errorf("the removed plan still in use is not marked removed: %+v", fixed.Status)
	}

	// The removed plan keeps working for its instance, but takes no new ones.
	fresh := e.createInstance(e.instance("wants-fixed", "db-{id}", "fixed", ""))
	e.waitInstance(fresh.Name, "refused", hasReason(v1beta1.ConditionReady, conditions.ReferencesRemovedServicePlan))
	if got := e.requests(fresh.Spec.ExternalID); len(got) != 0 {
		t.Errorf("a provision of a removed plan reached the broker: %v", got)
	}
	update := e.getInstance(used.Name)
	update.Spec.Parameters = rawJSON(`{"size":"2Gi"}`)
	if _, err := sc.ServiceInstances(e.namespace).Update(ctx, update, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.waitInstanceReady(used.Name)
	e.deleteInstance(used.Name)
	e.waitInstanceGone(used.Name)
	if got := e.requests(used.Spec.ExternalID); !slices.Equal(got, []string{"PUT provision 201", "PATCH update 200", "DELETE deprovision 200"}) {
		t.Errorf("broker saw %v for the instance on the removed plan", got)
	}
	e.deleteInstance(fresh.Name)
	e.waitInstanceGone(fresh.Name)
	// Unused now, the removed plan goes.
	e.relist()
	e.waitPlanGone("db-" + e.id + "-fixed")
}

func TestBrokerSkipsAMalformedOffering(t *testing.T) {
	e := newEnv(t, envOptions{catalog: defaultCatalog, serve: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/v2/catalog" {
				next.ServeHTTP(w, r)
				return
			}
			// The broker's catalog plus an offering without an id and one without plans.
			rec := &captureWriter{header: http.Header{}}
			next.ServeHTTP(rec, r)
			var doc map[string][]json.RawMessage
			if err := json.Unmarshal(rec.body, &doc); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			doc["services"] = append(doc["services"],
				json.RawMessage(`{"name":"no-id","description":"broken","bindable":true,"plans":[{"id":"p1","name":"p","description":"d"}]}`),
				json.RawMessage(`{"name":"no-plans","id":"no-plans-id","description":"broken","bindable":true,"plans":[]}`))
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(doc)
		})
	}})
	b := e.waitBrokerReady()
	if len(b.Status.SkippedOfferings) != 2 || b.Status.ServiceClassCount != 1 {
		t.Fatalf("broker status: %+v", b.Status)
	}
	names := []string{b.Status.SkippedOfferings[0].Name, b.Status.SkippedOfferings[1].Name}
	if !slices.Equal(names, []string{"no-id", "no-plans"}) || b.Status.SkippedOfferings[0].Message == "" {
		t.Errorf("skipped offerings: %+v", b.Status.SkippedOfferings)
	}
	ready := meta.FindStatusCondition(b.Status.Conditions, v1beta1.ConditionReady)
	if !strings.Contains(ready.Message, "Skipped 2 malformed offerings") {
		t.Errorf("Ready message does not report the skipped offerings: %q", ready.Message)
	}
	e.classByExternalName("db-" + e.id)
	e.waitEvent(e.brokerName, "SkippedOfferings")
}

func TestBrokerAuthFromASecretAndConfigurationErrors(t *testing.T) {
	e := newEnv(t, envOptions{catalog: defaultCatalog, noBrokerObject: true})
	ctx := context.Background()
	// The broker requires basic auth; the catalog reads it from a Secret.
	b, err := broker.New(broker.Options{Catalog: e.broker.Catalog(), Username: "catalog", Password: "s3cr3t-password"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	e.broker = b
	server := newServer(t, b)
	e.brokerURL = server

	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: e.namespace, Name: "broker-auth"},
		StringData: map[string]string{"username": "catalog", "password": "wrong"}}
	if _, err := e.kube.CoreV1().Secrets(e.namespace).Create(ctx, secret, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.createBroker(func(cb *v1beta1.ClusterServiceBroker) {
		cb.Spec.AuthInfo = &v1beta1.ClusterServiceBrokerAuthInfo{Basic: &v1beta1.ClusterBasicAuthConfig{
			SecretRef: &v1beta1.ObjectReference{Namespace: e.namespace, Name: "broker-auth"}}}
	})
	// A wrong password is a configuration error: reported, and not retried in a loop.
	failed := e.waitBroker("refused", func(cb *v1beta1.ClusterServiceBroker) bool {
		c := meta.FindStatusCondition(cb.Status.Conditions, v1beta1.ConditionReady)
		return c != nil && c.Reason == conditions.BrokerAuthenticationFailed
	})
	if failed.Status.Attempts.Count != 1 || failed.Status.Attempts.NextAttemptTime == nil || time.Until(failed.Status.Attempts.NextAttemptTime.Time) < 30*time.Minute {
		t.Errorf("attempts after a 401: %+v", failed.Status.Attempts)
	}
	if n := countCatalogRequests(b); n != 1 {
		t.Errorf("the broker got %d catalog requests after a 401, want 1", n)
	}
	ready := meta.FindStatusCondition(failed.Status.Conditions, v1beta1.ConditionReady)
	if strings.Contains(ready.Message, "wrong") || strings.Contains(ready.Message, "s3cr3t") {
		t.Errorf("the condition reveals a password: %q", ready.Message)
	}

	// Fixing the Secret and asking for a relist publishes the catalog.
	secret.StringData["password"] = "s3cr3t-password"
	if _, err := e.kube.CoreV1().Secrets(e.namespace).Update(ctx, secret, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.relist()
	e.classByExternalName("db-" + e.id)

	// A broker that refuses the API version (412) is a configuration error too.
	cb := e.waitBrokerReady()
	b2, err := broker.New(broker.Options{Catalog: e.broker.Catalog(), MaxAPIVersion: "2.14", Username: "catalog", Password: "s3cr3t-password"})
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	cb.Spec.URL = newServer(t, b2)
	if _, err := e.catalog.ServicecatalogV1beta1().ClusterServiceBrokers().Update(ctx, cb, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	rejected := e.waitBroker("rejected", func(cb *v1beta1.ClusterServiceBroker) bool {
		c := meta.FindStatusCondition(cb.Status.Conditions, v1beta1.ConditionReady)
		return c != nil && c.Reason == conditions.BrokerAPIVersionRejected
	})
	if n := countCatalogRequests(b2); n != 1 {
		t.Errorf("the broker got %d catalog requests after a 412, want 1", n)
	}
	// Setting the version the broker accepts fixes it.
	rejected.Spec.OSBAPIVersion = "2.14"
	if _, err := e.catalog.ServicecatalogV1beta1().ClusterServiceBrokers().Update(ctx, rejected, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.waitBrokerReady()
	if got := b2.Requests()[len(b2.Requests())-1].Header.Get("X-Broker-API-Version"); got != "2.14" {
		t.Errorf("last request sent version %q, want 2.14", got)
	}
}

func TestBrokerDeletionWaitsForItsInstances(t *testing.T) {
	e := newEnv(t, envOptions{catalog: defaultCatalog})
	ctx := context.Background()
	sc := e.catalog.ServicecatalogV1beta1()
	instance := e.createInstance(e.instance("db", "db-{id}", "small", ""))
	e.waitInstanceReady(instance.Name)

	if err := sc.ClusterServiceBrokers().Delete(ctx, e.brokerName, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	blocked := e.waitBroker("blocked", func(b *v1beta1.ClusterServiceBroker) bool {
		c := meta.FindStatusCondition(b.Status.Conditions, v1beta1.ConditionReady)
		return c != nil && c.Reason == conditions.DeletionBlockedByInstances
	})
	if c := meta.FindStatusCondition(blocked.Status.Conditions, v1beta1.ConditionReady); !strings.Contains(c.Message, e.namespace+"/db") {
		t.Errorf("the condition does not name the instance: %q", c.Message)
	}
	// The instance still works: it can be deprovisioned.
	e.deleteInstance(instance.Name)
	e.waitInstanceGone(instance.Name)
	err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := sc.ClusterServiceBrokers().Get(ctx, e.brokerName, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if err != nil {
		t.Fatalf("the broker was not deleted once its instance was gone")
	}
	classes, err := sc.ClusterServiceClasses().List(ctx, metav1.ListOptions{FieldSelector: "spec.clusterServiceBrokerName=" + e.brokerName})
	if err != nil || len(classes.Items) != 0 {
		t.Errorf("classes of the deleted broker remain: %v %v", classes, err)
	}
	plans, err := sc.ClusterServicePlans().List(ctx, metav1.ListOptions{FieldSelector: "spec.clusterServiceBrokerName=" + e.brokerName})
	if err != nil || len(plans.Items) != 0 {
		t.Errorf("plans of the deleted broker remain: %v %v", plans, err)
	}
}
