package serviceinstance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clienttesting "k8s.io/client-go/testing"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/indexes"
	"github.com/kube-service-catalog/catalog/pkg/controller/internal/looptest"
	"github.com/kube-service-catalog/catalog/pkg/controller/operation"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

func TestAProvisionIsRecordedBeforeItIsSentThenWithItsAnswer(t *testing.T) {
	var wantProps *v1beta1.ServiceInstancePropertiesState
	f := newFixture(t, func(o *fixtureObjects) {
		wantProps = o.props(o.small, alice())
		// What an earlier failed attempt left: it must be cleared by the success.
		past := metav1.NewTime(looptest.Start.Add(-time.Minute))
		o.instance.Status.Attempts = v1beta1.OperationAttempts{Count: 2, NextAttemptTime: &past}
	})
	dashboard := "https://dashboard.example.com/db"
	f.OSB.SetProvisionReaction(func(context.Context, *osb.ProvisionRequest) (*osb.ProvisionResponse, error) {
		// Written down before it is sent: a controller that stops meanwhile leaves the
		// record, and the next one asks the broker before it sends it again.
		i := f.instance()
		type recorded struct {
			Current    v1beta1.ServiceInstanceOperation
			InProgress *v1beta1.ServiceInstancePropertiesState
			Ready      string
		}
		looptest.Expect(t, "status when the provision was sent", recorded{v1beta1.ServiceInstanceOperationProvision, wantProps, conditions.ProvisionRequestInFlight},
			recorded{i.Status.CurrentOperation, i.Status.InProgressProperties, looptest.StateOf(i.Status.Conditions, v1beta1.ConditionReady).Reason})
		return &osb.ProvisionResponse{DashboardURL: &dashboard, RequestIdentity: "req-1"}, nil
	})
	if result := f.MustSync(); result.RequeueAfter != 0 {
		t.Errorf("result %+v", result)
	}

	f.WantCalls(osb.OperationProvision)
	r := looptest.Request[osb.ProvisionRequest](f.Env, osb.OperationProvision, 0)
	wantContext := &osb.Context{Platform: osb.PlatformKubernetes, Namespace: "ns", ClusterID: "cluster-id", InstanceName: "db"}
	wantIdentity := &osb.OriginatingIdentity{Username: "alice", UID: "alice-uid", Groups: []string{"dev"}, Extra: map[string][]string{"team": {"db"}}}
	wantParams := map[string]any{"size": json.Number("3"), "password": testPassword}
	looptest.Expect(t, "provision request", &osb.ProvisionRequest{
		InstanceID: "instance-id", AcceptsIncomplete: true, ServiceID: "svc-id", PlanID: "plan-small-id",
		OrganizationGUID: "cluster-id", SpaceGUID: "ns-uid", Context: wantContext, Parameters: wantParams, OriginatingIdentity: wantIdentity,
	}, r)

	i := f.wantReady(metav1.ConditionTrue, conditions.ProvisionedSuccessfully)
	s := i.Status
	// All but the conditions: no operation is in progress, and the attempts are forgotten.
	looptest.Expect(t, "status", v1beta1.ServiceInstanceStatus{
		ObservedGeneration:       1,
		ClusterServiceClassRef:   &v1beta1.ClusterObjectReference{Name: "kv"},
		ClusterServicePlanRef:    &v1beta1.ClusterObjectReference{Name: "kv-small"},
		ClusterServiceBrokerName: "the-broker",
		OperationStatus:          v1beta1.OperationStatus{LastRequestIdentity: "req-1"},
		ExternalProperties:       madeWith(wantProps, "req-1"),
		ProvisionStatus:          v1beta1.ServiceInstanceProvisionStatusProvisioned,
		DeprovisionStatus:        v1beta1.ServiceInstanceDeprovisionStatusRequired,
		DashboardURL:             dashboard,
	}, s, cmpopts.IgnoreFields(v1beta1.ServiceInstanceStatus{}, "Conditions"))
	if strings.Contains(string(s.ExternalProperties.Parameters.Raw), testPassword) {
		t.Errorf("status holds a parameter from a Secret: %s", s.ExternalProperties.Parameters.Raw)
	}
	f.wantFailed("")
	f.WantEvents(conditions.ProvisionedSuccessfully)
	f.wantWrites("status", "status")

	// Done: nothing more happens, but for a later look at the parametersFrom Secret.
	f.WantRequeue(f.MustSync(), operation.DefaultSecretsCheckPeriod)
	f.WantCalls(osb.OperationProvision)
	f.WantEvents()
	f.wantWrites()
}

