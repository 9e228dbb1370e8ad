package controller

import (
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"

	"github.com/kube-service-catalog/catalog/cmd/controller-manager/app/config"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
)

func TestBindFailuresFollowTheOrphanMitigationTable(t *testing.T) {
	e := newEnv(t, envOptions{
		catalog: bindingCatalog,
		tweak:   func(c *config.Config) { c.OSB.Timeout = time.Second },
	})

	type outcome struct {
		plan string
		// calls are the requests the broker must have received, "METHOD kind".
		calls []string
		// reason is the final Ready reason; failed tells whether the Failed condition is set.
		reason string
		failed bool
		// mitigated tells whether orphan mitigation ran.
		mitigated bool
		// unbindOnDelete tells whether deleting the binding calls the broker.
		unbindOnDelete bool
	}
	rows := []outcome{
		{"bind-500", []string{"PUT bind", "DELETE unbind"}, conditions.BindCallFailed, false, true, false},
		{"bind-timeout", []string{"PUT bind", "DELETE unbind"}, conditions.BindCallFailed, false, true, false},
		{"bind-malformed-201", []string{"PUT bind", "DELETE unbind"}, conditions.BindCallFailed, false, true, false},
		{"bind-204", []string{"PUT bind", "DELETE unbind"}, conditions.BindCallFailed, false, true, false},
		{"bind-async-failed", []string{"PUT bind", "GET binding-poll", "DELETE unbind"}, conditions.BindFailed, true, true, false},
		{"bind-400", []string{"PUT bind"}, conditions.BindFailed, true, false, false},
		{"bind-409", []string{"PUT bind"}, conditions.BindFailed, true, false, true},
		// Retried later; the broker may answer the retry, so deleting must unbind.
		{"bind-busy", []string{"PUT bind"}, conditions.BrokerBusy, false, false, true},
		{"nobind", nil, conditions.ErrorNonbindableServiceClass, true, false, false},
	}
	for _, row := range rows {
		e.createInstance(e.instance(row.plan, "kv-{id}", row.plan, ""))
	}
	settled := map[string][]string{}
	ids := map[string]string{}
	for _, row := range rows {
		t.Run(row.plan, func(t *testing.T) {
			e.waitInstanceReady(row.plan)
			created := e.createBinding(e.binding(row.plan, row.plan))
			ids[row.plan] = created.Spec.ExternalID
			final := e.waitBinding(created.Name, row.reason, func(b *v1beta1.ServiceBinding) bool {
				return bindingHasReason(v1beta1.ConditionReady, row.reason)(b) && !b.Status.OrphanMitigationInProgress
			})
			got := kinds(e.bindingRequests(created.Spec.ExternalID))
			if !slices.Equal(got, row.calls) {
				t.Errorf("broker saw %v, want %v", got, row.calls)
			}
			settled[row.plan] = got
			// The broker refused the 500 (the unbind finds nothing) but made the binding
			// whose answer timed out (the unbind deletes it).
			full := e.bindingRequests(created.Spec.ExternalID)
			if want := map[string]string{"bind-500": "DELETE unbind 410", "bind-timeout": "DELETE unbind 200"}[row.plan]; want != "" && full[len(full)-1] != want {
				t.Errorf("broker saw %v, want it to end with %q", full, want)
			}
			if row.mitigated && e.brokerBinding(created.Spec.ExternalID) != nil {
				t.Errorf("the broker still holds the binding after orphan mitigation")
			}

			if isFailed := meta.IsStatusConditionTrue(final.Status.Conditions, v1beta1.ConditionFailed); isFailed != row.failed {
				t.Errorf("Failed=%v, want %v: %+v", isFailed, row.failed, final.Status.Conditions)
			}
			om := meta.FindStatusCondition(final.Status.Conditions, v1beta1.ConditionOrphanMitigation)
			if row.mitigated != (om != nil && om.Reason == conditions.OrphanMitigationSuccessful) {
				t.Errorf("orphan mitigation condition %+v, want mitigated=%v", om, row.mitigated)
			}
			if !row.failed {
				// Retried later, at a time kept in status, not in a loop.
				next := final.Status.Attempts.NextAttemptTime
				if final.Status.Attempts.Count < 1 || next == nil || time.Until(next.Time) < 30*time.Minute {
					t.Errorf("attempts %+v, want a next attempt about an hour away", final.Status.Attempts)
				}
			}
			if row.failed && final.Status.CurrentOperation != "" {
				t.Errorf("a terminal failure left the operation %q in flight", final.Status.CurrentOperation)
			}
			if final.Status.Binding != nil || e.secret(created.Name) != nil {
				t.Errorf("a failed bind left a Secret: status.binding %+v", final.Status.Binding)
			}
			ready := meta.FindStatusCondition(final.Status.Conditions, v1beta1.ConditionReady)
			if row.plan == "bind-400" && !strings.Contains(ready.Message, "role must be reader or writer") {
				t.Errorf("the broker's description is not in the condition: %q", ready.Message)
			}
			if row.plan == "bind-async-failed" && !strings.Contains(ready.Message, "quota exceeded") {
				t.Errorf("the broker's description is not in the condition: %q", ready.Message)
			}
		})
	}

	// Nothing happened in the meantime: no loops.
	for plan, before := range settled {
		if got := kinds(e.bindingRequests(ids[plan])); !slices.Equal(got, before) {
			t.Errorf("%s: the broker saw more calls later: %v, then %v", plan, before, got)
		}
	}

	// Deleting calls the broker only where it may hold the binding.
	for _, row := range rows {
		e.deleteBinding(row.plan)
	}
	for _, row := range rows {
		e.waitBindingGone(row.plan)
		got := kinds(e.bindingRequests(ids[row.plan]))
		unbound := len(got) > len(settled[row.plan]) && got[len(got)-1] == "DELETE unbind"
		if unbound != row.unbindOnDelete {
			t.Errorf("%s: deletion sent DELETE=%v, want %v (calls %v)", row.plan, unbound, row.unbindOnDelete, got)
		}
	}
	if left := e.broker.Bindings(); len(left) != 0 {
		t.Errorf("the broker still holds %d bindings: %+v", len(left), left)
	}
}
