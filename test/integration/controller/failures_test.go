package controller

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"

	"github.com/kube-service-catalog/catalog/cmd/controller-manager/app/config"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
)

// failureCatalog has one plan per way a provision can fail.
const failureCatalog = `
services:
- name: flaky-{id}
  id: flaky-{id}-service
  description: Fails in every way
  bindable: true
  plans:
  - {name: status-500, id: flaky-{id}-500, description: "5xx", metadata: {testBroker: {provision: {failStatus: 500, failDescription: "database cluster unavailable"}}}}
  - {name: timeout, id: flaky-{id}-timeout, description: "hangs", metadata: {testBroker: {provision: {hang: true}}}}
  - {name: malformed-201, id: flaky-{id}-m201, description: "bad 201", metadata: {testBroker: {provision: {malformed201: true}}}}
  - {name: malformed-202, id: flaky-{id}-m202, description: "bad 202", metadata: {testBroker: {provision: {mode: async, malformedBody: true}}}}
  - {name: malformed-200, id: flaky-{id}-m200, description: "bad 200 (answered by the test's proxy)"}
  - {name: status-204, id: flaky-{id}-204, description: "other 2xx", metadata: {testBroker: {provision: {status204: true}}}}
  - {name: status-408, id: flaky-{id}-408, description: "408", metadata: {testBroker: {provision: {failStatus: 408}}}}
  - {name: status-400, id: flaky-{id}-400, description: "400", metadata: {testBroker: {provision: {failStatus: 400, failDescription: "size must be at most 10Gi"}}}}
  - {name: status-409, id: flaky-{id}-409, description: "409", metadata: {testBroker: {provision: {failStatus: 409}}}}
  - {name: busy, id: flaky-{id}-busy, description: "422 ConcurrencyError", metadata: {testBroker: {provision: {failStatus: 422, failError: ConcurrencyError}}}}
  - {name: async-failed, id: flaky-{id}-afailed, description: "async failed", metadata: {testBroker: {provision: {mode: async, asyncState: failed, asyncDescription: "out of capacity"}}}}
  - name: slow
    id: flaky-{id}-slow
    description: "never finishes"
    maximum_polling_duration: 2
    metadata: {testBroker: {provision: {mode: async, asyncPolls: 100000, retryAfterSeconds: 1}}}
`

// malformed200 answers provisions of the malformed-200 plan with "200 OK" and a body that
// is not JSON, as a broken broker would; everything else reaches the broker.
func malformed200(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/v2/service_instances/") && !strings.Contains(r.URL.Path, "/service_bindings/") {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			var req struct {
				PlanID string `json:"plan_id"`
			}
			if json.Unmarshal(body, &req) == nil && strings.HasSuffix(req.PlanID, "-m200") {
				w.WriteHeader(http.StatusOK)
				_, _ = w.Write([]byte("<html>OK</html>"))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func TestProvisionFailuresFollowTheOrphanMitigationTable(t *testing.T) {
	e := newEnv(t, envOptions{
		catalog: failureCatalog,
		serve:   malformed200,
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
		// deprovisionOnDelete tells whether deleting the instance calls the broker.
		deprovisionOnDelete bool
	}
	rows := []outcome{
		{"status-500", []string{"PUT provision", "DELETE deprovision"}, conditions.ProvisionCallFailed, false, true, false},
		{"timeout", []string{"PUT provision", "DELETE deprovision"}, conditions.ProvisionCallFailed, false, true, false},
		{"malformed-201", []string{"PUT provision", "DELETE deprovision"}, conditions.ProvisionCallFailed, false, true, false},
		{"malformed-202", []string{"PUT provision", "DELETE deprovision"}, conditions.ProvisionCallFailed, false, true, false},
		{"status-204", []string{"PUT provision", "DELETE deprovision"}, conditions.ProvisionCallFailed, false, true, false},
		{"malformed-200", nil, conditions.ProvisionFailed, true, false, true}, // answered by the proxy: the broker saw nothing
		{"status-408", []string{"PUT provision"}, conditions.ProvisionCallFailed, false, false, true},
		{"status-400", []string{"PUT provision"}, conditions.ProvisionFailed, true, false, false},
		// A 409 is checked with last_operation: the broker holds no instance of that ID.
		{"status-409", []string{"PUT provision", "GET poll"}, conditions.ProvisionFailed, true, false, true},
		{"busy", []string{"PUT provision"}, conditions.BrokerBusy, false, false, true},
		{"async-failed", []string{"PUT provision", "GET poll", "DELETE deprovision"}, conditions.ProvisionFailed, true, true, false},
		{"slow", nil, conditions.OperationTimedOut, false, true, false},
	}
	settled := map[string][]string{}
	ids := map[string]string{}
	for _, row := range rows {
		t.Run(row.plan, func(t *testing.T) {
			created := e.createInstance(e.instance(row.plan, "flaky-{id}", row.plan, ""))
			ids[row.plan] = created.Spec.ExternalID
			final := e.waitInstance(created.Name, row.reason, func(i *v1beta1.ServiceInstance) bool {
				return hasReason(v1beta1.ConditionReady, row.reason)(i) && !i.Status.OrphanMitigationInProgress
			})
			got := kinds(e.requests(created.Spec.ExternalID))
			want := row.calls
			if row.plan == "slow" {
				// Polls until the maximum polling duration, then cleans up; never a second PUT.
				if len(got) < 3 || got[0] != "PUT provision" || got[len(got)-1] != "DELETE deprovision" ||
					slices.ContainsFunc(got[1:len(got)-1], func(s string) bool { return s != "GET poll" }) {
					t.Errorf("broker saw %v", got)
				}
			} else if !slices.Equal(got, want) {
				t.Errorf("broker saw %v, want %v", got, want)
			}
			settled[row.plan] = got

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
			ready := meta.FindStatusCondition(final.Status.Conditions, v1beta1.ConditionReady)
			if row.plan == "status-400" && !strings.Contains(ready.Message, "size must be at most 10Gi") {
				t.Errorf("the broker's description is not in the condition: %q", ready.Message)
			}
		})
	}

	// Nothing happened in the meantime: no loops.
	for plan, before := range settled {
		if got := kinds(e.requests(ids[plan])); !slices.Equal(got, before) {
			t.Errorf("%s: the broker saw more calls later: %v, then %v", plan, before, got)
		}
	}

	// Deleting calls the broker only where it may hold the instance.
	for _, row := range rows {
		e.deleteInstance(row.plan)
	}
	for _, row := range rows {
		e.waitInstanceGone(row.plan)
		got := kinds(e.requests(ids[row.plan]))
		deleted := len(got) > len(settled[row.plan]) && got[len(got)-1] == "DELETE deprovision"
		if deleted != row.deprovisionOnDelete {
			t.Errorf("%s: deletion sent DELETE=%v, want %v (calls %v)", row.plan, deleted, row.deprovisionOnDelete, got)
		}
	}
	if left := e.broker.Instances(); len(left) != 0 {
		t.Errorf("the broker still holds %d instances", len(left))
	}
}

// kinds drops the status codes of described requests.
func kinds(described []string) []string {
	out := make([]string, len(described))
	for i, d := range described {
		out[i] = d[:strings.LastIndex(d, " ")]
	}
	return out
}
