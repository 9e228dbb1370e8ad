// Package catalog holds the rules of a broker's catalog that the API server and the
// controllers both apply: which of a plan's settings win over its class's, which platform
// features an offering may require, the three ways a ServiceInstance names its class and
// plan, and the two scopes of brokers, classes and plans (cluster and namespace), with one
// view of each kind that serves both.
//
// The naming rules take plain values, not API objects, so that admission and validation
// (on the internal types) and the controllers (on the v1beta1 types) run the same code;
// the views are of the v1beta1 types, which the controllers and the admission informers
// read. The package imports no registry or controller package.
package catalog

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/utils/ptr"
)

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

// unservedFeatures are the values of an offering's requires that name a platform feature
// the service catalog does not serve, with what the feature asks of a platform. Other
// values are ignored, so that a later version of the specification does not make the
// catalog refuse offerings it can serve.
var unservedFeatures = map[string]string{
	"route_forwarding": "proxying the application's requests through the broker's route service",
	"syslog_drain":     "streaming the application's logs to the broker",
	"volume_mount":     "mounting the broker's volumes into the application",
}

// UnservedFeatures says which of an offering's required platform features (its requires)
// the service catalog does not serve, as "class X requires ..., which the service catalog
// does not serve", or "" when it serves them all.
func UnservedFeatures(classExternalName string, requires []string) string {
	var needs []string
	for _, r := range requires {
		if what, ok := unservedFeatures[r]; ok && !slices.Contains(needs, r+" ("+what+")") {
			needs = append(needs, r+" ("+what+")")
		}
	}
	if len(needs) == 0 {
		return ""
	}
	return fmt.Sprintf("class %q requires %s, which the service catalog does not serve", classExternalName, strings.Join(needs, ", "))
}
