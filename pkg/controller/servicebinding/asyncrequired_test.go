package servicebinding

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/internal/looptest"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

var asyncRequired = &osb.HTTPStatusCodeError{StatusCode: 422, ErrorCode: osb.ErrorCodeAsyncRequired, Description: "this plan binds asynchronously"}

// A broker that answers 422 AsyncRequired gets the bind again with accepts_incomplete, as
// the OSB specification says, even for an offering that is not bindings_retrievable; the
// credentials of the asynchronous bind are then fetched.
func TestABindTheBrokerWantsAsynchronousIsSentAgain(t *testing.T) {
	f := newFixture(t, func(o *fixtureObjects) { o.class.Spec.BindingsRetrievable = false })
	answers := looptest.Answers[osb.BindResponse](t, osb.OperationBind, asyncRequired, &osb.BindResponse{Async: true})
	f.OSB.SetBindReaction(func(context.Context, *osb.BindRequest) (*osb.BindResponse, error) { return answers() })
	f.OSB.SetPollBindingLastOperationReaction(func(context.Context, *osb.BindingLastOperationRequest) (*osb.LastOperationResponse, error) {
		return &osb.LastOperationResponse{State: osb.StateSucceeded}, nil
	})
	f.OSB.SetGetBindingReaction(func(context.Context, *osb.GetBindingRequest) (*osb.GetBindingResponse, error) {
		return &osb.GetBindingResponse{Credentials: map[string]any{"password": testPassword}}, nil
	})
	f.MustSync()
	f.wantReady(metav1.ConditionFalse, conditions.Binding)
	type sent struct{ First, Second bool }
	looptest.Expect(t, "accepts_incomplete of the two binds", sent{false, true}, sent{
		looptest.Request[osb.BindRequest](f.Env, osb.OperationBind, 0).AcceptsIncomplete,
		looptest.Request[osb.BindRequest](f.Env, osb.OperationBind, 1).AcceptsIncomplete,
	})
	f.Clock.Step(time.Second)
	f.MustSync()
	f.WantCalls(osb.OperationBind, osb.OperationBind, osb.OperationBindingLastOperation, osb.OperationGetBinding)
	f.wantReady(metav1.ConditionTrue, conditions.InjectedBindResult)
}

// The same holds for an unbind, which was retried without the flag for ever.
func TestAnUnbindTheBrokerWantsAsynchronousIsSentAgain(t *testing.T) {
	f := newFixture(t, func(o *fixtureObjects) {
		o.class.Spec.BindingsRetrievable = false
		bound(o)
		o.binding.DeletionTimestamp = &metav1.Time{Time: looptest.Start}
	})
	answers := looptest.Answers[osb.UnbindResponse](t, osb.OperationUnbind, asyncRequired, &osb.UnbindResponse{})
	f.OSB.SetUnbindReaction(func(context.Context, *osb.UnbindRequest) (*osb.UnbindResponse, error) { return answers() })
	f.MustSync()
	f.WantCalls(osb.OperationUnbind, osb.OperationUnbind)
	looptest.Expect(t, "accepts_incomplete of the second unbind", true, looptest.Request[osb.UnbindRequest](f.Env, osb.OperationUnbind, 1).AcceptsIncomplete)
	if b := f.binding(); len(b.Finalizers) != 0 {
		t.Errorf("finalizers %v, want none", b.Finalizers)
	}
}

// bound seeds a binding the broker holds, whose Secret was written.
func bound(o *fixtureObjects) {
	o.binding.Status.UnbindStatus = v1beta1.ServiceBindingUnbindStatusRequired
	o.binding.Status.ExternalProperties = &v1beta1.PropertiesState{}
	o.binding.Status.Binding = &v1beta1.LocalObjectReference{Name: o.binding.Name}
}