func TestProvisionSendsThePlansMaintenanceInfo(t *testing.T) {
	f := newFixture(t, func(o *fixtureObjects) {
		o.small.Spec.MaintenanceInfo = &v1beta1.MaintenanceInfo{Version: "1.2.3"}
		o.instance.Spec.UserInfo = nil
	})
	f.onProvision(provisioned200())
	f.MustSync()
	r := looptest.Request[osb.ProvisionRequest](f.Env, osb.OperationProvision, 0)
	type sent struct {
		MaintenanceInfo     *osb.MaintenanceInfo
		OriginatingIdentity *osb.OriginatingIdentity
	}
	looptest.Expect(t, "provision request", sent{MaintenanceInfo: &osb.MaintenanceInfo{Version: "1.2.3"}}, sent{r.MaintenanceInfo, r.OriginatingIdentity})
	i := f.wantReady(metav1.ConditionTrue, conditions.ProvisionedSuccessfully)
	looptest.Expect(t, "maintenance info version the broker acknowledged", "1.2.3", i.Status.ExternalProperties.MaintenanceInfoVersion)
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
	f.WantRequeue(f.MustSync(), time.Second) // the fixture's minimum poll interval
	i := f.wantReady(metav1.ConditionFalse, conditions.Provisioning)
	type polled struct {
		Async        bool
		OperationKey string
		Current      v1beta1.ServiceInstanceOperation
		Provisioned  bool
	}
	looptest.Require(t, "status", polled{true, "op-1", v1beta1.ServiceInstanceOperationProvision, false}, polled{
		i.Status.AsyncOpInProgress, i.Status.OperationKey, i.Status.CurrentOperation,
		i.Status.ProvisionStatus == v1beta1.ServiceInstanceProvisionStatusProvisioned,
	})
	f.WantEvents(conditions.Provisioning)
	f.wantWrites("status", "status")

	// An event about the instance (its own status write) does not bring the poll forward.
	f.WantRequeue(f.MustSync(), time.Second)
	f.WantCalls(osb.OperationProvision)
	f.Clock.Step(time.Second)
	f.WantRequeue(f.MustSync(), 7*time.Second) // the broker's Retry-After
	i = f.wantReady(metav1.ConditionFalse, conditions.Provisioning)
	if m := readyMessage(i); !strings.Contains(m, "50% done") {
		t.Errorf("message %q does not show the broker's description", m)
	}
	p := looptest.Request[osb.LastOperationRequest](f.Env, osb.OperationLastOperation, 0)
	type poll struct{ InstanceID, ServiceID, PlanID, OperationKey, User string }
	looptest.Expect(t, "poll request", poll{"instance-id", "svc-id", "plan-small-id", "op-1", "alice"},
		poll{p.InstanceID, p.ServiceID, p.PlanID, f.pollKeys[0], looptest.Username(p.OriginatingIdentity)})

	// Without a Retry-After, the wait grows with the operation's age: a tenth of it.
	f.Clock.Step(100 * time.Second)
	f.WantRequeue(f.MustSync(), 10100*time.Millisecond) // the operation is 101 s old
	i = f.wantReady(metav1.ConditionFalse, conditions.ErrorPollingLastOperation)
	type going struct{ Async, Mitigating bool }
	looptest.Require(t, "status after a 410, which ends no provision", going{true, false},
		going{i.Status.AsyncOpInProgress, i.Status.OrphanMitigationInProgress})
	f.Clock.Step(10100 * time.Millisecond)
	f.WantRequeue(f.MustSync(), 11110*time.Millisecond)
	f.wantReady(metav1.ConditionFalse, conditions.ErrorPollingLastOperation)
	// Each failed poll is an event: a user sees what goes wrong while polling goes on.
	f.WantEvents(conditions.ErrorPollingLastOperation, conditions.ErrorPollingLastOperation)

	f.Clock.Step(11110 * time.Millisecond)
	if result := f.MustSync(); result.RequeueAfter != 0 {
		t.Errorf("result %+v", result)
	}
	f.WantCalls(osb.OperationProvision, osb.OperationLastOperation, osb.OperationLastOperation, osb.OperationLastOperation, osb.OperationLastOperation)
	i = f.wantReady(metav1.ConditionTrue, conditions.ProvisionedSuccessfully)
	type done struct {
		Async           bool
		OperationKey    string
		Current         v1beta1.ServiceInstanceOperation
		KnownPlan       string
		ProvisionStatus v1beta1.ServiceInstanceProvisionStatus
	}
	looptest.Expect(t, "status", done{KnownPlan: "plan-small-id", ProvisionStatus: v1beta1.ServiceInstanceProvisionStatusProvisioned},
		done{i.Status.AsyncOpInProgress, i.Status.OperationKey, i.Status.CurrentOperation, knownPlan(i), i.Status.ProvisionStatus})
	f.WantEvents(conditions.ProvisionedSuccessfully)
}

func ptr[T any](v T) *T { return &v }

