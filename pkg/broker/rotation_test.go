package broker_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kube-service-catalog/catalog/pkg/broker"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// rotationCatalog has a binding_rotatable plan and one that is not.
const rotationCatalog = `
services:
- name: kv
  id: kv-service
  description: d
  bindable: true
  plans:
  - {name: rotatable, id: kv-rotatable, description: d, binding_rotatable: true}
  - {name: fixed, id: kv-fixed, description: d}
`

// A bind with predecessor_binding_id needs a binding_rotatable plan and a binding of the
// same instance to rotate; the broker answers 400 otherwise.
func TestRotationNeedsARotatablePlanAndAPredecessor(t *testing.T) {
	catalog, err := broker.ParseCatalog([]byte(rotationCatalog))
	if err != nil {
		t.Fatal(err)
	}
	_, srv := startBroker(t, broker.Options{Catalog: catalog})
	ctx := context.Background()
	c := newClient(t, srv.URL)
	for _, plan := range []string{"kv-rotatable", "kv-fixed"} {
		if _, err := c.Provision(ctx, &osb.ProvisionRequest{InstanceID: plan, ServiceID: "kv-service", PlanID: plan, OrganizationGUID: "o", SpaceGUID: "s"}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Bind(ctx, &osb.BindRequest{InstanceID: plan, BindingID: "b1", ServiceID: "kv-service", PlanID: plan}); err != nil {
			t.Fatal(err)
		}
	}
	bind := func(c osb.Client, plan, id, predecessor string) error {
		_, err := c.Bind(ctx, &osb.BindRequest{InstanceID: plan, BindingID: id, ServiceID: "kv-service", PlanID: plan, PredecessorBindingID: predecessor})
		return err
	}
	for _, tc := range []struct {
		name, plan, predecessor, refusal string
	}{
		{"a plan that is not binding_rotatable", "kv-fixed", "b1", "not binding_rotatable"},
		{"an unknown predecessor", "kv-rotatable", "nope", "does not exist"},
		{"itself", "kv-rotatable", "b-self", "its own predecessor"},
	} {
		id := "b-" + strings.ReplaceAll(tc.name, " ", "-")
		if tc.refusal == "its own predecessor" {
			id = tc.predecessor
		}
		if err := bind(c, tc.plan, id, tc.predecessor); !osb.IsBadRequest(err) || !strings.Contains(err.Error(), tc.refusal) {
			t.Errorf("%s: %v, want 400 saying %q", tc.name, err, tc.refusal)
		}
	}
	if err := bind(c, "kv-rotatable", "b3", "b1"); err != nil {
		t.Errorf("a rotation of b1: %v", err)
	}
}
