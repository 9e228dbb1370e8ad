package controller

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/kube-service-catalog/catalog/cmd/controller-manager/app/config"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/broker"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
)

// rotationCatalog has a plan whose bindings the broker rotates (binding_rotatable), and
// one whose bindings it does not.
const rotationCatalog = `
services:
- name: rot-{id}
  id: rot-{id}-service
  description: Credentials that can be rotated
  bindable: true
  bindings_retrievable: true
  plans:
  - {name: rotatable, id: rot-{id}-rotatable, description: "binding_rotatable", binding_rotatable: true}
  - {name: fixed, id: rot-{id}-fixed, description: "not binding_rotatable"}
`

// overlapOf sets the rotation overlap of the env's controller.
func overlapOf(d time.Duration) func(*config.Config) {
	return func(c *config.Config) { c.RotationOverlap = d }
}

// A rotation asked for with spec.rotationRequests binds under a new binding_id, with
// predecessor_binding_id on a binding_rotatable plan and without it otherwise, writes the
// new credentials into the same Secret, and unbinds the old binding after the overlap.
func TestRotatingABindingsCredentials(t *testing.T) {
	for _, tc := range []struct {
		plan        string
		predecessor bool
	}{
		{"rotatable", true},
		{"fixed", false},
	} {
		t.Run(tc.plan, func(t *testing.T) {
			e := newEnv(t, envOptions{catalog: rotationCatalog, tweak: overlapOf(2 * time.Second)})
			instance := e.provisioned("db", "rot-{id}", tc.plan)
			created := e.createBinding(e.binding("db-creds", instance.Name))
			e.waitBindingReady(created.Name)
			first := string(e.secret(created.Name).Data["password"])
			old := created.Spec.ExternalID

			e.requestRotation(created.Name, 1)
			rotated := e.waitBinding(created.Name, "rotated", bindingHasReason(v1beta1.ConditionReady, conditions.CredentialsRotated))
			st := rotated.Status
			if st.BindingID == "" || st.BindingID == old || st.ObservedRotationRequests != 1 || st.Rotation != nil || st.CredentialsIssuedAt == nil {
				t.Fatalf("status after the rotation: %+v", bindingStatus(rotated))
			}
			if second := string(e.secret(created.Name).Data["password"]); second == "" || second == first {
				t.Errorf("the Secret's password did not change: %q then %q", first, second)
			}
			put := e.bindingRecorded(st.BindingID)[0]
			var body struct {
				Predecessor string `json:"predecessor_binding_id"`
			}
			if err := json.Unmarshal(put.Body, &body); err != nil || put.Method != "PUT" {
				t.Fatalf("the rotation's request %s %s: %v", put.Method, put.Path, err)
			}
			want := ""
			if tc.predecessor {
				want = old
			}
			if body.Predecessor != want {
				t.Errorf("predecessor_binding_id %q, want %q", body.Predecessor, want)
			}

			// After the overlap the old binding is unbound, and only the new one is left.
			e.waitBinding(created.Name, "without predecessors", func(b *v1beta1.ServiceBinding) bool { return len(b.Status.Predecessors) == 0 })
			if got := e.bindingRequests(old); len(got) != 2 || got[1] != "DELETE unbind 200" {
				t.Errorf("requests for the old binding: %v", got)
			}
			if e.brokerBinding(old) != nil || e.brokerBinding(st.BindingID) == nil {
				t.Errorf("the broker holds the old binding (%v) or not the new one", e.brokerBinding(old) != nil)
			}
			e.deleteBinding(created.Name)
			e.waitBindingGone(created.Name)
			if len(e.broker.Bindings()) != 0 {
				t.Errorf("bindings left at the broker: %+v", e.broker.Bindings())
			}
		})
	}
}

