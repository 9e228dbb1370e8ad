package serviceinstance

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clienttesting "k8s.io/client-go/testing"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

func TestAFirstProvisionIsRecordedWithItsAnswer(t *testing.T) {
	var wantProps *v1beta1.ServiceInstancePropertiesState
	f := newFixture(t, func(o *fixtureObjects) {
		wantProps = o.props(o.small, alice())
		// What an earlier failed attempt left: it must be cleared by the success.
		past := metav1.NewTime(start.Add(-time.Minute))
		o.instance.Status.Attempts = v1beta1.OperationAttempts{Count: 2, NextAttemptTime: &past}
	})
	dashboard := "https://dashboard.example.com/db"
	f.osb.SetProvisionReaction(func(ctx context.Context, r *osb.ProvisionRequest) (*osb.ProvisionResponse, error) {
		// A first attempt is written down with its answer, in one write.
		if writes := f.writes(); len(writes) != 0 {
			t.Errorf("writes before the first provision was sent: %v", writes)
		}
		return &osb.ProvisionResponse{DashboardURL: &dashboard, RequestIdentity: "req-1"}, nil
	})
	if result := f.mustSync(); result.RequeueAfter != 0 {
		t.Errorf("result %+v", result)
	}

	f.wantCalls(osb.OperationProvision)
	r := request[osb.ProvisionRequest](f, osb.OperationProvision, 0)
	wantContext := &osb.Context{Platform: osb.PlatformKubernetes, Namespace: "ns", ClusterID: "cluster-id", InstanceName: "db"}
	wantIdentity := &osb.OriginatingIdentity{Username: "alice", UID: "alice-uid", Groups: []string{"dev"}, Extra: map[string][]string{"team": {"db"}}}
	wantParams := map[string]any{"size": json.Number("3"), "password": testPassword}
	if r.InstanceID != "instance-id" || r.ServiceID != "svc-id" || r.PlanID != "plan-small-id" || !r.AcceptsIncomplete ||
		r.OrganizationGUID != "cluster-id" || r.SpaceGUID != "ns-uid" || r.MaintenanceInfo != nil ||
		!reflect.DeepEqual(r.Context, wantContext) || !reflect.DeepEqual(r.OriginatingIdentity, wantIdentity) ||
		!reflect.DeepEqual(r.Parameters, wantParams) {
		t.Errorf("provision request %+v", r)
	}

	i := f.wantReady(metav1.ConditionTrue, conditions.ProvisionedSuccessfully)
	s := i.Status
	if !reflect.DeepEqual(s.ExternalProperties, wantProps) || s.ProvisionStatus != v1beta1.ServiceInstanceProvisionStatusProvisioned ||
		s.DeprovisionStatus != v1beta1.ServiceInstanceDeprovisionStatusRequired || s.ObservedGeneration != 1 ||
		s.Attempts != (v1beta1.OperationAttempts{}) || s.CurrentOperation != "" || s.InProgressProperties != nil || s.OperationStartTime != nil ||
		s.AsyncOpInProgress || s.OperationKey != "" || s.OrphanMitigationInProgress || s.DashboardURL != dashboard || s.LastRequestIdentity != "req-1" ||
		s.ClusterServiceClassRef == nil || s.ClusterServiceClassRef.Name != "kv" || s.ClusterServicePlanRef == nil ||
		s.ClusterServicePlanRef.Name != "kv-small" || s.ClusterServiceBrokerName != "the-broker" {
		t.Errorf("status %+v", s)
	}
	if strings.Contains(string(s.ExternalProperties.Parameters.Raw), testPassword) {
		t.Errorf("status holds a parameter from a Secret: %s", s.ExternalProperties.Parameters.Raw)
	}
	f.wantFailed("")
	f.wantEvents(conditions.ProvisionedSuccessfully)
	f.wantWrites("status")

	// Done: nothing more happens.
	if result := f.mustSync(); result.RequeueAfter != 0 {
		t.Errorf("result %+v", result)
	}
	f.wantCalls(osb.OperationProvision)
	f.wantEvents()
	f.wantWrites()
}

