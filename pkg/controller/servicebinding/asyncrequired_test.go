package servicebinding

import (
	"context"
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