// A controller that stops in the middle of a rotation loses nothing: the new binding_id
// was recorded before the bind was sent, the next controller sends the same request, and
// deleting the binding unbinds both the new binding and the old one still in its overlap.
func TestARestartInTheMiddleOfARotation(t *testing.T) {
	e := newEnv(t, envOptions{catalog: rotationCatalog, tweak: overlapOf(time.Hour)})
	ctx := context.Background()
	instance := e.provisioned("db", "rot-{id}", "rotatable")
	created := e.createBinding(e.binding("db-creds", instance.Name))
	e.waitBindingReady(created.Name)
	first := string(e.secret(created.Name).Data["password"])
	plan := "rot-" + e.id + "-rotatable"
	if err := e.broker.SetBehavior(plan, broker.Behavior{Bind: &broker.OpBehavior{FailStatus: 500, FailTimes: 1}}); err != nil {
		t.Fatal(err)
	}
	e.requestRotation(created.Name, 1)
	failed := e.waitBinding(created.Name, "RotationFailed", bindingHasReason(v1beta1.ConditionReady, conditions.RotationFailed))
	next := failed.Status.Rotation.BindingID
	if got := string(e.secret(created.Name).Data["password"]); got != first {
		t.Errorf("a failed rotation changed the Secret")
	}

	e.restartController()
	// The backoff is an hour: the retry subresource cuts it short.
	if _, err := e.catalog.ServicecatalogV1beta1().ServiceBindings(e.namespace).Retry(ctx, created.Name, &v1beta1.Intervention{}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rotated := e.waitBinding(created.Name, "rotated", bindingHasReason(v1beta1.ConditionReady, conditions.CredentialsRotated))
	if rotated.Status.BindingID != next || len(rotated.Status.Predecessors) != 1 || rotated.Status.Predecessors[0].BindingID != created.Spec.ExternalID {
		t.Fatalf("status after the restart: %+v", bindingStatus(rotated))
	}
	if got := e.bindingRequests(next); len(got) != 2 || got[0] != "PUT bind 500" || !strings.HasPrefix(got[1], "PUT bind 20") {
		t.Errorf("requests for the new binding: %v", got)
	}
	if got := string(e.secret(created.Name).Data["password"]); got == first || got == "" {
		t.Errorf("the Secret kept the old password")
	}

	e.deleteBinding(created.Name)
	e.waitBindingGone(created.Name)
	if len(e.broker.Bindings()) != 0 {
		t.Errorf("bindings left at the broker: %+v", e.broker.Bindings())
	}
}

// A broker's renew_before rotates the credentials when it comes, once.
func TestCredentialsAreRenewedWhenTheBrokerSays(t *testing.T) {
	e := newEnv(t, envOptions{catalog: rotationCatalog, tweak: overlapOf(time.Hour)})
	instance := e.provisioned("db", "rot-{id}", "rotatable")
	renew := time.Now().Add(3 * time.Second).UTC().Truncate(time.Second)
	if err := e.broker.SetBehavior("rot-"+e.id+"-rotatable", broker.Behavior{BindingFields: &broker.BindingFields{
		Metadata: map[string]any{"renew_before": renew.Format(time.RFC3339), "expires_at": renew.Add(time.Hour).Format(time.RFC3339)},
	}}); err != nil {
		t.Fatal(err)
	}
	created := e.createBinding(e.binding("db-creds", instance.Name))
	ready := e.waitBindingReady(created.Name)
	if cr := ready.Status.Credentials; cr == nil || cr.RenewBefore == nil || !cr.RenewBefore.Time.Equal(renew) {
		t.Fatalf("status.credentials %+v", cr)
	}
	rotated := e.waitBinding(created.Name, "rotated", bindingHasReason(v1beta1.ConditionReady, conditions.CredentialsRotated))
	if rotated.Status.BindingID == created.Spec.ExternalID || rotated.Status.Rotation != nil {
		t.Fatalf("status %+v", bindingStatus(rotated))
	}
	// The new credentials carry the same renew_before, already past at their issue: they
	// are not rotated again.
	if err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 3*time.Second, true, func(context.Context) (bool, error) {
		return len(e.broker.Bindings()) > 2, nil
	}); err == nil {
		t.Errorf("rotated again: %d bindings at the broker", len(e.broker.Bindings()))
	}
	if c := meta.FindStatusCondition(e.getBinding(created.Name).Status.Conditions, v1beta1.ConditionReady); c.Reason != conditions.CredentialsRotated {
		t.Errorf("Ready %+v", c)
	}
}

// requestRotation sets a binding's spec.rotationRequests.
func (e *env) requestRotation(name string, n int) {
	e.t.Helper()
	patch := []byte(`{"spec":{"rotationRequests":` + strconv.Itoa(n) + `}}`)
	if _, err := e.catalog.ServicecatalogV1beta1().ServiceBindings(e.namespace).Patch(context.Background(), name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		e.t.Fatal(err)
	}
}

// When the instance's parameters change, its bindings say their credentials are Stale;
// one that asks for it (spec.rotateWhenStale) is rotated instead.
func TestStaleBindings(t *testing.T) {
	e := newEnv(t, envOptions{catalog: rotationCatalog, tweak: overlapOf(time.Hour)})
	ctx := context.Background()
	created := e.createInstance(e.instance("db", "rot-{id}", "rotatable", `{"size": 1}`))
	instance := e.waitInstanceReady(created.Name)
	plain := e.createBinding(e.binding("plain", instance.Name))
	auto := e.binding("auto", instance.Name)
	auto.Spec.RotateWhenStale = true
	auto = e.createBinding(auto)
	e.waitBindingReady(plain.Name)
	e.waitBindingReady(auto.Name)

	patch := []byte(`{"spec":{"parameters":{"size":2}}}`)
	if _, err := e.catalog.ServicecatalogV1beta1().ServiceInstances(e.namespace).Patch(ctx, instance.Name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	stale := e.waitBinding(plain.Name, "Stale", func(b *v1beta1.ServiceBinding) bool {
		return meta.IsStatusConditionTrue(b.Status.Conditions, v1beta1.ConditionStale)
	})
	if c := meta.FindStatusCondition(stale.Status.Conditions, v1beta1.ConditionStale); c.Reason != conditions.InstanceChanged || !strings.Contains(c.Message, "parameters changed") {
		t.Errorf("Stale %+v", c)
	}
	if stale.Status.BindingID != "" {
		t.Errorf("a binding that did not ask for it was rotated: %+v", bindingStatus(stale))
	}
	rotated := e.waitBinding(auto.Name, "rotated", bindingHasReason(v1beta1.ConditionReady, conditions.CredentialsRotated))
	if meta.FindStatusCondition(rotated.Status.Conditions, v1beta1.ConditionStale) != nil || rotated.Status.BindingID == "" {
		t.Errorf("the binding that asks for it: %+v", bindingStatus(rotated))
	}

	// Rotating the stale one by hand clears Stale.
	e.requestRotation(plain.Name, 1)
	fresh := e.waitBinding(plain.Name, "rotated", bindingHasReason(v1beta1.ConditionReady, conditions.CredentialsRotated))
	if meta.FindStatusCondition(fresh.Status.Conditions, v1beta1.ConditionStale) != nil {
		t.Errorf("still Stale after the rotation")
	}
}
