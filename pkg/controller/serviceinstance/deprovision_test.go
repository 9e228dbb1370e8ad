package serviceinstance

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/internal/looptest"
	"github.com/kube-service-catalog/catalog/pkg/controller/operation"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

func binding(name string) *v1beta1.ServiceBinding {
	return &v1beta1.ServiceBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: types.UID("binding-uid-" + name)},
		Spec:       v1beta1.ServiceBindingSpec{InstanceRef: v1beta1.ServiceInstanceReference{Name: "db"}, ExternalID: name + "-id"},
	}
}

func (f *fixture) wantReleased() {
	f.T.Helper()
	if i := f.instance(); len(i.Finalizers) != 0 {
		f.T.Fatalf("finalizers %v, want none", i.Finalizers)
	}
}

// polls counts the polls of operations and names the first operation polled.
type polls struct {
	Count int
	First string
}

func pollsOf(keys []string) polls {
	p := polls{Count: len(keys)}
	if len(keys) > 0 {
		p.First = keys[0]
	}
	return p
}

func TestDeletionWaitsForTheBindings(t *testing.T) {
	f := newFixture(t, provisioned, deleting, func(o *fixtureObjects) {
		o.catalog = append(o.catalog, binding("app-1"), binding("app-2"))
	})
	f.onDeprovision(deprovisioned200())
	if result := f.MustSync(); result.RequeueAfter != 0 {
		t.Errorf("result %+v; binding deletions wake the instance up", result)
	}
	f.WantCalls()
	i := f.wantReady(metav1.ConditionFalse, conditions.DeprovisionBlockedByExistingBindings)
	if m := readyMessage(i); !strings.Contains(m, "2 bindings") {
		t.Errorf("message %q", m)
	}
	f.WantEvents(conditions.DeprovisionBlockedByExistingBindings)
	f.wantWrites("status")

	f.MustSync()
	f.WantCalls()
	f.WantEvents()
	f.wantWrites()

	for _, name := range []string{"app-1", "app-2"} {
		if err := f.Informers.ServiceBindings().Informer().GetIndexer().Delete(binding(name)); err != nil {
			t.Fatal(err)
		}
	}
	f.MustSync()
	f.WantCalls(osb.OperationDeprovision)
	f.wantReleased()
}

func TestABindingOfAnotherInstanceDoesNotBlock(t *testing.T) {
	f := newFixture(t, provisioned, deleting, func(o *fixtureObjects) {
		other := binding("app")
		other.Spec.InstanceRef.Name = "other-db"
		o.catalog = append(o.catalog, other)
	})
	f.onDeprovision(deprovisioned200())
	f.MustSync()
	f.WantCalls(osb.OperationDeprovision)
	f.wantReleased()
}

func TestDeletionWithoutAnInstanceAtTheBroker(t *testing.T) {
	for name, tweak := range map[string]func(*fixtureObjects){
		"never provisionable": func(o *fixtureObjects) {
			o.instance.Spec.ClusterServiceClassExternalName = "no-such-class"
		},
		"refused by the broker": func(o *fixtureObjects) {
			o.instance.Status.DeprovisionStatus = v1beta1.ServiceInstanceDeprovisionStatusNotRequired
			o.instance.Status.Conditions = []metav1.Condition{{Type: v1beta1.ConditionFailed, Status: metav1.ConditionTrue, Reason: conditions.ProvisionFailed, ObservedGeneration: 1}}
		},
		"already deprovisioned": func(o *fixtureObjects) {
			provisioned(o)
			o.instance.Status.DeprovisionStatus = v1beta1.ServiceInstanceDeprovisionStatusSucceeded
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, tweak, deleting)
			f.MustSync()
			f.WantCalls()
			f.wantWrites("patch")
			f.wantReleased()
		})
	}
}