func TestProvisionSendsThePlansMaintenanceInfo(t *testing.T) {
	f := newFixture(t, func(o *fixtureObjects) {
		o.small.Spec.MaintenanceInfo = &v1beta1.MaintenanceInfo{Version: "1.2.3"}
		o.instance.Spec.UserInfo = nil
	})
	f.onProvision(provisioned200())
	f.mustSync()
	r := request[osb.ProvisionRequest](f, osb.OperationProvision, 0)
	if r.MaintenanceInfo == nil || r.MaintenanceInfo.Version != "1.2.3" || r.OriginatingIdentity != nil {
		t.Errorf("provision request %+v", r)
	}
	if i := f.wantReady(metav1.ConditionTrue, conditions.ProvisionedSuccessfully); i.Status.ExternalProperties.MaintenanceInfoVersion != "1.2.3" {
		t.Errorf("external properties %+v", i.Status.ExternalProperties)
	}
}

func TestAnAsyncProvisionIsPolledUntilItSucceeds(t *testing.T) {
	f := newFixture(t)
	f.onProvision(provisioning202("op-1"))
	f.onPoll(
		&osb.LastOperationResponse{State: osb.StateInProgress, Description: ptr("50% done"), RetryAfter: 7 * time.Second},
		// A 410 while provisioning is no answer: polling goes on.
		status(410, ""),
		status(500, ""),
		state(osb.StateSucceeded, ""),
	)
	wantRequeue(t, f.mustSync(), time.Second) // the fixture's minimum poll interval
	i := f.wantReady(metav1.ConditionFalse, conditions.Provisioning)
	if !i.Status.AsyncOpInProgress || i.Status.OperationKey != "op-1" || i.Status.CurrentOperation != v1beta1.ServiceInstanceOperationProvision ||
		i.Status.ProvisionStatus == v1beta1.ServiceInstanceProvisionStatusProvisioned {
		t.Fatalf("status %+v", i.Status)
	}
	f.wantEvents(conditions.Provisioning)
	f.wantWrites("status")

	wantRequeue(t, f.mustSync(), 7*time.Second) // the broker's Retry-After
	i = f.wantReady(metav1.ConditionFalse, conditions.Provisioning)
	if m := readyMessage(i); !strings.Contains(m, "50% done") {
		t.Errorf("message %q does not show the broker's description", m)
	}
	p := request[osb.LastOperationRequest](f, osb.OperationLastOperation, 0)
	if p.InstanceID != "instance-id" || p.ServiceID != "svc-id" || p.PlanID != "plan-small-id" || f.pollKeys[0] != "op-1" ||
		p.OriginatingIdentity == nil || p.OriginatingIdentity.Username != "alice" {
		t.Errorf("poll request %+v", p)
	}

	// Without a Retry-After, the wait grows with the operation's age: a tenth of it.
	f.clock.Step(100 * time.Second)
	wantRequeue(t, f.mustSync(), 10*time.Second)
	i = f.wantReady(metav1.ConditionFalse, conditions.ErrorPollingLastOperation)
	if !i.Status.AsyncOpInProgress || i.Status.OrphanMitigationInProgress {
		t.Fatalf("a 410 ended the provision: %+v", i.Status)
	}
	wantRequeue(t, f.mustSync(), 10*time.Second)
	f.wantReady(metav1.ConditionFalse, conditions.ErrorPollingLastOperation)
	f.wantEvents()

	if result := f.mustSync(); result.RequeueAfter != 0 {
		t.Errorf("result %+v", result)
	}
	f.wantCalls(osb.OperationProvision, osb.OperationLastOperation, osb.OperationLastOperation, osb.OperationLastOperation, osb.OperationLastOperation)
	i = f.wantReady(metav1.ConditionTrue, conditions.ProvisionedSuccessfully)
	if i.Status.AsyncOpInProgress || i.Status.OperationKey != "" || i.Status.CurrentOperation != "" || i.Status.ExternalProperties == nil ||
		i.Status.ExternalProperties.ClusterServicePlanExternalID != "plan-small-id" || i.Status.ProvisionStatus != v1beta1.ServiceInstanceProvisionStatusProvisioned {
		t.Errorf("status %+v", i.Status)
	}
	f.wantEvents(conditions.ProvisionedSuccessfully)
}