func TestAFailedAsyncProvisionIsCleanedUpThenFails(t *testing.T) {
	f := newFixture(t)
	f.onProvision(provisioning202("op-1"), provisioned200())
	f.onPoll(state(osb.StateFailed, "out of capacity"))
	f.onDeprovision(deprovisioned200())
	f.MustSync()
	f.Clock.Step(time.Second)
	if result := f.MustSync(); !looptest.Requeued(result) {
		t.Fatalf("orphan mitigation is not started at once: %+v", result)
	}
	i := f.wantReady(metav1.ConditionFalse, conditions.OrphanMitigationInProgress)
	type mitigating struct {
		Mitigating, Async bool
		OperationKey      string
		OrphanMitigation  looptest.ConditionState
	}
	looptest.Require(t, "status", mitigating{true, false, "", looptest.ConditionState{Status: metav1.ConditionTrue, Reason: conditions.ProvisionFailed}},
		mitigating{i.Status.OrphanMitigationInProgress, i.Status.AsyncOpInProgress, i.Status.OperationKey,
			looptest.StateOf(i.Status.Conditions, v1beta1.ConditionOrphanMitigation)})
	if om := apimeta.FindStatusCondition(i.Status.Conditions, v1beta1.ConditionOrphanMitigation); !strings.Contains(om.Message, "out of capacity") {
		t.Fatalf("orphan mitigation message %q, want the broker's description", om.Message)
	}
	f.wantFailed("")
	f.WantEvents(conditions.Provisioning, conditions.OrphanMitigationInProgress)

	// Orphan mitigation deletes the instance with the ids of the provision, without an identity.
	if result := f.MustSync(); result.RequeueAfter != 0 {
		t.Errorf("result %+v", result)
	}
	f.WantCalls(osb.OperationProvision, osb.OperationLastOperation, osb.OperationDeprovision)
	d := looptest.Request[osb.DeprovisionRequest](f.Env, osb.OperationDeprovision, 0)
	looptest.Expect(t, "orphan mitigation request",
		&osb.DeprovisionRequest{InstanceID: "instance-id", AcceptsIncomplete: true, ServiceID: "svc-id", PlanID: "plan-small-id"}, d)
	// The broker said the provision failed: trying again would fail again.
	i = f.wantReady(metav1.ConditionFalse, conditions.ProvisionFailed)
	f.wantFailed(conditions.ProvisionFailed)
	type failed struct {
		Mitigating                               bool
		DeprovisionStatus                        v1beta1.ServiceInstanceDeprovisionStatus
		ProvisionStatus                          v1beta1.ServiceInstanceProvisionStatus
		ExternalProperties, InProgressProperties *v1beta1.ServiceInstancePropertiesState
		Current                                  v1beta1.ServiceInstanceOperation
		OrphanMitigation                         looptest.ConditionState
	}
	looptest.Expect(t, "status", failed{
		DeprovisionStatus: v1beta1.ServiceInstanceDeprovisionStatusNotRequired,
		ProvisionStatus:   v1beta1.ServiceInstanceProvisionStatusNotProvisioned,
		OrphanMitigation:  looptest.ConditionState{Status: metav1.ConditionFalse, Reason: conditions.OrphanMitigationSuccessful},
	}, failed{
		i.Status.OrphanMitigationInProgress, i.Status.DeprovisionStatus, i.Status.ProvisionStatus, i.Status.ExternalProperties,
		i.Status.InProgressProperties, i.Status.CurrentOperation, looptest.StateOf(i.Status.Conditions, v1beta1.ConditionOrphanMitigation),
	})
	if m := readyMessage(i); !strings.Contains(m, "out of capacity") {
		t.Errorf("message %q, want the broker's description", m)
	}
	f.WantEvents(conditions.OrphanMitigationSuccessful, conditions.ProvisionFailed)

	// Stopped for good, however long it waits.
	f.Clock.Step(24 * time.Hour)
	f.MustSync()
	f.WantCalls(osb.OperationProvision, osb.OperationLastOperation, osb.OperationDeprovision)

	// Until the spec changes.
	f.changeSpec(func(i *v1beta1.ServiceInstance) { i.Spec.UpdateRequests = 1 })
	f.MustSync()
	f.WantCalls(osb.OperationProvision, osb.OperationLastOperation, osb.OperationDeprovision, osb.OperationProvision)
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
			result := f.MustSync()
			first := []osb.Operation{osb.OperationProvision}
			if osb.IsConflict(tc.err) {
				// A 409 asks the broker's last operation whether the instance it has is ours.
				first = append(first, osb.OperationLastOperation)
			}
			f.WantCalls(first...)
			i := f.wantReady(metav1.ConditionFalse, tc.reason)
			s := i.Status
			type failed struct {
				Mitigating        bool
				DeprovisionStatus v1beta1.ServiceInstanceDeprovisionStatus
				KeepsIDs          bool
				Provisioned       bool
			}
			looptest.Expect(t, "status", failed{tc.outcome == mitigate, tc.deprovision, tc.keepsIDs, false}, failed{
				s.OrphanMitigationInProgress, s.DeprovisionStatus, s.ExternalProperties != nil,
				s.ProvisionStatus == v1beta1.ServiceInstanceProvisionStatusProvisioned,
			})
			if tc.keepsIDs {
				looptest.Expect(t, "plan the broker may hold", "plan-small-id", knownPlan(i))
			}
			f.WantEvents(tc.reason)
			switch tc.outcome {
			case mitigate:
				f.wantFailed("")
				looptest.Expect(t, "orphan mitigation condition", looptest.ConditionState{Status: metav1.ConditionTrue, Reason: conditions.ProvisionCallFailed},
					looptest.StateOf(s.Conditions, v1beta1.ConditionOrphanMitigation))
				if !looptest.Requeued(result) {
					t.Errorf("result %+v", result)
				}
			case fail:
				f.wantFailed(tc.reason)
				type stopped struct {
					Current      v1beta1.ServiceInstanceOperation
					InProgress   *v1beta1.ServiceInstancePropertiesState
					Attempts     int32
					RequeueAfter time.Duration
				}
				looptest.Expect(t, "status and result", stopped{}, stopped{s.CurrentOperation, s.InProgressProperties, s.Attempts.Count, result.RequeueAfter})
			case retry:
				f.wantFailed("")
				type retried struct {
					Current         v1beta1.ServiceInstanceOperation
					Attempts        int32
					NextAttemptTime bool
				}
				looptest.Expect(t, "status", retried{v1beta1.ServiceInstanceOperationProvision, 1, true},
					retried{s.CurrentOperation, s.Attempts.Count, s.Attempts.NextAttemptTime != nil})
				if m := readyMessage(i); !strings.Contains(m, "Attempt 1 failed") {
					t.Errorf("message %q, want it to count the attempt", m)
				}
				f.WantRequeue(result, backoffWait(looptest.Start))
			}

			// Later: orphan mitigation deletes, a failure stays, a retry provisions again.
			f.Clock.Step(2 * time.Hour)
			f.MustSync()
			switch tc.outcome {
			case mitigate:
				f.WantCalls(osb.OperationProvision, osb.OperationDeprovision)
			case fail:
				f.WantCalls(first...)
			case retry:
				f.WantCalls(osb.OperationProvision, osb.OperationProvision)
			}
			builds := 1
			if tc.forgets {
				builds = 2
			}
			if n := len(f.OSB.Configs()); n != builds {
				t.Errorf("the broker client was built %d times, want %d", n, builds)
			}
		})
	}
}