func TestDeprovision(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer any
	}{
		{"200", deprovisioned200()},
		{"410", status(410, "")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, provisioned, deleting)
			f.OSB.SetDeprovisionReaction(func(context.Context, *osb.DeprovisionRequest) (*osb.DeprovisionResponse, error) {
				// The request is in status before it is sent.
				type recorded struct {
					Current    v1beta1.ServiceInstanceOperation
					Finalizers int
				}
				i := f.instance()
				looptest.Expect(t, "instance when the deprovision was sent", recorded{v1beta1.ServiceInstanceOperationDeprovision, 1},
					recorded{i.Status.CurrentOperation, len(i.Finalizers)})
				if err, ok := tc.answer.(error); ok {
					return nil, err
				}
				return tc.answer.(*osb.DeprovisionResponse), nil
			})
			if result := f.MustSync(); result.RequeueAfter != 0 {
				t.Errorf("result %+v", result)
			}
			f.WantCalls(osb.OperationDeprovision)
			r := looptest.Request[osb.DeprovisionRequest](f.Env, osb.OperationDeprovision, 0)
			// The identity is the deleter's, which the API server stored in spec.userInfo.
			type sent struct {
				InstanceID, ServiceID, PlanID string
				AcceptsIncomplete             bool
				User, UID                     string
			}
			uid := ""
			if r.OriginatingIdentity != nil {
				uid = r.OriginatingIdentity.UID
			}
			looptest.Expect(t, "deprovision request", sent{"instance-id", "svc-id", "plan-small-id", true, "bob", "bob-uid"},
				sent{r.InstanceID, r.ServiceID, r.PlanID, r.AcceptsIncomplete, looptest.Username(r.OriginatingIdentity), uid})
			f.wantReleased()
			f.WantEvents("DeprovisionedSuccessfully")
			f.wantWrites("status", "patch")

			// The cache still shows the instance with its finalizer until the deletion
			// reaches it: that copy must not deprovision again.
			if _, err := f.c.sync(context.Background(), f.Key); err != nil {
				t.Fatal(err)
			}
			f.WantCalls(osb.OperationDeprovision)
		})
	}
}

func TestDeprovisionUsesTheIDsTheBrokerKnows(t *testing.T) {
	// An update to plan large is in flight: the broker knows the instance by plan small.
	f := newFixture(t, provisioned, func(o *fixtureObjects) {
		changeSpec(o, newPlan)
		o.instance.Status.CurrentOperation = v1beta1.ServiceInstanceOperationUpdate
		o.instance.Status.InProgressProperties = o.props(o.large, alice())
	}, deleting)
	f.onDeprovision(deprovisioned200())
	f.MustSync()
	looptest.Expect(t, "plan_id of the deprovision", "plan-small-id", looptest.Request[osb.DeprovisionRequest](f.Env, osb.OperationDeprovision, 0).PlanID)
	f.wantReleased()
}

func TestAnAsyncDeprovision(t *testing.T) {
	f := newFixture(t, provisioned, deleting)
	f.onDeprovision(deprovisioning202("delete-1"))
	f.onPoll(state(osb.StateInProgress, "draining"), status(410, ""))
	f.WantRequeue(f.MustSync(), time.Second)
	i := f.wantReady(metav1.ConditionFalse, conditions.Deprovisioning)
	type deprovisioning struct {
		Async        bool
		OperationKey string
		Finalizers   int
	}
	looptest.Require(t, "instance", deprovisioning{true, "delete-1", 1}, deprovisioning{i.Status.AsyncOpInProgress, i.Status.OperationKey, len(i.Finalizers)})
	f.WantEvents(conditions.Deprovisioning)

	f.Clock.Step(time.Second)
	f.WantRequeue(f.MustSync(), time.Second)
	f.wantReady(metav1.ConditionFalse, conditions.Deprovisioning)
	// A 410 while deprovisioning means done.
	f.Clock.Step(time.Second)
	f.MustSync()
	f.WantCalls(osb.OperationDeprovision, osb.OperationLastOperation, osb.OperationLastOperation)
	p := looptest.Request[osb.LastOperationRequest](f.Env, osb.OperationLastOperation, 0)
	type poll struct{ PlanID, ServiceID, User string }
	looptest.Expect(t, "poll request", poll{"plan-small-id", "svc-id", "bob"}, poll{p.PlanID, p.ServiceID, looptest.Username(p.OriginatingIdentity)})
	looptest.Expect(t, "polls, and the first operation polled", polls{2, "delete-1"}, pollsOf(f.pollKeys))
	f.wantReleased()
}