func ptr[T any](v T) *T { return &v }

func TestAFailedAsyncProvisionIsCleanedUpThenFails(t *testing.T) {
	f := newFixture(t)
	f.onProvision(provisioning202("op-1"), provisioned200())
	f.onPoll(state(osb.StateFailed, "out of capacity"))
	f.onDeprovision(deprovisioned200())
	f.mustSync()
	if result := f.mustSync(); !requeued(result) {
		t.Fatalf("orphan mitigation is not started at once: %+v", result)
	}
	i := f.wantReady(metav1.ConditionFalse, conditions.OrphanMitigationInProgress)
	om := apimeta.FindStatusCondition(i.Status.Conditions, v1beta1.ConditionOrphanMitigation)
	if !i.Status.OrphanMitigationInProgress || i.Status.AsyncOpInProgress || i.Status.OperationKey != "" ||
		om == nil || om.Status != metav1.ConditionTrue || om.Reason != conditions.ProvisionFailed || !strings.Contains(om.Message, "out of capacity") {
		t.Fatalf("status %+v", i.Status)
	}
	f.wantFailed("")
	f.wantEvents(conditions.Provisioning, conditions.OrphanMitigationInProgress)

	// Orphan mitigation deletes the instance with the ids of the provision, without an identity.
	if result := f.mustSync(); result.RequeueAfter != 0 {
		t.Errorf("result %+v", result)
	}
	f.wantCalls(osb.OperationProvision, osb.OperationLastOperation, osb.OperationDeprovision)
	d := request[osb.DeprovisionRequest](f, osb.OperationDeprovision, 0)
	if d.InstanceID != "instance-id" || d.ServiceID != "svc-id" || d.PlanID != "plan-small-id" || !d.AcceptsIncomplete || d.OriginatingIdentity != nil {
		t.Errorf("orphan mitigation request %+v", d)
	}
	// The broker said the provision failed: trying again would fail again.
	i = f.wantReady(metav1.ConditionFalse, conditions.ProvisionFailed)
	f.wantFailed(conditions.ProvisionFailed)
	om = apimeta.FindStatusCondition(i.Status.Conditions, v1beta1.ConditionOrphanMitigation)
	if i.Status.OrphanMitigationInProgress || i.Status.DeprovisionStatus != v1beta1.ServiceInstanceDeprovisionStatusNotRequired ||
		i.Status.ProvisionStatus != v1beta1.ServiceInstanceProvisionStatusNotProvisioned || i.Status.ExternalProperties != nil ||
		i.Status.CurrentOperation != "" || i.Status.InProgressProperties != nil || !strings.Contains(readyMessage(i), "out of capacity") ||
		om == nil || om.Status != metav1.ConditionFalse || om.Reason != conditions.OrphanMitigationSuccessful {
		t.Errorf("status %+v", i.Status)
	}
	f.wantEvents(conditions.OrphanMitigationSuccessful, conditions.ProvisionFailed)

	// Stopped for good, however long it waits.
	f.clock.Step(24 * time.Hour)
	f.mustSync()
	f.wantCalls(osb.OperationProvision, osb.OperationLastOperation, osb.OperationDeprovision)

	// Until the spec changes.
	f.changeSpec(func(i *v1beta1.ServiceInstance) { i.Spec.UpdateRequests = 1 })
	f.mustSync()
	f.wantCalls(osb.OperationProvision, osb.OperationLastOperation, osb.OperationDeprovision, osb.OperationProvision)
	f.wantReady(metav1.ConditionTrue, conditions.ProvisionedSuccessfully)
	f.wantFailed("")
}

