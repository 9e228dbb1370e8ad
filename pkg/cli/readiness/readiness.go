// Package readiness reads the conditions of catalog objects the way kubectl catalog
// reports them: one word for a table or a tree, and whether a wait is over.
package readiness

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

// State is where an object stands.
type State int

const (
	// Pending is an object the controller has not reported on yet.
	Pending State = iota
	// Ready is an object in the state its spec asks for.
	Ready
	// NotReady is an object on its way, or held up: the Ready condition says why.
	NotReady
	// Failed is an object the controller stopped trying: the Failed condition says why.
	Failed
)

// Readiness is where an object stands and the condition that says so.
type Readiness struct {
	// State is where the object stands.
	State State
	// Condition is the condition that says so: Failed when the object failed, else
	// Ready; nil while Pending.
	Condition *metav1.Condition
}

// Of reads conditions. The Failed condition wins over Ready.
func Of(conditions []metav1.Condition) Readiness {
	if failed := meta.FindStatusCondition(conditions, v1beta1.ConditionFailed); failed != nil && failed.Status == metav1.ConditionTrue {
		return Readiness{State: Failed, Condition: failed}
	}
	ready := meta.FindStatusCondition(conditions, v1beta1.ConditionReady)
	switch {
	case ready == nil:
		return Readiness{State: Pending}
	case ready.Status == metav1.ConditionTrue:
		return Readiness{State: Ready, Condition: ready}
	}
	return Readiness{State: NotReady, Condition: ready}
}

// Message is the message of the condition that says where the object stands.
func (r Readiness) Message() string {
	if r.Condition == nil {
		return ""
	}
	return r.Condition.Message
}

// Word is one word for the object: "Ready", the reason of its Failed or Ready
// condition, or "Pending"; "Deleting" while it is being deleted, or "DeleteBlocked"
// when the broker refused the delete.
func Word(conditions []metav1.Condition, deleting bool) string {
	if deleting {
		if meta.IsStatusConditionTrue(conditions, v1beta1.ConditionDeleteBlocked) {
			return v1beta1.ConditionDeleteBlocked
		}
		return "Deleting"
	}
	r := Of(conditions)
	switch {
	case r.State == Ready:
		return "Ready"
	case r.Condition == nil:
		return "Pending"
	case r.Condition.Reason != "":
		return r.Condition.Reason
	}
	return "NotReady"
}
