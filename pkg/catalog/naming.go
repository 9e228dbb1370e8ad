package catalog

// PlanReference is how a ServiceInstance names its class and plan. It has the fields of
// the internal and the v1beta1 PlanReference, in their order, so that either converts to
// it: catalog.PlanReference(instance.Spec.PlanReference). A field added to one of them
// and not here breaks that conversion at compile time.
type PlanReference struct {
	// ClusterServiceClassExternalName is the class's name in the broker's catalog.
	ClusterServiceClassExternalName string
	// ClusterServicePlanExternalName is the plan's name in the broker's catalog.
	ClusterServicePlanExternalName string
	// ClusterServiceClassExternalID is the class's id in the broker's catalog.
	ClusterServiceClassExternalID string
	// ClusterServicePlanExternalID is the plan's id in the broker's catalog.
	ClusterServicePlanExternalID string
	// ClusterServiceClassName is the Kubernetes name of the ClusterServiceClass.
	ClusterServiceClassName string
	// ClusterServicePlanName is the Kubernetes name of the ClusterServicePlan.
	ClusterServicePlanName string
	// ServiceClassExternalName is the namespaced class's name in the broker's catalog.
	ServiceClassExternalName string
	// ServicePlanExternalName is the namespaced plan's name in the broker's catalog.
	ServicePlanExternalName string
	// ServiceClassExternalID is the namespaced class's id in the broker's catalog.
	ServiceClassExternalID string
	// ServicePlanExternalID is the namespaced plan's id in the broker's catalog.
	ServicePlanExternalID string
	// ServiceClassName is the Kubernetes name of the ServiceClass.
	ServiceClassName string
	// ServicePlanName is the Kubernetes name of the ServicePlan.
	ServicePlanName string
}

// Names are the three identifiers of a class or a plan, one per Naming.
type Names struct {
	// Name is the Kubernetes name of the object.
	Name string
	// ExternalName is its name in the broker's catalog.
	ExternalName string
	// ExternalID is its id in the broker's catalog.
	ExternalID string
}

// Naming is one of the three ways an instance names its class and, the same way, its
// plan. Validation lets an instance use exactly one.
type Naming int

const (
	// ByExternalName names them by their names in the broker's catalog:
	// clusterServiceClassExternalName and clusterServicePlanExternalName.
	ByExternalName Naming = iota
	// ByExternalID names them by their ids in the broker's catalog:
	// clusterServiceClassExternalID and clusterServicePlanExternalID.
	ByExternalID
	// ByName names them by their Kubernetes names: clusterServiceClassName and
	// clusterServicePlanName.
	ByName
)

// namings describes each Naming: the spec fields of an instance that use it, and the
// selectable field of classes and plans it compares with.
var namings = [...]struct {
	what, classField, planField, selectableField string
}{
	ByExternalName: {"external name", "clusterServiceClassExternalName", "clusterServicePlanExternalName", "spec.externalName"},
	ByExternalID:   {"external ID", "clusterServiceClassExternalID", "clusterServicePlanExternalID", "spec.externalID"},
	ByName:         {"name", "clusterServiceClassName", "clusterServicePlanName", "metadata.name"},
}

// Namings returns the three namings, in the order the API documents them.
func Namings() [3]Naming {
	return [...]Naming{ByExternalName, ByExternalID, ByName}
}

// NamingOf returns the naming ref names its class by, in ref's scope. Should ref name the class several
// ways, which validation refuses, the Kubernetes name wins, then the external ID; when
// it names the class no way, the answer is ByExternalName.
func NamingOf(ref PlanReference) Naming {
	ref = ref.local()
	switch {
	case ref.ClusterServiceClassName != "":
		return ByName
	case ref.ClusterServiceClassExternalID != "":
		return ByExternalID
	}
	return ByExternalName
}

// String says what the naming names by: "external name", "external ID" or "name".
func (n Naming) String() string {
	return namings[n].what
}

// ClassField is the spec field of an instance naming its class this way.
func (n Naming) ClassField() string {
	return namings[n].classField
}

// PlanField is the spec field of an instance naming its plan this way.
func (n Naming) PlanField() string {
	return namings[n].planField
}

// SelectableField is the field of classes and plans that an instance naming them this way
// gives: metadata.name, spec.externalName or spec.externalID. Both kinds can be listed
// by it with a field selector.
func (n Naming) SelectableField() string {
	return namings[n].selectableField
}

// Class returns the identifier ref gives its class in this naming, in ref's scope; "" if
// none.
func (n Naming) Class(ref PlanReference) string {
	ref = ref.local()
	switch n {
	case ByExternalID:
		return ref.ClusterServiceClassExternalID
	case ByName:
		return ref.ClusterServiceClassName
	}
	return ref.ClusterServiceClassExternalName
}

// Plan returns the identifier ref gives its plan in this naming, in ref's scope; "" if
// none.
func (n Naming) Plan(ref PlanReference) string {
	ref = ref.local()
	switch n {
	case ByExternalID:
		return ref.ClusterServicePlanExternalID
	case ByName:
		return ref.ClusterServicePlanName
	}
	return ref.ClusterServicePlanExternalName
}

// ClassFieldIn is the spec field of an instance naming its class this way in scope s:
// clusterServiceClassExternalName or serviceClassExternalName, and so on.
func (n Naming) ClassFieldIn(s Scope) string {
	return s.field(n.ClassField())
}

// PlanFieldIn is the spec field of an instance naming its plan this way in scope s.
func (n Naming) PlanFieldIn(s Scope) string {
	return s.field(n.PlanField())
}

// Of returns the identifier of a class or plan in this naming.
func (n Naming) Of(names Names) string {
	switch n {
	case ByExternalID:
		return names.ExternalID
	case ByName:
		return names.Name
	}
	return names.ExternalName
}

// NamesPlan tells whether ref names, in this naming, the plan with the given names. A
// reference that gives the plan no identifier in this naming names no plan.
func (n Naming) NamesPlan(ref PlanReference, plan Names) bool {
	id := n.Plan(ref)
	return id != "" && id == n.Of(plan)
}