func TestAFailedAsyncDeprovisionIsRetried(t *testing.T) {
	f := newFixture(t, provisioned, deleting)
	f.onDeprovision(deprovisioning202("delete-1"), deprovisioned200())
	f.onPoll(state(osb.StateFailed, "busy"))
	f.MustSync()
	f.Clock.Step(time.Second)
	f.WantRequeue(f.MustSync(), backoffWait(f.Clock.Now()))
	i := f.wantReady(metav1.ConditionFalse, conditions.DeprovisionCallFailed)
	type retried struct {
		Async      bool
		Attempts   int32
		Finalizers int
	}
	looptest.Require(t, "instance", retried{false, 1, 1}, retried{i.Status.AsyncOpInProgress, i.Status.Attempts.Count, len(i.Finalizers)})
	if m := readyMessage(i); !strings.Contains(m, "busy") {
		t.Fatalf("message %q, want the broker's description", m)
	}
	f.MustSync()
	f.WantCalls(osb.OperationDeprovision, osb.OperationLastOperation)
	f.Clock.Step(backoffWait(f.Clock.Now()))
	f.MustSync()
	f.WantCalls(osb.OperationDeprovision, osb.OperationLastOperation, osb.OperationDeprovision)
	f.wantReleased()
}

// A failed deprovision is tried again after the backoff. After 422 ConcurrencyError the
// broker's operation in progress, which a stopped controller may have lost track of, is
// polled first: a broker whose operations advance as they are polled would otherwise
// never finish it.
func TestDeprovisionFailuresAreRetried(t *testing.T) {
	for _, tc := range []struct {
		name    string
		err     error
		reason  string
		forgets bool
		calls   []osb.Operation
	}{
		{"422 ConcurrencyError", status(422, osb.ErrorCodeConcurrencyError), conditions.BrokerBusy, false,
			[]osb.Operation{osb.OperationDeprovision, osb.OperationLastOperation}},
		{"500", status(500, ""), conditions.DeprovisionCallFailed, false, []osb.Operation{osb.OperationDeprovision}},
		{"timeout", &osb.TransportError{Timeout: true, MaybeReceived: true}, conditions.DeprovisionCallFailed, false, []osb.Operation{osb.OperationDeprovision}},
		{"400", status(400, ""), conditions.DeprovisionCallFailed, false, []osb.Operation{osb.OperationDeprovision}},
		{"401", status(401, ""), conditions.DeprovisionCallFailed, true, []osb.Operation{osb.OperationDeprovision}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, provisioned, deleting)
			f.onPoll(state(osb.StateInProgress, ""))
			f.onDeprovision(tc.err, deprovisioned200())
			f.WantRequeue(f.MustSync(), backoffWait(looptest.Start))
			i := f.wantReady(metav1.ConditionFalse, tc.reason)
			type retried struct {
				Finalizers int
				Attempts   int32
				Mitigating bool
			}
			looptest.Require(t, "instance", retried{1, 1, false}, retried{len(i.Finalizers), i.Status.Attempts.Count, i.Status.OrphanMitigationInProgress})
			f.WantEvents(tc.reason)
			// A refusal (a 4xx but 408 and ConcurrencyError) shows DeleteBlocked, with the
			// next attempt and the ways out.
			blocked := apimeta.FindStatusCondition(i.Status.Conditions, v1beta1.ConditionDeleteBlocked)
			code, _ := osb.StatusCode(tc.err)
			if refused := code == 400 || code == 401; (blocked != nil) != refused {
				t.Errorf("DeleteBlocked %+v after %v", blocked, tc.err)
			} else if refused && (!strings.Contains(blocked.Message, "The next attempt is at "+i.Status.Attempts.NextAttemptTime.UTC().Format(time.RFC3339)) ||
				!strings.Contains(blocked.Message, "/db/retry") || !strings.Contains(blocked.Message, "/db/abandon")) {
				t.Errorf("DeleteBlocked message %q", blocked.Message)
			}

			f.MustSync()
			f.WantCalls(tc.calls...)
			f.Clock.Step(backoffWait(looptest.Start))
			f.MustSync()
			f.WantCalls(append(tc.calls, osb.OperationDeprovision)...)
			f.wantReleased()
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

// One operation at a time per instance: a deletion polls the provision or update the
// broker is working on to its end, then deprovisions. A DELETE in the middle of it would
// get 422 ConcurrencyError from many brokers, and the instance would stay Terminating.
func TestDeletionDuringAnAsyncOperationFinishesItFirst(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tweaks []func(*fixtureObjects)
		start  func(f *fixture)
		op     osb.Operation
	}{
		{"provision", nil, func(f *fixture) { f.onProvision(provisioning202("op-1")) }, osb.OperationProvision},
		{"update", []func(*fixtureObjects){provisioned, func(o *fixtureObjects) { changeSpec(o, newPlan) }},
			func(f *fixture) { f.onUpdate(updating202("op-1")) }, osb.OperationUpdate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.tweaks...)
			tc.start(f)
			f.onPoll(state(osb.StateInProgress, ""), state(osb.StateSucceeded, ""))
			f.onDeprovision(deprovisioned200())
			f.MustSync()
			f.delete()
			f.WantRequeue(f.MustSync(), time.Second) // not before the poll is due
			f.WantCalls(tc.op)
			f.Clock.Step(time.Second)
			f.MustSync()
			f.WantCalls(tc.op, osb.OperationLastOperation)
			f.Clock.Step(time.Second)
			f.MustSync()
			f.MustSync()
			f.WantCalls(tc.op, osb.OperationLastOperation, osb.OperationLastOperation, osb.OperationDeprovision)
			looptest.Expect(t, "plan_id of the deprovision", "plan-"+map[osb.Operation]string{osb.OperationProvision: "small", osb.OperationUpdate: "large"}[tc.op]+"-id",
				looptest.Request[osb.DeprovisionRequest](f.Env, osb.OperationDeprovision, 0).PlanID)
			f.wantReleased()
		})
	}
}