func TestOrphanMitigationThenProvisionAgainAtTheBackoffTime(t *testing.T) {
	f := newFixture(t)
	f.onProvision(status(500, ""), provisioned200())
	f.onDeprovision(deprovisioned200())
	f.MustSync()
	f.WantEvents(conditions.OrphanMitigationInProgress)
	f.wantWrites("status", "status")

	result := f.MustSync()
	f.WantCalls(osb.OperationProvision, osb.OperationDeprovision)
	f.WantRequeue(result, backoffWait(looptest.Start))
	i := f.wantReady(metav1.ConditionFalse, conditions.ProvisionCallFailed)
	type mitigated struct {
		Mitigating        bool
		Attempts          int32
		Current           v1beta1.ServiceInstanceOperation
		DeprovisionStatus v1beta1.ServiceInstanceDeprovisionStatus
		OrphanMitigation  looptest.ConditionState
	}
	looptest.Require(t, "status", mitigated{
		Attempts: 1, DeprovisionStatus: v1beta1.ServiceInstanceDeprovisionStatusNotRequired,
		OrphanMitigation: looptest.ConditionState{Status: metav1.ConditionFalse, Reason: conditions.OrphanMitigationSuccessful},
	}, mitigated{
		i.Status.OrphanMitigationInProgress, i.Status.Attempts.Count, i.Status.CurrentOperation, i.Status.DeprovisionStatus,
		looptest.StateOf(i.Status.Conditions, v1beta1.ConditionOrphanMitigation),
	})
	f.wantFailed("")
	f.WantEvents(conditions.OrphanMitigationSuccessful, conditions.ProvisionCallFailed)
	f.wantWrites("status", "status")

	// Not before the time kept in status.
	f.Clock.Step(30 * time.Second)
	f.WantRequeue(f.MustSync(), backoffWait(looptest.Start)-30*time.Second)
	f.WantCalls(osb.OperationProvision, osb.OperationDeprovision)
	f.wantWrites()

	f.Clock.Step(time.Minute)
	f.MustSync()
	f.WantCalls(osb.OperationProvision, osb.OperationDeprovision, osb.OperationProvision)
	i = f.wantReady(metav1.ConditionTrue, conditions.ProvisionedSuccessfully)
	type provisioned struct {
		Attempts          int32
		DeprovisionStatus v1beta1.ServiceInstanceDeprovisionStatus
	}
	looptest.Expect(t, "status", provisioned{0, v1beta1.ServiceInstanceDeprovisionStatusRequired},
		provisioned{i.Status.Attempts.Count, i.Status.DeprovisionStatus})
}

func TestAFailedOrphanMitigationIsRetriedWithBackoff(t *testing.T) {
	f := newFixture(t)
	f.onProvision(&osb.TransportError{Timeout: true, MaybeReceived: true})
	f.onDeprovision(status(503, ""), deprovisioning202("delete-1"))
	f.onPoll(state(osb.StateSucceeded, ""))
	f.MustSync()

	f.WantRequeue(f.MustSync(), backoffWait(looptest.Start))
	// Nobody deleted the instance: the status says orphan mitigation goes on.
	i := f.wantReady(metav1.ConditionFalse, conditions.OrphanMitigationInProgress)
	type mitigating struct {
		Mitigating bool
		Attempts   int32
		Current    v1beta1.ServiceInstanceOperation
	}
	looptest.Require(t, "status", mitigating{true, 1, v1beta1.ServiceInstanceOperationDeprovision},
		mitigating{i.Status.OrphanMitigationInProgress, i.Status.Attempts.Count, i.Status.CurrentOperation})
	f.WantEvents(conditions.OrphanMitigationInProgress, conditions.OrphanMitigationInProgress)

	// Not before the time kept in status.
	if result := f.MustSync(); !looptest.Requeued(result) {
		t.Fatalf("result %+v", result)
	}
	f.WantCalls(osb.OperationProvision, osb.OperationDeprovision)

	f.Clock.Step(2 * time.Minute)
	if result := f.MustSync(); !looptest.Requeued(result) {
		t.Fatalf("result %+v", result)
	}
	i = f.wantReady(metav1.ConditionFalse, conditions.OrphanMitigationInProgress)
	type deleting struct {
		Mitigating, Async bool
		OperationKey      string
	}
	looptest.Require(t, "status", deleting{true, true, "delete-1"},
		deleting{i.Status.OrphanMitigationInProgress, i.Status.AsyncOpInProgress, i.Status.OperationKey})
	type sent struct {
		PlanID              string
		OriginatingIdentity *osb.OriginatingIdentity
	}
	for _, n := range []int{0, 1} {
		d := looptest.Request[osb.DeprovisionRequest](f.Env, osb.OperationDeprovision, n)
		looptest.Expect(t, fmt.Sprintf("orphan mitigation request %d", n), sent{PlanID: "plan-small-id"}, sent{d.PlanID, d.OriginatingIdentity})
	}

	// The DELETE finished: provisioning is tried again after a longer wait.
	f.Clock.Step(time.Second)
	result := f.MustSync()
	f.WantCalls(osb.OperationProvision, osb.OperationDeprovision, osb.OperationDeprovision, osb.OperationLastOperation)
	looptest.Expect(t, "plan_id polled", "plan-small-id", looptest.Request[osb.LastOperationRequest](f.Env, osb.OperationLastOperation, 0).PlanID)
	looptest.Expect(t, "polled operations", []string{"delete-1"}, f.pollKeys)
	i = f.wantReady(metav1.ConditionFalse, conditions.ProvisionCallFailed)
	type backingOff struct {
		Mitigating bool
		Attempts   int32
	}
	looptest.Expect(t, "status", backingOff{false, 2}, backingOff{i.Status.OrphanMitigationInProgress, i.Status.Attempts.Count})
	if result.RequeueAfter < 2*backoffBase {
		t.Errorf("RequeueAfter %s, want at least %s", result.RequeueAfter, 2*backoffBase)
	}
}