func TestProvisionFailuresFollowTheOrphanMitigationTable(t *testing.T) {
	required, notRequired := v1beta1.ServiceInstanceDeprovisionStatusRequired, v1beta1.ServiceInstanceDeprovisionStatusNotRequired
	type outcome int
	const (
		mitigate outcome = iota // orphan mitigation, then provision again later
		fail                    // Failed until the spec changes
		retry                   // provision again later, no orphan mitigation
	)
	for _, tc := range []struct {
		name        string
		err         error
		outcome     outcome
		reason      string
		deprovision v1beta1.ServiceInstanceDeprovisionStatus
		keepsIDs    bool // externalProperties name what the broker may hold, for the DELETE
		forgets     bool // the broker client is built again
	}{
		{"500", status(500, ""), mitigate, conditions.OrphanMitigationInProgress, required, false, false},
		{"503", status(503, ""), mitigate, conditions.OrphanMitigationInProgress, required, false, false},
		{"timeout", &osb.TransportError{Operation: osb.OperationProvision, Timeout: true, MaybeReceived: true}, mitigate, conditions.OrphanMitigationInProgress, required, false, false},
		{"connection broken after sending", &osb.TransportError{Operation: osb.OperationProvision, MaybeReceived: true}, mitigate, conditions.OrphanMitigationInProgress, required, false, false},
		{"malformed 201", &osb.MalformedResponseError{StatusCode: 201}, mitigate, conditions.OrphanMitigationInProgress, required, false, false},
		{"malformed 202", &osb.MalformedResponseError{StatusCode: 202}, mitigate, conditions.OrphanMitigationInProgress, required, false, false},
		{"204", &osb.UnexpectedStatusError{StatusCode: 204}, mitigate, conditions.OrphanMitigationInProgress, required, false, false},
		{"206", &osb.UnexpectedStatusError{StatusCode: 206}, mitigate, conditions.OrphanMitigationInProgress, required, false, false},
		{"400", status(400, ""), fail, conditions.ProvisionFailed, notRequired, false, false},
		{"403", status(403, ""), fail, conditions.ProvisionFailed, notRequired, false, false},
		{"404", status(404, ""), fail, conditions.ProvisionFailed, notRequired, false, false},
		{"422", status(422, "SomethingElse"), fail, conditions.ProvisionFailed, notRequired, false, false},
		{"409", status(409, ""), fail, conditions.ProvisionFailed, required, true, false},
		{"malformed 200", &osb.MalformedResponseError{StatusCode: 200}, fail, conditions.ProvisionFailed, required, true, false},
		{"408", status(408, ""), retry, conditions.ProvisionCallFailed, required, false, false},
		{"connection refused", &osb.TransportError{Operation: osb.OperationProvision, MaybeReceived: false}, retry, conditions.ProvisionCallFailed, required, false, false},
		{"422 ConcurrencyError", status(422, osb.ErrorCodeConcurrencyError), retry, conditions.BrokerBusy, required, false, false},
		{"401", status(401, ""), retry, conditions.ProvisionCallFailed, required, false, true},
		{"412", status(412, ""), retry, conditions.ProvisionCallFailed, required, false, false},
		{"422 MaintenanceInfoConflict", status(422, osb.ErrorCodeMaintenanceInfoConflict), retry, conditions.ProvisionCallFailed, required, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.onProvision(tc.err, tc.err)
			f.onDeprovision(deprovisioned200())
			result := f.mustSync()
			f.wantCalls(osb.OperationProvision)
			i := f.wantReady(metav1.ConditionFalse, tc.reason)
			s := i.Status
			if s.OrphanMitigationInProgress != (tc.outcome == mitigate) || s.DeprovisionStatus != tc.deprovision ||
				(s.ExternalProperties != nil) != tc.keepsIDs || s.ProvisionStatus == v1beta1.ServiceInstanceProvisionStatusProvisioned {
				t.Errorf("status %+v", s)
			}
			if tc.keepsIDs && s.ExternalProperties.ClusterServicePlanExternalID != "plan-small-id" {
				t.Errorf("external properties %+v", s.ExternalProperties)
			}
			f.wantEvents(tc.reason)
			switch tc.outcome {
			case mitigate:
				f.wantFailed("")
				if om := apimeta.FindStatusCondition(s.Conditions, v1beta1.ConditionOrphanMitigation); om == nil ||
					om.Status != metav1.ConditionTrue || om.Reason != conditions.ProvisionCallFailed {
					t.Errorf("orphan mitigation condition %+v", om)
				}
				if !requeued(result) {
					t.Errorf("result %+v", result)
				}
			case fail:
				f.wantFailed(tc.reason)
				if s.CurrentOperation != "" || s.InProgressProperties != nil || s.Attempts.Count != 0 || result.RequeueAfter != 0 {
					t.Errorf("status %+v, result %+v", s, result)
				}
			case retry:
				f.wantFailed("")
				if s.CurrentOperation != v1beta1.ServiceInstanceOperationProvision || s.Attempts.Count != 1 || s.Attempts.NextAttemptTime == nil ||
					!strings.Contains(readyMessage(i), "Attempt 1 failed") {
					t.Errorf("status %+v", s)
				}
				wantRequeue(t, result, backoffWait(start))
			}

			// Later: orphan mitigation deletes, a failure stays, a retry provisions again.
			f.clock.Step(2 * time.Hour)
			f.mustSync()
			switch tc.outcome {
			case mitigate:
				f.wantCalls(osb.OperationProvision, osb.OperationDeprovision)
			case fail:
				f.wantCalls(osb.OperationProvision)
			case retry:
				f.wantCalls(osb.OperationProvision, osb.OperationProvision)
			}
			builds := 1
			if tc.forgets {
				builds = 2
			}
			if n := len(f.osb.Configs()); n != builds {
				t.Errorf("the broker client was built %d times, want %d", n, builds)
			}
		})
	}
}

