package catalog

import "strings"

// Scope is where a broker and the classes and plans it publishes live: the whole cluster
// (ClusterServiceBroker, ClusterServiceClass, ClusterServicePlan) or one namespace
// (ServiceBroker, ServiceClass, ServicePlan).
type Scope int

const (
	// ClusterScope is the scope of ClusterServiceBrokers and what they publish.
	ClusterScope Scope = iota
	// NamespaceScope is the scope of ServiceBrokers and what they publish, visible only in
	// their namespace.
	NamespaceScope
)

// kinds are the broker, class and plan kinds of each scope.
var kinds = [...][3]string{
	ClusterScope:   {"ClusterServiceBroker", "ClusterServiceClass", "ClusterServicePlan"},
	NamespaceScope: {"ServiceBroker", "ServiceClass", "ServicePlan"},
}

// String says "cluster" or "namespace".
func (s Scope) String() string {
	if s == NamespaceScope {
		return "namespace"
	}
	return "cluster"
}

// BrokerKind is the kind of the scope's brokers.
func (s Scope) BrokerKind() string { return kinds[s][0] }

// ClassKind is the kind of the scope's classes.
func (s Scope) ClassKind() string { return kinds[s][1] }

// PlanKind is the kind of the scope's plans.
func (s Scope) PlanKind() string { return kinds[s][2] }

// field turns the name of a cluster field of a PlanReference into the name of the field
// in this scope: clusterServiceClassName becomes serviceClassName.
func (s Scope) field(clusterField string) string {
	if s == ClusterScope {
		return clusterField
	}
	rest := strings.TrimPrefix(clusterField, "cluster")
	return strings.ToLower(rest[:1]) + rest[1:]
}

// ScopeOf returns the scope of the class and plan ref names: NamespaceScope when it
// gives any of the serviceClass… and servicePlan… fields, else ClusterScope.
func ScopeOf(ref PlanReference) Scope {
	if ref.namespaced() != (PlanReference{}) {
		return NamespaceScope
	}
	return ClusterScope
}

// MixesScopes tells whether ref names its class or plan in both scopes, which
// validation refuses.
func MixesScopes(ref PlanReference) bool {
	return ScopeOf(ref) == NamespaceScope && ref.cluster() != (PlanReference{})
}

// local returns the fields of ref's scope in the places of the cluster fields, so that
// the namings read either scope alike.
func (ref PlanReference) local() PlanReference {
	if ScopeOf(ref) == ClusterScope {
		return ref
	}
	n := ref.namespaced()
	return PlanReference{
		ClusterServiceClassExternalName: n.ServiceClassExternalName, ClusterServicePlanExternalName: n.ServicePlanExternalName,
		ClusterServiceClassExternalID: n.ServiceClassExternalID, ClusterServicePlanExternalID: n.ServicePlanExternalID,
		ClusterServiceClassName: n.ServiceClassName, ClusterServicePlanName: n.ServicePlanName,
	}
}

// cluster returns only the cluster fields of ref.
func (ref PlanReference) cluster() PlanReference {
	return PlanReference{
		ClusterServiceClassExternalName: ref.ClusterServiceClassExternalName, ClusterServicePlanExternalName: ref.ClusterServicePlanExternalName,
		ClusterServiceClassExternalID: ref.ClusterServiceClassExternalID, ClusterServicePlanExternalID: ref.ClusterServicePlanExternalID,
		ClusterServiceClassName: ref.ClusterServiceClassName, ClusterServicePlanName: ref.ClusterServicePlanName,
	}
}

// namespaced returns only the namespaced fields of ref.
func (ref PlanReference) namespaced() PlanReference {
	return PlanReference{
		ServiceClassExternalName: ref.ServiceClassExternalName, ServicePlanExternalName: ref.ServicePlanExternalName,
		ServiceClassExternalID: ref.ServiceClassExternalID, ServicePlanExternalID: ref.ServicePlanExternalID,
		ServiceClassName: ref.ServiceClassName, ServicePlanName: ref.ServicePlanName,
	}
}