func TestABackoffKeptInStatusIsHonouredAfterARestart(t *testing.T) {
	var next metav1.Time
	f := newFixture(t, func(o *fixtureObjects) {
		// A controller that failed to provision, then stopped.
		startTime := metav1.NewTime(looptest.Start.Add(-time.Minute))
		next = metav1.NewTime(looptest.Start.Add(90 * time.Second))
		o.instance.Status.ObservedGeneration = 1
		o.instance.Status.CurrentOperation = v1beta1.ServiceInstanceOperationProvision
		o.instance.Status.OperationStartTime = &startTime
		o.instance.Status.InProgressProperties = o.props(o.small, alice())
		o.instance.Status.DeprovisionStatus = v1beta1.ServiceInstanceDeprovisionStatusRequired
		o.instance.Status.Attempts = v1beta1.OperationAttempts{Count: 3, NextAttemptTime: &next}
	})
	f.onProvision(provisioned200())
	f.WantRequeue(f.MustSync(), 90*time.Second)
	f.WantCalls()
	f.wantWrites()

	f.Clock.Step(89 * time.Second)
	f.WantRequeue(f.MustSync(), time.Second)
	f.WantCalls()

	f.Clock.Step(time.Second)
	f.MustSync()
	f.WantCalls(osb.OperationProvision)
	// The same request goes on, recorded as in flight before it is sent.
	f.wantWrites("status", "status")
	f.wantReady(metav1.ConditionTrue, conditions.ProvisionedSuccessfully)
}

func TestASpecChangeDuringRetriesIsSentAtTheNextAttempt(t *testing.T) {
	f := newFixture(t)
	f.onProvision(status(408, ""), provisioned200())
	f.MustSync()
	f.wantWrites("status", "status")
	f.changeSpec(func(i *v1beta1.ServiceInstance) { i.Spec.ClusterServicePlanExternalName = "large" })
	// The broker may still be busy with the first request: the backoff holds.
	f.WantRequeue(f.MustSync(), backoffWait(looptest.Start))
	f.WantCalls(osb.OperationProvision)

	f.Clock.Step(backoffWait(looptest.Start))
	f.MustSync()
	f.WantCalls(osb.OperationProvision, osb.OperationProvision)
	looptest.Expect(t, "plan_id of the second provision", "plan-large-id", looptest.Request[osb.ProvisionRequest](f.Env, osb.OperationProvision, 1).PlanID)
	// The new request is recorded before it is sent.
	f.wantWrites("status", "status")
	i := f.wantReady(metav1.ConditionTrue, conditions.ProvisionedSuccessfully)
	type provisioned struct {
		ObservedGeneration int64
		KnownPlan, PlanRef string
	}
	looptest.Expect(t, "status", provisioned{2, "plan-large-id", "kv-large"},
		provisioned{i.Status.ObservedGeneration, knownPlan(i), indexes.Resolved(i).PlanName})
}

func TestASyncOnAStaleCacheDoesNothing(t *testing.T) {
	f := newFixture(t)
	f.onProvision(status(500, ""))
	f.onDeprovision(deprovisioned200())
	// The loop starts orphan mitigation, but the informer has not delivered its write.
	if _, err := f.c.sync(context.Background(), f.Key); err != nil {
		t.Fatal(err)
	}
	f.wantWrites("status", "status")
	f.WantEvents(conditions.OrphanMitigationInProgress)
	for range 3 {
		result, err := f.c.sync(context.Background(), f.Key)
		if err != nil {
			t.Fatalf("sync on a stale cache: %v", err)
		}
		looptest.Require(t, "result of a sync on a stale cache", controller.Result{}, result)
	}
	// The cached copy still says the provision is in flight: acting on it would provision again.
	f.WantCalls(osb.OperationProvision)
	f.wantWrites()
	f.WantEvents()

	// Once the cache caught up, the loop goes on.
	f.Refresh()
	f.MustSync()
	f.WantCalls(osb.OperationProvision, osb.OperationDeprovision)
}

func TestAnInstanceThatIsGoneIsForgotten(t *testing.T) {
	f := newFixture(t)
	if err := f.Informers.ServiceInstances().Informer().GetIndexer().Delete(f.instance()); err != nil {
		t.Fatal(err)
	}
	result, err := f.c.sync(context.Background(), f.Key)
	if err != nil {
		t.Fatal(err)
	}
	looptest.Require(t, "result", controller.Result{}, result)
	f.WantCalls()
	f.wantWrites()
}