func TestOrphanMitigationThenProvisionAgainAtTheBackoffTime(t *testing.T) {
	f := newFixture(t)
	f.onProvision(status(500, ""), provisioned200())
	f.onDeprovision(deprovisioned200())
	f.mustSync()
	f.wantEvents(conditions.OrphanMitigationInProgress)
	f.wantWrites("status")

	result := f.mustSync()
	f.wantCalls(osb.OperationProvision, osb.OperationDeprovision)
	wantRequeue(t, result, backoffWait(start))
	i := f.wantReady(metav1.ConditionFalse, conditions.ProvisionCallFailed)
	om := apimeta.FindStatusCondition(i.Status.Conditions, v1beta1.ConditionOrphanMitigation)
	if i.Status.OrphanMitigationInProgress || i.Status.Attempts.Count != 1 || i.Status.CurrentOperation != "" ||
		i.Status.DeprovisionStatus != v1beta1.ServiceInstanceDeprovisionStatusNotRequired ||
		om == nil || om.Status != metav1.ConditionFalse || om.Reason != conditions.OrphanMitigationSuccessful {
		t.Fatalf("status %+v", i.Status)
	}
	f.wantFailed("")
	f.wantEvents(conditions.OrphanMitigationSuccessful, conditions.ProvisionCallFailed)
	f.wantWrites("status", "status")

	// Not before the time kept in status.
	f.clock.Step(30 * time.Second)
	wantRequeue(t, f.mustSync(), backoffWait(start)-30*time.Second)
	f.wantCalls(osb.OperationProvision, osb.OperationDeprovision)
	f.wantWrites()

	f.clock.Step(time.Minute)
	f.mustSync()
	f.wantCalls(osb.OperationProvision, osb.OperationDeprovision, osb.OperationProvision)
	i = f.wantReady(metav1.ConditionTrue, conditions.ProvisionedSuccessfully)
	if i.Status.Attempts.Count != 0 || i.Status.DeprovisionStatus != v1beta1.ServiceInstanceDeprovisionStatusRequired {
		t.Errorf("status %+v", i.Status)
	}
}

