package serviceinstance

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/internal/looptest"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// withPollingLimit gives the plan small a maximum_polling_duration.
func withPollingLimit(d time.Duration) func(*fixtureObjects) {
	return func(o *fixtureObjects) { o.small.Spec.MaximumPollingDuration = &metav1.Duration{Duration: d} }
}

// The plan's maximum polling duration counts from the broker's 202: failed attempts
// before it do not eat into it.
func TestThePollingDeadlineCountsFromTheBrokersAcceptance(t *testing.T) {
	f := newFixture(t, withPollingLimit(10*time.Minute))
	f.onProvision(status(401, ""), status(401, ""), provisioning202("op-1"))
	f.onPoll(state(osb.StateInProgress, ""))
	f.Clock.Step(f.MustSync().RequeueAfter) // 1 minute
	f.Clock.Step(f.MustSync().RequeueAfter) // 2 minutes
	f.MustSync()                            // the 202, 3 minutes after the first attempt
	f.Clock.Step(9 * time.Minute)           // 12 minutes after the first attempt
	f.MustSync()
	f.WantCalls(osb.OperationProvision, osb.OperationProvision, osb.OperationProvision, osb.OperationLastOperation)
	f.wantReady(metav1.ConditionFalse, conditions.Provisioning)
}

// A Retry-After longer than the polling time left does not delay the end of polling.
func TestRetryAfterDoesNotDelayTheEndOfPolling(t *testing.T) {
	f := newFixture(t, withPollingLimit(10*time.Minute))
	f.onProvision(provisioning202("op-1"))
	f.onPoll(&osb.LastOperationResponse{State: osb.StateInProgress, RetryAfter: time.Hour})
	f.onDeprovision(deprovisioned200())
	f.Clock.Step(f.MustSync().RequeueAfter)
	wait := f.MustSync().RequeueAfter
	if want := 10 * time.Minute; wait != want { // the 9m59s left, and a second
		t.Fatalf("next poll in %s, want %s: when the polling time is up", wait, want)
	}
	f.Clock.Step(wait)
	f.MustSync()
	i := f.wantReady(metav1.ConditionFalse, conditions.OrphanMitigationInProgress)
	looptest.Expect(t, "orphan mitigation", looptest.ConditionState{Status: metav1.ConditionTrue, Reason: conditions.OperationTimedOut},
		looptest.StateOf(i.Status.Conditions, v1beta1.ConditionOrphanMitigation))
}

// A Retry-After with an error answer sets the earliest next attempt.
func TestRetryAfterOnAnErrorIsHonoured(t *testing.T) {
	f := newFixture(t, provisioned, func(o *fixtureObjects) { changeSpec(o, newPlan) })
	f.onUpdate(&osb.HTTPStatusCodeError{StatusCode: 503, RetryAfter: 10 * time.Minute})
	f.WantRequeue(f.MustSync(), looptest.BackoffWait(looptest.Start, 10*time.Minute))
	f.wantReady(metav1.ConditionFalse, conditions.UpdateCallFailed)
	f.MustSync()
	f.WantCalls(osb.OperationUpdate)
}

// Orphan mitigation is not a user's action: neither its DELETE nor the polls of it carry
// an originating identity.
func TestOrphanMitigationPollsCarryNoIdentity(t *testing.T) {
	f := newFixture(t)
	f.onProvision(&osb.TransportError{Timeout: true, MaybeReceived: true})
	f.onDeprovision(deprovisioning202("delete-1"))
	f.onPoll(state(osb.StateSucceeded, ""))
	f.MustSync() // the provision times out
	f.MustSync() // orphan mitigation: DELETE, 202
	f.Clock.Step(time.Second)
	f.MustSync() // the poll
	f.WantCalls(osb.OperationProvision, osb.OperationDeprovision, osb.OperationLastOperation)
	poll := looptest.Request[osb.LastOperationRequest](f.Env, osb.OperationLastOperation, 0)
	looptest.Expect(t, "poll identity", (*osb.OriginatingIdentity)(nil), poll.OriginatingIdentity)
}