func TestMissingBrokerCredentials(t *testing.T) {
	f := newFixture(t, func(o *fixtureObjects) {
		o.broker.Spec.AuthInfo = &v1beta1.ClusterServiceBrokerAuthInfo{Basic: &v1beta1.ClusterBasicAuthConfig{
			SecretRef: &v1beta1.ObjectReference{Namespace: "catalog", Name: "broker-auth"},
		}}
	})
	if _, err := f.Sync(); err == nil {
		t.Fatal("missing credentials must be retried")
	}
	f.WantCalls()
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
			f.MustSync()
			f.wantFailed(conditions.ProvisionFailed)
			f.delete()
			f.MustSync()
			f.wantReleased()
			if !tc.delete {
				f.WantCalls(osb.OperationProvision)
				return
			}
			if osb.IsConflict(tc.err) {
				f.WantCalls(osb.OperationProvision, osb.OperationLastOperation, osb.OperationDeprovision)
			} else {
				f.WantCalls(osb.OperationProvision, osb.OperationDeprovision)
			}
			type sent struct{ ServiceID, PlanID, User string }
			r := looptest.Request[osb.DeprovisionRequest](f.Env, osb.OperationDeprovision, 0)
			looptest.Expect(t, "deprovision request", sent{"svc-id", "plan-small-id", "bob"}, sent{r.ServiceID, r.PlanID, looptest.Username(r.OriginatingIdentity)})
		})
	}
}

func TestNothingIsSentWhenAChangedRequestCannotBeRecorded(t *testing.T) {
	f := newFixture(t, func(o *fixtureObjects) {
		// An earlier attempt, on the large plan, failed; the spec now asks for small.
		past := metav1.NewTime(looptest.Start.Add(-time.Minute))
		o.instance.Status.CurrentOperation = v1beta1.ServiceInstanceOperationProvision
		o.instance.Status.OperationStartTime = &past
		o.instance.Status.InProgressProperties = o.props(o.large, alice())
	})
	f.onProvision(provisioned200())
	f.Catalog.PrependReactor("update", "serviceinstances", func(clienttesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewConflict(v1beta1.Resource("serviceinstances"), "db", errors.New("changed meanwhile"))
	})
	if _, err := f.Sync(); !apierrors.IsConflict(err) {
		t.Fatalf("sync: %v; want the conflict, to retry", err)
	}
	// Had it been sent, the record would name a request the broker never saw.
	f.WantCalls()
	f.WantEvents()
}

func TestARetryWithAChangedSpecIsRecordedBeforeItIsSent(t *testing.T) {
	var wantProps *v1beta1.ServiceInstancePropertiesState
	f := newFixture(t, func(o *fixtureObjects) {
		// An earlier attempt, on the large plan, failed; the spec now asks for small.
		earlier := o.props(o.large, alice())
		wantProps = o.props(o.small, alice())
		past := metav1.NewTime(looptest.Start.Add(-time.Minute))
		o.instance.Status.CurrentOperation = v1beta1.ServiceInstanceOperationProvision
		o.instance.Status.OperationStartTime = &past
		o.instance.Status.InProgressProperties = earlier
		o.instance.Status.Attempts = v1beta1.OperationAttempts{Count: 1, NextAttemptTime: &past}
	})
	f.OSB.SetProvisionReaction(func(context.Context, *osb.ProvisionRequest) (*osb.ProvisionResponse, error) {
		type recorded struct {
			InProgress *v1beta1.ServiceInstancePropertiesState
			Ready      string
		}
		i := f.instance()
		looptest.Expect(t, "status when the changed provision was sent", recorded{wantProps, conditions.ProvisionRequestInFlight},
			recorded{i.Status.InProgressProperties, looptest.StateOf(i.Status.Conditions, v1beta1.ConditionReady).Reason})
		return provisioned200(), nil
	})
	f.MustSync()
	f.WantCalls(osb.OperationProvision)
	f.wantReady(metav1.ConditionTrue, conditions.ProvisionedSuccessfully)
	f.wantWrites("status", "status")
}

// A 409 to a provision may be about this very instance, from an attempt whose answer was
// lost: the broker's last operation, or GET instance, says whether it is ours.
func TestAConflictOnProvisionIsCheckedBeforeFailing(t *testing.T) {
	for _, tc := range []struct {
		name        string
		retrievable bool
		lastOp      any
		get         any
		calls       []osb.Operation
		reason      string
		// update tells what the update that follows an adoption sends: "" for none.
		update string
	}{
		{"last operation succeeded", false, state(osb.StateSucceeded, ""), nil,
			[]osb.Operation{osb.OperationProvision, osb.OperationLastOperation}, conditions.BrokerHeldInstance, "plan and parameters"},
		{"last operation in progress", false, state(osb.StateInProgress, ""), nil,
			[]osb.Operation{osb.OperationProvision, osb.OperationLastOperation}, conditions.Provisioning, ""},
		{"GET instance shows the plan asked for", true, status(404, ""), &osb.GetInstanceResponse{ServiceID: "svc-id", PlanID: "plan-small-id"},
			[]osb.Operation{osb.OperationProvision, osb.OperationLastOperation, osb.OperationGetInstance}, conditions.BrokerHeldInstance, "parameters"},
		{"GET instance shows another plan", true, status(404, ""), &osb.GetInstanceResponse{ServiceID: "svc-id", PlanID: "plan-large-id"},
			[]osb.Operation{osb.OperationProvision, osb.OperationLastOperation, osb.OperationGetInstance}, conditions.ProvisionFailed, ""},
		{"not retrievable, no last operation", false, status(400, ""), nil,
			[]osb.Operation{osb.OperationProvision, osb.OperationLastOperation}, conditions.ProvisionFailed, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(o *fixtureObjects) { o.class.Spec.InstancesRetrievable = tc.retrievable })
			f.onProvision(status(409, ""))
			f.onPoll(tc.lastOp)
			if tc.get != nil {
				f.OSB.SetGetInstanceReaction(func(context.Context, *osb.GetInstanceRequest) (*osb.GetInstanceResponse, error) {
					return tc.get.(*osb.GetInstanceResponse), nil
				})
			}
			_, _ = f.Sync()
			f.WantCalls(tc.calls...)
			i := f.instance()
			looptest.Expect(t, "Ready reason", tc.reason, looptest.StateOf(i.Status.Conditions, v1beta1.ConditionReady).Reason)
			if tc.update == "" {
				return
			}
			// What the broker holds may be an earlier request: an update brings it to the spec.
			f.onUpdate(updated200())
			f.MustSync()
			f.WantCalls(append(tc.calls, osb.OperationUpdate)...)
			u := looptest.Request[osb.UpdateRequest](f.Env, osb.OperationUpdate, 0)
			sent := "parameters"
			if u.PlanID != nil {
				sent = "plan and parameters"
			}
			looptest.Expect(t, "the update sends", tc.update, sent)
			f.wantReady(metav1.ConditionTrue, conditions.UpdatedSuccessfully)
		})
	}
}

