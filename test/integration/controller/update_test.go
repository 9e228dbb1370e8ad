package controller

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

func TestUpdateSendsOnlyWhatChanged(t *testing.T) {
	e := newEnv(t, envOptions{catalog: defaultCatalog})
	ctx := context.Background()
	instances := e.catalog.ServicecatalogV1beta1().ServiceInstances(e.namespace)
	created := e.createInstance(e.instance("db", "db-{id}", "small", `{"size":"1Gi"}`))
	e.waitInstanceReady(created.Name)
	id := created.Spec.ExternalID

	change := func(what string, mutate func(*v1beta1.ServiceInstance)) map[string]any {
		t.Helper()
		before := len(e.recorded(id))
		i := e.getInstance(created.Name)
		mutate(i)
		if _, err := instances.Update(ctx, i, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		e.waitInstanceReady(created.Name)
		var patch map[string]any
		for _, r := range e.recorded(id)[before:] {
			if r.Method == "PATCH" {
				if patch != nil {
					t.Errorf("%s: more than one PATCH", what)
				}
				if err := json.Unmarshal(r.Body, &patch); err != nil {
					t.Fatal(err)
				}
			}
		}
		if patch == nil {
			t.Fatalf("%s: no PATCH reached the broker: %v", what, e.requests(id))
		}
		return patch
	}

	// Parameters only: parameters, no plan_id.
	body := change("parameters", func(i *v1beta1.ServiceInstance) { i.Spec.Parameters = rawJSON(`{"size":"2Gi"}`) })
	if _, ok := body["plan_id"]; ok {
		t.Errorf("a parameters-only update sent plan_id: %v", body)
	}
	if params, _ := body["parameters"].(map[string]any); params["size"] != "2Gi" {
		t.Errorf("parameters sent: %v", body["parameters"])
	}
	if prev, _ := body["previous_values"].(map[string]any); prev["plan_id"] != "db-"+e.id+"-small" {
		t.Errorf("previous_values: %v", body["previous_values"])
	}

	// Plan only: plan_id, no parameters.
	body = change("plan", func(i *v1beta1.ServiceInstance) { i.Spec.ClusterServicePlanExternalName = "large" })
	if body["plan_id"] != "db-"+e.id+"-large" {
		t.Errorf("a plan change sent plan_id %v", body["plan_id"])
	}
	if _, ok := body["parameters"]; ok {
		t.Errorf("a plan-only update sent parameters: %v", body)
	}
	after := e.getInstance(created.Name)
	if after.Status.ExternalProperties.ClusterServicePlanExternalName != "large" || after.Status.ClusterServicePlanRef.Name != "db-"+e.id+"-large" {
		t.Errorf("status after the plan change: %+v", after.Status)
	}
	// Back to small: updates of the large plan are asynchronous, and the poll after a plan
	// change names the plan before the change.
	before := len(e.recorded(id))
	body = change("plan back", func(i *v1beta1.ServiceInstance) { i.Spec.ClusterServicePlanExternalName = "small" })
	if body["plan_id"] != "db-"+e.id+"-small" {
		t.Errorf("a plan change sent plan_id %v", body["plan_id"])
	}
	var pollPlans []string
	for _, r := range e.recorded(id)[before:] {
		if r.Method == "GET" {
			pollPlans = append(pollPlans, r.Query().Get("plan_id"))
		}
	}
	if len(pollPlans) == 0 || slices.ContainsFunc(pollPlans, func(p string) bool { return p != "db-"+e.id+"-large" }) {
		t.Errorf("polls after the plan change sent plan ids %v, want the previous plan's", pollPlans)
	}

	// An updateRequests bump with nothing else changed sends the parameters again.
	body = change("updateRequests", func(i *v1beta1.ServiceInstance) { i.Spec.UpdateRequests++ })
	if _, ok := body["plan_id"]; ok {
		t.Errorf("an updateRequests bump sent plan_id: %v", body)
	}
	if params, _ := body["parameters"].(map[string]any); params["size"] != "2Gi" {
		t.Errorf("an updateRequests bump sent parameters %v", body["parameters"])
	}
}
