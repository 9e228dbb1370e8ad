// Package catalog holds the rules of a broker's catalog that the API server and the
// controllers both apply: which of a plan's settings win over its class's, and the three
// ways a ServiceInstance names its class and plan.
//
// The rules take plain values, not API objects, so that admission and validation (on the
// internal types) and the controllers (on the v1beta1 types) run the same code. The
// package imports no API, registry or controller package.
package catalog

import "k8s.io/utils/ptr"

// PlanUpdatable tells whether an instance on a plan may move to another plan: the plan's
// plan_updateable when the broker set it, else its class's (offering's).
func PlanUpdatable(plan *bool, class bool) bool {
	return ptr.Deref(plan, class)
}

// Bindable tells whether instances of a plan can be bound: the plan's bindable when the
// broker set it, else its class's (offering's).
func Bindable(plan *bool, class bool) bool {
	return ptr.Deref(plan, class)
}