// A provision sent by a controller that stopped before it wrote the answer is not sent
// again when the broker holds the instance: the next controller asks it first.
func TestAnInterruptedProvisionIsCheckedBeforeItIsSentAgain(t *testing.T) {
	for _, tc := range []struct {
		name   string
		lastOp any
		calls  []osb.Operation
		reason string
	}{
		{"the broker holds it", state(osb.StateSucceeded, ""), []osb.Operation{osb.OperationLastOperation}, conditions.ProvisionedSuccessfully},
		{"the broker is still at it", state(osb.StateInProgress, ""), []osb.Operation{osb.OperationLastOperation}, conditions.Provisioning},
		{"the broker does not know it", status(404, ""), []osb.Operation{osb.OperationLastOperation, osb.OperationProvision}, conditions.ProvisionedSuccessfully},
		{"the broker's provision failed", state(osb.StateFailed, ""), []osb.Operation{osb.OperationLastOperation, osb.OperationProvision}, conditions.ProvisionedSuccessfully},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, interruptedProvision)
			f.onPoll(tc.lastOp)
			f.onProvision(provisioned200())
			f.MustSync()
			f.WantCalls(tc.calls...)
			i := f.wantReady(readyStatusOf(tc.reason), tc.reason)
			if tc.reason == conditions.ProvisionedSuccessfully && knownPlan(i) != "plan-small-id" {
				t.Errorf("the broker's plan is recorded as %q", knownPlan(i))
			}
		})
	}
}

// A check of an interrupted provision that the broker answers with no valid answer (a
// 410, which a poll of a create must not get, a 5xx, a timeout) settles nothing: it is
// asked again after a backoff, and the provision is sent again only after
// unclearChecksBeforeResend such answers in a row.
func TestAnUnclearAnswerAboutAnInterruptedProvisionIsAskedAgain(t *testing.T) {
	f := newFixture(t, interruptedProvision)
	unclear := []any{status(410, ""), status(503, ""), &osb.TransportError{Operation: osb.OperationLastOperation, Timeout: true}, status(400, "")}
	f.onPoll(append(unclear[:unclearChecksBeforeResend-1:unclearChecksBeforeResend-1], state(osb.StateInProgress, ""))...)
	var calls []osb.Operation
	for check := 1; check < unclearChecksBeforeResend; check++ {
		result := f.MustSync()
		calls = append(calls, osb.OperationLastOperation)
		f.WantCalls(calls...)
		i := f.wantReady(metav1.ConditionFalse, conditions.ProvisionRequestInFlight)
		if result.RequeueAfter <= 0 || !strings.Contains(readyMessage(i), "asked whether it holds the instance") {
			t.Fatalf("check %d: requeue %v, message %q", check, result.RequeueAfter, readyMessage(i))
		}
		f.Clock.Step(result.RequeueAfter)
	}
	f.MustSync()
	f.WantCalls(append(calls, osb.OperationLastOperation)...)
	f.wantReady(metav1.ConditionFalse, conditions.Provisioning)

	// After as many unclear answers, the provision is sent again.
	f = newFixture(t, interruptedProvision)
	f.onPoll(unclear...)
	f.onProvision(provisioned200())
	calls = nil
	for range unclearChecksBeforeResend {
		result := f.MustSync()
		calls = append(calls, osb.OperationLastOperation)
		f.Clock.Step(result.RequeueAfter)
	}
	f.WantCalls(append(calls, osb.OperationProvision)...)
	f.wantReady(metav1.ConditionTrue, conditions.ProvisionedSuccessfully)
}

// interruptedProvision is what a controller that stopped after it sent a provision left:
// the request, recorded as sent.
func interruptedProvision(o *fixtureObjects) {
	start := metav1.NewTime(looptest.Start.Add(-time.Minute))
	o.instance.Status.CurrentOperation = v1beta1.ServiceInstanceOperationProvision
	o.instance.Status.OperationStartTime = &start
	o.instance.Status.InProgressProperties = o.props(o.small, alice())
	o.instance.Status.DeprovisionStatus = v1beta1.ServiceInstanceDeprovisionStatusRequired
	o.instance.Status.Conditions = []metav1.Condition{{Type: v1beta1.ConditionReady, Status: metav1.ConditionFalse,
		Reason: conditions.ProvisionRequestInFlight, ObservedGeneration: 1, LastTransitionTime: start}}
}

