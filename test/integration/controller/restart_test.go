package controller

import (
	"slices"
	"testing"
	"time"

	"github.com/kube-service-catalog/catalog/cmd/controller-manager/app/config"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

const restartCatalog = `
services:
- name: restart-{id}
  id: restart-{id}-service
  description: For restarts
  bindable: true
  plans:
  - name: slow
    id: restart-{id}-slow
    description: Five polls, a second apart
    metadata: {testBroker: {provision: {mode: async, asyncPolls: 5, retryAfterSeconds: 1}}}
  - name: fails-once
    id: restart-{id}-fails-once
    description: The first provision fails with 500
    metadata: {testBroker: {provision: {failStatus: 500, failTimes: 1}}}
`

func TestRestartResumesWithoutRepeatingOrHammering(t *testing.T) {
	const backoff = 4 * time.Second
	e := newEnv(t, envOptions{catalog: restartCatalog, tweak: func(c *config.Config) {
		c.RetryBackoffBase, c.RetryBackoffMax = backoff, backoff
	}})

	t.Run("async provision in progress", func(t *testing.T) {
		created := e.createInstance(e.instance("slow", "restart-{id}", "slow", ""))
		polling := e.waitInstance(created.Name, "polling", func(i *v1beta1.ServiceInstance) bool {
			return i.Status.AsyncOpInProgress && i.Status.OperationKey != "" &&
				slices.Contains(kinds(e.requests(created.Spec.ExternalID)), "GET poll")
		})
		e.restartController()
		e.waitInstanceReady(created.Name)

		calls := e.recorded(created.Spec.ExternalID)
		puts := 0
		for _, r := range calls {
			switch r.Method {
			case "PUT":
				puts++
			case "GET":
				if op := r.Query().Get("operation"); op != polling.Status.OperationKey {
					t.Errorf("a poll sent operation %q, want the stored %q", op, polling.Status.OperationKey)
				}
			}
		}
		if puts != 1 {
			t.Errorf("the broker got %d provisions, want 1: %v", puts, e.requests(created.Spec.ExternalID))
		}
	})

	t.Run("retry backing off", func(t *testing.T) {
		created := e.createInstance(e.instance("fails-once", "restart-{id}", "fails-once", ""))
		waiting := e.waitInstance(created.Name, "backing off", func(i *v1beta1.ServiceInstance) bool {
			return i.Status.Attempts.NextAttemptTime != nil && !i.Status.OrphanMitigationInProgress
		})
		e.restartController()
		e.waitInstanceReady(created.Name)

		got := kinds(e.requests(created.Spec.ExternalID))
		if !slices.Equal(got, []string{"PUT provision", "DELETE deprovision", "PUT provision"}) {
			t.Errorf("broker saw %v", got)
		}
		var puts []time.Time
		for _, r := range e.recorded(created.Spec.ExternalID) {
			if r.Method == "PUT" {
				puts = append(puts, r.Time)
			}
		}
		next := waiting.Status.Attempts.NextAttemptTime.Time
		if len(puts) == 2 && puts[1].Before(next) {
			t.Errorf("the restarted controller provisioned again at %s, before the stored next attempt at %s", puts[1], next)
		}
	})
}