func TestAFailedOrphanMitigationIsRetriedWithBackoff(t *testing.T) {
	f := newFixture(t)
	f.onProvision(&osb.TransportError{Timeout: true, MaybeReceived: true})
	f.onDeprovision(status(503, ""), deprovisioning202("delete-1"))
	f.onPoll(state(osb.StateSucceeded, ""))
	f.mustSync()

	wantRequeue(t, f.mustSync(), backoffWait(start))
	i := f.wantReady(metav1.ConditionFalse, conditions.DeprovisionCallFailed)
	if !i.Status.OrphanMitigationInProgress || i.Status.Attempts.Count != 1 || i.Status.CurrentOperation != v1beta1.ServiceInstanceOperationDeprovision {
		t.Fatalf("status %+v", i.Status)
	}
	f.wantEvents(conditions.OrphanMitigationInProgress, conditions.DeprovisionCallFailed)

	// Not before the time kept in status.
	if result := f.mustSync(); !requeued(result) {
		t.Fatalf("result %+v", result)
	}
	f.wantCalls(osb.OperationProvision, osb.OperationDeprovision)

	f.clock.Step(2 * time.Minute)
	if result := f.mustSync(); !requeued(result) {
		t.Fatalf("result %+v", result)
	}
	i = f.wantReady(metav1.ConditionFalse, conditions.Deprovisioning)
	if !i.Status.OrphanMitigationInProgress || !i.Status.AsyncOpInProgress || i.Status.OperationKey != "delete-1" {
		t.Fatalf("status %+v", i.Status)
	}
	for _, n := range []int{0, 1} {
		if d := request[osb.DeprovisionRequest](f, osb.OperationDeprovision, n); d.PlanID != "plan-small-id" || d.OriginatingIdentity != nil {
			t.Errorf("orphan mitigation request %d: %+v", n, d)
		}
	}

	// The DELETE finished: provisioning is tried again after a longer wait.
	result := f.mustSync()
	f.wantCalls(osb.OperationProvision, osb.OperationDeprovision, osb.OperationDeprovision, osb.OperationLastOperation)
	if p := request[osb.LastOperationRequest](f, osb.OperationLastOperation, 0); p.PlanID != "plan-small-id" {
		t.Errorf("poll request %+v", p)
	}
	if keys := f.pollKeys; len(keys) != 1 || keys[0] != "delete-1" {
		t.Errorf("polled operations %q", keys)
	}
	i = f.wantReady(metav1.ConditionFalse, conditions.ProvisionCallFailed)
	if i.Status.OrphanMitigationInProgress || i.Status.Attempts.Count != 2 || result.RequeueAfter < 2*backoffBase {
		t.Errorf("status %+v, result %+v", i.Status, result)
	}
}

func TestABackoffKeptInStatusIsHonouredAfterARestart(t *testing.T) {
	var next metav1.Time
	f := newFixture(t, func(o *fixtureObjects) {
		// A controller that failed to provision, then stopped.
		startTime := metav1.NewTime(start.Add(-time.Minute))
		next = metav1.NewTime(start.Add(90 * time.Second))
		o.instance.Status.ObservedGeneration = 1
		o.instance.Status.CurrentOperation = v1beta1.ServiceInstanceOperationProvision
		o.instance.Status.OperationStartTime = &startTime
		o.instance.Status.InProgressProperties = o.props(o.small, alice())
		o.instance.Status.DeprovisionStatus = v1beta1.ServiceInstanceDeprovisionStatusRequired
		o.instance.Status.Attempts = v1beta1.OperationAttempts{Count: 3, NextAttemptTime: &next}
	})
	f.onProvision(provisioned200())
	wantRequeue(t, f.mustSync(), 90*time.Second)
	f.wantCalls()
	f.wantWrites()

	f.clock.Step(89 * time.Second)
	wantRequeue(t, f.mustSync(), time.Second)
	f.wantCalls()

	f.clock.Step(time.Second)
	f.mustSync()
	f.wantCalls(osb.OperationProvision)
	// The same request goes on: it is not recorded again before it is sent.
	f.wantWrites("status")
	f.wantReady(metav1.ConditionTrue, conditions.ProvisionedSuccessfully)
}