// A broker that answers 202 to a bind sent without accepts_incomplete breaks the protocol,
// and the credentials of such a binding could never be fetched: what the broker may have
// made is deleted (with an unbind that is not asynchronous either), then the binding fails
// for good, saying why.
func TestABindAnsweredAsynchronouslyUnaskedIsDeletedThenFails(t *testing.T) {
	f := newFixture(t, func(o *fixtureObjects) { o.class.Spec.BindingsRetrievable = false })
	f.OSB.SetBindReaction(func(context.Context, *osb.BindRequest) (*osb.BindResponse, error) {
		return &osb.BindResponse{Async: true, RequestIdentity: "req-bind"}, nil
	})
	f.OSB.SetUnbindReaction(func(context.Context, *osb.UnbindRequest) (*osb.UnbindResponse, error) {
		return &osb.UnbindResponse{}, nil
	})
	f.MustSync()
	b := f.wantReady(metav1.ConditionFalse, conditions.OrphanMitigationInProgress)
	type mitigating struct {
		Mitigating, Async bool
		Reason            string
	}
	looptest.Require(t, "status after the 202", mitigating{true, false, conditions.BindFailed}, mitigating{
		b.Status.OrphanMitigationInProgress, b.Status.AsyncOpInProgress,
		looptest.StateOf(b.Status.Conditions, v1beta1.ConditionOrphanMitigation).Reason,
	})
	f.MustSync()
	f.WantCalls(osb.OperationBind, osb.OperationUnbind)
	type sent struct{ Bind, Unbind bool }
	looptest.Expect(t, "accepts_incomplete of the bind and of the unbind", sent{false, false}, sent{
		looptest.Request[osb.BindRequest](f.Env, osb.OperationBind, 0).AcceptsIncomplete,
		looptest.Request[osb.UnbindRequest](f.Env, osb.OperationUnbind, 0).AcceptsIncomplete,
	})
	b = f.wantReady(metav1.ConditionFalse, conditions.BindFailed)
	looptest.Expect(t, "Failed condition", looptest.ConditionState{Status: metav1.ConditionTrue, Reason: conditions.BindFailed},
		looptest.StateOf(b.Status.Conditions, v1beta1.ConditionFailed))
	if m := looptest.ReadyMessage(b.Status.Conditions); !strings.Contains(m, "answered the bind asynchronously") {
		t.Errorf("message %q does not say why", m)
	}
	if f.secret() != nil {
		t.Errorf("a Secret was written")
	}
	// Stopped until the spec changes.
	f.Clock.Step(time.Hour)
	f.MustSync()
	f.WantCalls(osb.OperationBind, osb.OperationUnbind)
}

// An unbind sent without accepts_incomplete that the broker answers with 202 anyway is
// polled until the broker says it is done, then the binding is released.
func TestAnUnbindAnsweredAsynchronouslyUnaskedIsPolled(t *testing.T) {
	f := newFixture(t, func(o *fixtureObjects) {
		o.class.Spec.BindingsRetrievable = false
		bound(o)
		o.binding.DeletionTimestamp = &metav1.Time{Time: looptest.Start}
	})
	f.OSB.SetUnbindReaction(func(context.Context, *osb.UnbindRequest) (*osb.UnbindResponse, error) {
		return &osb.UnbindResponse{Async: true}, nil
	})
	polls := looptest.Answers[osb.LastOperationResponse](t, osb.OperationBindingLastOperation,
		&osb.LastOperationResponse{State: osb.StateInProgress}, &osb.LastOperationResponse{State: osb.StateSucceeded})
	f.OSB.SetPollBindingLastOperationReaction(func(context.Context, *osb.BindingLastOperationRequest) (*osb.LastOperationResponse, error) {
		return polls()
	})
	f.WantRequeue(f.MustSync(), time.Second)
	looptest.Expect(t, "accepts_incomplete of the unbind", false, looptest.Request[osb.UnbindRequest](f.Env, osb.OperationUnbind, 0).AcceptsIncomplete)
	f.wantReady(metav1.ConditionFalse, conditions.Unbinding)
	f.Clock.Step(time.Second)
	f.WantRequeue(f.MustSync(), time.Second)
	f.Clock.Step(time.Second)
	f.MustSync()
	f.WantCalls(osb.OperationUnbind, osb.OperationBindingLastOperation, osb.OperationBindingLastOperation)
	if b := f.binding(); len(b.Finalizers) != 0 {
		t.Errorf("finalizers %v, want none", b.Finalizers)
	}
}