// readyStatusOf is the Ready status that goes with a reason of these tests.
func readyStatusOf(reason string) metav1.ConditionStatus {
	if reason == conditions.ProvisionedSuccessfully || reason == conditions.UpdatedSuccessfully {
		return metav1.ConditionTrue
	}
	return metav1.ConditionFalse
}

// A broker's error description that echoes a secret parameter is redacted before it
// reaches the condition or an event.
func TestABrokerDescriptionEchoingASecretIsRedacted(t *testing.T) {
	f := newFixture(t)
	f.onProvision(&osb.HTTPStatusCodeError{StatusCode: 400, Description: "password " + testPassword + " is too weak"})
	f.MustSync()
	i := f.wantReady(metav1.ConditionFalse, conditions.ProvisionFailed)
	if m := readyMessage(i); strings.Contains(m, testPassword) || !strings.Contains(m, "password <redacted> is too weak") {
		t.Errorf("message %q", m)
	}
	for _, e := range f.WantEvents(conditions.ProvisionFailed) {
		if strings.Contains(e, testPassword) {
			t.Errorf("event %q shows the secret", e)
		}
	}
}

// A status the API server refuses after a broker call is shown in an event, and the
// instance is left alone for a minute before the status is written again.
func TestARefusedStatusWriteIsShownAndNotRetriedAtOnce(t *testing.T) {
	f := newFixture(t)
	f.onProvision(provisioned200(), provisioned200())
	// The record of the request goes through; the answer is refused once.
	writes, refusals := 0, 1
	f.Catalog.PrependReactor("update", "serviceinstances", func(a clienttesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "status" || refusals == 0 {
			return false, nil, nil
		}
		if writes++; writes == 1 {
			return false, nil, nil
		}
		refusals--
		return true, nil, apierrors.NewInvalid(v1beta1.SchemeGroupVersion.WithKind("ServiceInstance").GroupKind(), "db", nil)
	})
	if _, err := f.Sync(); err == nil {
		t.Fatal("no error")
	}
	f.WantEvents("StatusWriteFailed")
	f.WantRequeue(f.MustSync(), time.Minute)
	f.WantCalls(osb.OperationProvision)
	f.Clock.Step(time.Minute)
	f.MustSync()
	// The broker's answer, kept, is written; the broker is not asked again.
	f.WantCalls(osb.OperationProvision)
	f.wantReady(metav1.ConditionTrue, conditions.ProvisionedSuccessfully)
}

// A provision whose answer could not be written to status (the API server was down) is
// not sent again: the next sync writes the answer the broker gave.
func TestAnAnswerWhoseStatusWriteFailedIsWrittenWithoutAskingAgain(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer *osb.ProvisionResponse
		ready  metav1.ConditionStatus
		reason string
	}{
		{"synchronous", provisioned200(), metav1.ConditionTrue, conditions.ProvisionedSuccessfully},
		{"asynchronous", provisioning202("op-1"), metav1.ConditionFalse, conditions.Provisioning},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.onProvision(tc.answer)
			// The record of the request is written; then the API server goes down.
			writes, down := 0, true
			f.Catalog.PrependReactor("update", "serviceinstances", func(clienttesting.Action) (bool, runtime.Object, error) {
				if writes++; writes > 1 && down {
					return true, nil, apierrors.NewServiceUnavailable("the API server is down")
				}
				return false, nil, nil
			})
			if _, err := f.Sync(); err == nil {
				t.Fatal("sync with the API server down succeeded")
			}
			down = false
			f.MustSync()
			f.WantCalls(osb.OperationProvision)
			i := f.wantReady(tc.ready, tc.reason)
			sent := i.Status.InProgressProperties
			if !tc.answer.Async {
				sent = i.Status.ExternalProperties
			}
			if sent == nil || sent.ClusterServicePlanExternalID != "plan-small-id" {
				t.Errorf("the properties sent are not recorded: %+v", sent)
			}
		})
	}
}

// An offering that needs a platform feature the catalog does not serve is refused by the
// API; an instance created before the API knew the offering fails without a provision.
func TestAnInstanceOfAnOfferingThatNeedsAnUnservedFeatureFails(t *testing.T) {
	f := newFixture(t, func(o *fixtureObjects) { o.class.Spec.Requires = []string{"volume_mount", "something_new"} })
	if _, err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.WantCalls()
	i := f.wantReady(metav1.ConditionFalse, conditions.UnsupportedPlatformFeature)
	if msg := readyMessage(i); !strings.Contains(msg, "volume_mount") || strings.Contains(msg, "something_new") {
		t.Errorf("Ready message %q: want volume_mount named, and the unknown value ignored", msg)
	}
	f.wantFailed(conditions.UnsupportedPlatformFeature)
}

// An instance in a namespace its broker's namespaceSelector does not match (admitted
// before the API knew its class) fails with nothing sent.
func TestAClassNotOfferedInTheNamespaceFails(t *testing.T) {
	f := newFixture(t, func(o *fixtureObjects) {
		o.broker.Spec.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"env": "prod"}}
	})
	f.onProvision(provisioned200())
	f.MustSync()
	f.WantCalls()
	i := f.wantReady(metav1.ConditionFalse, conditions.ClassNotOfferedHere)
	if m := readyMessage(i); !strings.Contains(m, "namespaces whose labels match env=prod; namespace ns does not") {
		t.Errorf("message %q", m)
	}
	f.wantFailed(conditions.ClassNotOfferedHere)
}