func TestASpecChangeDuringRetriesIsSentAtTheNextAttempt(t *testing.T) {
	f := newFixture(t)
	f.onProvision(status(408, ""), provisioned200())
	f.mustSync()
	f.wantWrites("status")
	f.changeSpec(func(i *v1beta1.ServiceInstance) { i.Spec.ClusterServicePlanExternalName = "large" })
	// The broker may still be busy with the first request: the backoff holds.
	wantRequeue(t, f.mustSync(), backoffWait(start))
	f.wantCalls(osb.OperationProvision)

	f.clock.Step(backoffWait(start))
	f.mustSync()
	f.wantCalls(osb.OperationProvision, osb.OperationProvision)
	if r := request[osb.ProvisionRequest](f, osb.OperationProvision, 1); r.PlanID != "plan-large-id" {
		t.Errorf("provision request %+v", r)
	}
	// The new request is recorded before it is sent.
	f.wantWrites("status", "status")
	i := f.wantReady(metav1.ConditionTrue, conditions.ProvisionedSuccessfully)
	if i.Status.ObservedGeneration != 2 || i.Status.ExternalProperties.ClusterServicePlanExternalID != "plan-large-id" ||
		i.Status.ClusterServicePlanRef.Name != "kv-large" {
		t.Errorf("status %+v", i.Status)
	}
}

func TestASyncOnAStaleCacheDoesNothing(t *testing.T) {
	f := newFixture(t)
	f.onProvision(status(500, ""))
	f.onDeprovision(deprovisioned200())
	// The loop starts orphan mitigation, but the informer has not delivered its write.
	if _, err := f.c.sync(context.Background(), f.key); err != nil {
		t.Fatal(err)
	}
	f.wantWrites("status")
	f.wantEvents(conditions.OrphanMitigationInProgress)
	for range 3 {
		if result, err := f.c.sync(context.Background(), f.key); err != nil || result.RequeueAfter != 0 {
			t.Fatalf("sync on a stale cache: %+v, %v", result, err)
		}
	}
	// The cached copy still says the provision is in flight: acting on it would provision again.
	f.wantCalls(osb.OperationProvision)
	f.wantWrites()
	f.wantEvents()

	// Once the cache caught up, the loop goes on.
	f.refresh()
	f.mustSync()
	f.wantCalls(osb.OperationProvision, osb.OperationDeprovision)
}

func TestAnInstanceThatIsGoneIsForgotten(t *testing.T) {
	f := newFixture(t)
	if err := f.instances.Delete(f.instance()); err != nil {
		t.Fatal(err)
	}
	if result, err := f.c.sync(context.Background(), f.key); err != nil || result.RequeueAfter != 0 {
		t.Fatalf("sync: %+v, %v", result, err)
	}
	f.wantCalls()
	f.wantWrites()
}

func TestMissingBrokerCredentials(t *testing.T) {
	f := newFixture(t, func(o *fixtureObjects) {
		o.broker.Spec.AuthInfo = &v1beta1.ClusterServiceBrokerAuthInfo{Basic: &v1beta1.ClusterBasicAuthConfig{
			SecretRef: &v1beta1.ObjectReference{Namespace: "catalog", Name: "broker-auth"},
		}}
	})
	if _, err := f.sync(); err == nil {
		t.Fatal("missing credentials must be retried")
	}
	f.wantCalls()
	i := f.wantReady(metav1.ConditionFalse, conditions.ProvisionCallFailed)
	if m := readyMessage(i); !strings.Contains(m, "catalog/broker-auth") {
		t.Errorf("message %q does not name the Secret", m)
	}
}

