// Package pendingchange holds the PendingChangeOwner admission plugin: it holds back, with
// 429 Too Many Requests and a Retry-After, a change of an instance's spec by one user while
// another user's change has not been sent to the broker yet.
//
// The broker learns who asked for a change from the originating identity of the request
// that carries it, and the controller sends one request for the whole spec: two users'
// changes folded into one request would be sent under the last user's name only. Each
// request carries exactly one user's changes this way: the second user's request is
// accepted once the controller has picked the first change up (status.observedGeneration
// reached the generation of that change), usually within seconds. 429 with Retry-After,
// as the Eviction API answers while a disruption budget does not allow it yet, makes
// clients such as kubectl try again by themselves; a 409 Conflict would make
// `kubectl apply --force` delete the instance and create it anew.
//
// A change that the controller cannot send (its class, plan or parameters cannot be
// used), or that the broker refused for good, is not pending: anyone may fix or replace it.
package pendingchange

import (
	"context"
	"fmt"
	"io"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authentication/user"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
)

// PluginName is the name of the plugin in --enable-admission-plugins.
const PluginName = "PendingChangeOwner"

// Register registers the plugin.
func Register(plugins *admission.Plugins) {
	plugins.Register(PluginName, func(io.Reader) (admission.Interface, error) {
		return New(), nil
	})
}

// Plugin is the PendingChangeOwner admission plugin.
type Plugin struct {
	*admission.Handler
}

var _ admission.ValidationInterface = &Plugin{}

// New returns the plugin; it handles instance updates.
func New() *Plugin {
	return &Plugin{Handler: admission.NewHandler(admission.Update)}
}

// retryAfterSeconds is the Retry-After of a held-back change: the controller usually picks
// a change up within a second.
const retryAfterSeconds = 1

// unsendable are the Ready reasons of a spec the controller cannot send to the broker.
var unsendable = []string{
	conditions.ReferencesNonexistentServiceClass, conditions.ReferencesNonexistentServicePlan,
	conditions.ReferencesNonexistentBroker, conditions.BrokerBeingDeleted, conditions.ReferencesRemovedServiceClass,
	conditions.ReferencesRemovedServicePlan, conditions.ErrorWithParameters, conditions.PlanChangeNotAllowed, conditions.MaintenanceNotOffered,
}

// Validate refuses a spec change by a user other than the one whose change is pending.
func (p *Plugin) Validate(_ context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if a.GetResource().GroupResource() != sc.Resource("serviceinstances") || a.GetSubresource() != "" {
		return nil
	}
	instance, ok := a.GetObject().(*sc.ServiceInstance)
	old, okOld := a.GetOldObject().(*sc.ServiceInstance)
	if !ok || !okOld {
		return apierrors.NewBadRequest(fmt.Sprintf("%s: unexpected objects %T, %T", PluginName, a.GetObject(), a.GetOldObject()))
	}
	if instance.Generation == old.Generation || instance.DeletionTimestamp != nil || !pending(old) {
		return nil
	}
	owner, requester := old.Spec.UserInfo, a.GetUserInfo()
	if owner == nil || requester == nil || sameUser(owner, requester) {
		return nil
	}
	return apierrors.NewTooManyRequests(fmt.Sprintf(
		"the change of user %q to instance %q (generation %d) has not been sent to the broker yet, and each request to the broker carries one user's changes: "+
			"try again once status.observedGeneration is %d", owner.Username, instance.Name, old.Generation, old.Generation), retryAfterSeconds)
}

// pending tells whether the instance's current spec waits to be sent to the broker.
func pending(i *sc.ServiceInstance) bool {
	if i.Status.ObservedGeneration >= i.Generation {
		return false
	}
	ready := apimeta.FindStatusCondition(i.Status.Conditions, v1beta1.ConditionReady)
	failed := apimeta.FindStatusCondition(i.Status.Conditions, v1beta1.ConditionFailed)
	stuck := ready != nil && ready.Status == metav1.ConditionFalse && ready.ObservedGeneration == i.Generation && slices.Contains(unsendable, ready.Reason)
	refused := failed != nil && failed.Status == metav1.ConditionTrue && failed.ObservedGeneration == i.Generation
	return !stuck && !refused
}

// sameUser tells whether the stored user info names the requesting user.
func sameUser(stored *sc.UserInfo, u user.Info) bool {
	return stored.Username == u.GetName() && stored.UID == u.GetUID()
}