func TestDeletionWithTheBrokerGoneWaits(t *testing.T) {
	f := newFixture(t, provisioned, deleting)
	if err := f.Informers.ClusterServiceBrokers().Informer().GetIndexer().Delete(&v1beta1.ClusterServiceBroker{ObjectMeta: metav1.ObjectMeta{Name: "the-broker"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Sync(); err == nil {
		t.Fatal("a deletion whose broker is gone must be retried")
	}
	f.WantCalls()
	i := f.wantReady(metav1.ConditionFalse, conditions.ReferencesNonexistentBroker)
	looptest.Expect(t, "finalizers", []string{v1beta1.FinalizerServiceCatalog}, i.Finalizers)
	if m := readyMessage(i); !strings.Contains(m, v1beta1.FinalizerServiceCatalog) {
		t.Errorf("message %q, want it to name the finalizer to remove", m)
	}
}

func TestADeletedInstanceWithoutTheFinalizerIsLeftAlone(t *testing.T) {
	f := newFixture(t, provisioned, deleting, func(o *fixtureObjects) { o.instance.Finalizers = []string{"someone.else/finalizer"} })
	f.MustSync()
	f.WantCalls()
	f.wantWrites()
}

func TestPollingPastTheMaximumDuration(t *testing.T) {
	t.Run("provision: orphan mitigation", func(t *testing.T) {
		f := newFixture(t, func(o *fixtureObjects) {
			o.small.Spec.MaximumPollingDuration = &metav1.Duration{Duration: 10 * time.Minute}
		})
		f.onProvision(provisioning202("op-1"))
		f.onPoll(state(osb.StateInProgress, ""))
		f.MustSync()
		f.Clock.Step(9 * time.Minute) // within the plan's limit
		f.MustSync()
		f.Clock.Step(2 * time.Minute) // past the plan's limit, within the controller's
		if result := f.MustSync(); !looptest.Requeued(result) {
			t.Fatalf("result %+v", result)
		}
		f.WantCalls(osb.OperationProvision, osb.OperationLastOperation)
		i := f.wantReady(metav1.ConditionFalse, conditions.OrphanMitigationInProgress)
		type mitigating struct {
			Mitigating, Async bool
			OperationKey      string
		}
		looptest.Require(t, "status", mitigating{true, false, ""}, mitigating{i.Status.OrphanMitigationInProgress, i.Status.AsyncOpInProgress, i.Status.OperationKey})
		looptest.Expect(t, "orphan mitigation reason", conditions.OperationTimedOut,
			looptest.StateOf(i.Status.Conditions, v1beta1.ConditionOrphanMitigation).Reason)
	})

	t.Run("update: failed", func(t *testing.T) {
		f := newFixture(t, provisioned, func(o *fixtureObjects) { changeSpec(o, newPlan) })
		f.onUpdate(updating202("update-1"))
		f.MustSync()
		f.Clock.Step(looptest.Polling.MaxDuration + time.Second)
		f.MustSync()
		f.WantCalls(osb.OperationUpdate)
		i := f.wantReady(metav1.ConditionFalse, conditions.OperationTimedOut)
		f.wantFailed(conditions.OperationTimedOut)
		type failed struct {
			Mitigating, Async bool
			KnownPlan         string
		}
		looptest.Expect(t, "status", failed{false, false, "plan-small-id"}, failed{i.Status.OrphanMitigationInProgress, i.Status.AsyncOpInProgress, knownPlan(i)})
	})

	t.Run("deprovision: retried", func(t *testing.T) {
		f := newFixture(t, provisioned, deleting)
		f.onDeprovision(deprovisioning202("delete-1"), deprovisioning202("delete-2"))
		f.onPoll(state(osb.StateInProgress, ""), state(osb.StateSucceeded, ""))
		f.MustSync()
		f.Clock.Step(looptest.Polling.MaxDuration + time.Second)
		f.WantRequeue(f.MustSync(), backoffWait(f.Clock.Now()))
		f.WantCalls(osb.OperationDeprovision)
		i := f.wantReady(metav1.ConditionFalse, conditions.OperationTimedOut)
		f.wantFailed("")
		type retried struct {
			Async      bool
			Attempts   int32
			Finalizers int
		}
		looptest.Require(t, "instance", retried{false, 1, 1}, retried{i.Status.AsyncOpInProgress, i.Status.Attempts.Count, len(i.Finalizers)})

		// The DELETE is sent again, and the broker's new operation is polled.
		f.Clock.Step(backoffWait(f.Clock.Now()))
		f.WantRequeue(f.MustSync(), time.Second)
		f.WantCalls(osb.OperationDeprovision, osb.OperationDeprovision)
		f.Clock.Step(time.Second)
		f.WantRequeue(f.MustSync(), time.Second)
		f.WantCalls(osb.OperationDeprovision, osb.OperationDeprovision, osb.OperationLastOperation)
		f.wantReady(metav1.ConditionFalse, conditions.Deprovisioning)
		f.Clock.Step(time.Second)
		f.MustSync()
		f.wantReleased()
		looptest.Expect(t, "polls, and the first operation polled", polls{2, "delete-2"}, pollsOf(f.pollKeys))
	})
}

func TestDeletingBeforeAnyProvisionWasRecordedAsksTheBroker(t *testing.T) {
	// The controller may have sent a first provision and stopped before writing it down:
	// the DELETE names the ids the spec resolves to.
	f := newFixture(t, deleting)
	f.onDeprovision(status(410, ""))
	f.MustSync()
	f.WantCalls(osb.OperationDeprovision)
	r := looptest.Request[osb.DeprovisionRequest](f.Env, osb.OperationDeprovision, 0)
	type sent struct{ InstanceID, ServiceID, PlanID string }
	looptest.Expect(t, "deprovision request", sent{"instance-id", "svc-id", "plan-small-id"}, sent{r.InstanceID, r.ServiceID, r.PlanID})
	f.wantReleased()
}

// A deprovision the broker keeps refusing stops after the retry window, Failed with what to
// do; the retry annotation asks for a new attempt.
func TestARefusedDeprovisionStopsAfterTheRetryWindow(t *testing.T) {
	f := newFixture(t, provisioned, deleting)
	cfg := f.OperationConfig()
	cfg.DeleteRetryWindow = 2 * time.Hour // 1+2+4+8+16+32+60 minutes of backoff: the 7th failure ends it
	f.c = New(cfg, controller.Options{})
	f.Loop = f.c.sync
	failures := make([]any, 7)
	for n := range failures {
		failures[n] = status(500, "")
	}
	f.onDeprovision(append(failures, deprovisioned200())...)
	for n := range 6 {
		result := f.MustSync()
		f.wantReady(metav1.ConditionFalse, conditions.DeprovisionCallFailed)
		if result.RequeueAfter <= 0 {
			t.Fatalf("attempt %d: not retried", n+1)
		}
		f.Clock.Step(result.RequeueAfter)
	}
	if result := f.MustSync(); looptest.Requeued(result) {
		t.Fatalf("the 7th failure is retried: %+v", result)
	}
	i := f.wantReady(metav1.ConditionFalse, conditions.DeleteFailed)
	f.wantFailed(conditions.DeleteFailed)
	looptest.Expect(t, "deprovision status", v1beta1.ServiceInstanceDeprovisionStatusFailed, i.Status.DeprovisionStatus)
	for _, want := range []string{"stopped trying after 7 attempts over 2h0m0s",
		"echo '{}' | kubectl create --raw /apis/servicecatalog.k8s.io/v1beta1/namespaces/ns/serviceinstances/db/retry -f -", "/db/abandon"} {
		if m := readyMessage(i); !strings.Contains(m, want) {
			t.Errorf("message %q does not say %q", m, want)
		}
	}
	if c := apimeta.FindStatusCondition(i.Status.Conditions, v1beta1.ConditionDeleteBlocked); c == nil || c.Status != metav1.ConditionTrue || c.Reason != conditions.DeleteFailed {
		t.Errorf("DeleteBlocked condition %+v", c)
	}

	// Nothing more is sent, however long it waits.
	f.Clock.Step(48 * time.Hour)
	f.MustSync()
	if n := len(f.OSB.ActionsOf(osb.OperationDeprovision)); n != 7 {
		t.Fatalf("%d deprovisions, want 7", n)
	}
	// An annotation from before the stop asks for nothing; one from after does.
	i.Annotations = map[string]string{operation.RetryAnnotation: strconv.FormatInt(looptest.Start.Unix(), 10)}
	f.Put(i)
	f.Refresh()
	f.MustSync()
	f.WantCalls(slices.Repeat([]osb.Operation{osb.OperationDeprovision}, 7)...)
	i = f.instance()
	// Conditions take their transition time from the wall clock, not the fixture's.
	i.Annotations = map[string]string{operation.RetryAnnotation: time.Now().Add(time.Minute).Format(time.RFC3339)}
	f.Put(i)
	f.Refresh()
	f.MustSync()
	f.WantCalls(slices.Repeat([]osb.Operation{osb.OperationDeprovision}, 8)...)
	f.wantReleased()
}

// An instance a user abandoned (the abandon subresource) is released without calling the
// broker again, whatever the broker was doing, and an event says who asked and what the
// broker may still hold.
func TestAnAbandonedInstanceIsReleasedWithoutTheBroker(t *testing.T) {
	for _, tc := range []struct {
		name  string
		tweak func(*fixtureObjects)
	}{
		{"a deprovision refused", func(*fixtureObjects) {}},
		{"an asynchronous deprovision in progress", func(o *fixtureObjects) {
			o.instance.Status.CurrentOperation = v1beta1.ServiceInstanceOperationDeprovision
			o.instance.Status.AsyncOpInProgress = true
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, provisioned, deleting, tc.tweak, func(o *fixtureObjects) {
				o.instance.Status.Abandoned = &v1beta1.Abandonment{User: "carol", Time: metav1.NewTime(looptest.Start), Reason: "the broker was retired"}
			})
			f.MustSync()
			f.WantCalls()
			f.wantReleased()
			events := f.WantEvents(conditions.Abandoned)
			for _, want := range []string{"carol", "the broker was retired", "the broker may still hold serviceinstance " + f.instance().Spec.ExternalID} {
				if !strings.Contains(events[0], want) {
					t.Errorf("event %q does not say %q", events[0], want)
				}
			}
		})
	}
}