func TestAFailedProvisionIsDeletedAsTheBrokerHasIt(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		delete bool
	}{
		// The broker holds an instance of this id: deleting ours must deprovision it.
		{"409", status(409, ""), true},
		{"malformed 200", &osb.MalformedResponseError{StatusCode: 200}, true},
		// A refusal leaves nothing at the broker.
		{"400", status(400, ""), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.onProvision(tc.err)
			f.onDeprovision(deprovisioned200())
			f.mustSync()
			f.wantFailed(conditions.ProvisionFailed)
			f.delete()
			f.mustSync()
			f.wantReleased()
			if !tc.delete {
				f.wantCalls(osb.OperationProvision)
				return
			}
			f.wantCalls(osb.OperationProvision, osb.OperationDeprovision)
			if r := request[osb.DeprovisionRequest](f, osb.OperationDeprovision, 0); r.ServiceID != "svc-id" || r.PlanID != "plan-small-id" ||
				r.OriginatingIdentity == nil || r.OriginatingIdentity.Username != "bob" {
				t.Errorf("deprovision request %+v", r)
			}
		})
	}
}

func TestNothingIsSentWhenAChangedRequestCannotBeRecorded(t *testing.T) {
	f := newFixture(t, func(o *fixtureObjects) {
		// An earlier attempt, on the large plan, failed; the spec now asks for small.
		past := metav1.NewTime(start.Add(-time.Minute))
		o.instance.Status.CurrentOperation = v1beta1.ServiceInstanceOperationProvision
		o.instance.Status.OperationStartTime = &past
		o.instance.Status.InProgressProperties = o.props(o.large, alice())
	})
	f.onProvision(provisioned200())
	f.catalog.PrependReactor("update", "serviceinstances", func(clienttesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewConflict(instancesResource.GroupResource(), "db", errors.New("changed meanwhile"))
	})
	if _, err := f.sync(); !apierrors.IsConflict(err) {
		t.Fatalf("sync: %v; want the conflict, to retry", err)
	}
	// Had it been sent, the record would name a request the broker never saw.
	f.wantCalls()
	f.wantEvents()
}

func TestARetryWithAChangedSpecIsRecordedBeforeItIsSent(t *testing.T) {
	var wantProps *v1beta1.ServiceInstancePropertiesState
	f := newFixture(t, func(o *fixtureObjects) {
		// An earlier attempt, on the large plan, failed; the spec now asks for small.
		earlier := o.props(o.large, alice())
		wantProps = o.props(o.small, alice())
		past := metav1.NewTime(start.Add(-time.Minute))
		o.instance.Status.CurrentOperation = v1beta1.ServiceInstanceOperationProvision
		o.instance.Status.OperationStartTime = &past
		o.instance.Status.InProgressProperties = earlier
		o.instance.Status.Attempts = v1beta1.OperationAttempts{Count: 1, NextAttemptTime: &past}
	})
	f.osb.SetProvisionReaction(func(ctx context.Context, r *osb.ProvisionRequest) (*osb.ProvisionResponse, error) {
		i := f.instance()
		c := apimeta.FindStatusCondition(i.Status.Conditions, v1beta1.ConditionReady)
		if !reflect.DeepEqual(i.Status.InProgressProperties, wantProps) || c == nil || c.Reason != conditions.ProvisionRequestInFlight {
			t.Errorf("status when the changed provision was sent: %+v", i.Status)
		}
		return provisioned200(), nil
	})
	f.mustSync()
	f.wantCalls(osb.OperationProvision)
	f.wantReady(metav1.ConditionTrue, conditions.ProvisionedSuccessfully)
	f.wantWrites("status", "status")
}
