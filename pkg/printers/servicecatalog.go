package printers

import (
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/catalog"
)

func column(name, description string) metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: name, Type: "string", Description: description}
}

func wideColumn(name, typ, description string) metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: name, Type: typ, Description: description, Priority: 1}
}

var statusColumn = column("Status", "Ready when the object is in the state its spec asks for; otherwise the reason of its Ready condition.")

// Status is the Status column of an object: "Ready" when its Ready condition is True,
// otherwise that condition's reason, and "Pending" before the controller has looked at it.
// While the object is being deleted it is "Deleting", unless its Ready condition is not
// True and says why (such as a failed deprovision): a deleted object is no longer ready.
func Status(conditions []metav1.Condition, deleting bool) string {
	ready := meta.FindStatusCondition(conditions, sc.ConditionReady)
	switch {
	case deleting && (ready == nil || ready.Status == metav1.ConditionTrue):
		return "Deleting"
	case ready == nil:
		return "Pending"
	case ready.Status == metav1.ConditionTrue:
		return "Ready"
	case ready.Reason != "":
		return ready.Reason
	default:
		return "NotReady"
	}
}

// NewBrokerTableConvertor prints brokers of either scope: URL, Status; wide: classes and
// plans published, last catalog fetch.
func NewBrokerTableConvertor() *TableConvertor {
	return NewTableConvertor([]metav1.TableColumnDefinition{
		column("URL", "The broker's base URL."),
		statusColumn,
		wideColumn("Classes", "integer", "Offerings published from the last catalog."),
		wideColumn("Plans", "integer", "Plans published from the last catalog."),
		wideColumn("Last-Fetch", "string", "When the catalog was last fetched."),
	}, func(obj runtime.Object) ([]interface{}, error) {
		spec, status, ok := brokerOf(obj)
		if !ok {
			return nil, unexpected(obj)
		}
		lastFetch := "<never>"
		if t := status.LastCatalogRetrievalTime; t != nil {
			lastFetch = t.UTC().Format("2006-01-02T15:04:05Z")
		}
		return []interface{}{
			spec.URL,
			Status(status.Conditions, deleting(obj)),
			int64(status.ServiceClassCount),
			int64(status.ServicePlanCount),
			lastFetch,
		}, nil
	})
}

// NewClassTableConvertor prints classes of either scope: External-Name, Broker; wide:
// bindable, plan-updatable, whether the broker still offers it, description.
func NewClassTableConvertor() *TableConvertor {
	return NewTableConvertor([]metav1.TableColumnDefinition{
		column("External-Name", "The offering's name in the broker's catalog."),
		column("Broker", "The broker offering it."),
		wideColumn("Bindable", "boolean", "Whether instances can be bound by default."),
		wideColumn("Plan-Updatable", "boolean", "Whether instances can change plan by default."),
		wideColumn("Removed", "boolean", "Whether the broker no longer offers it."),
		wideColumn("Description", "string", "The broker's description."),
	}, func(obj runtime.Object) ([]interface{}, error) {
		c, ok := classOf(obj)
		if !ok {
			return nil, unexpected(obj)
		}
		return []interface{}{
			c.spec.ExternalName,
			c.broker,
			c.spec.Bindable,
			c.spec.PlanUpdatable,
			c.status.RemovedFromBrokerCatalog,
			c.spec.Description,
		}, nil
	})
}

// NewPlanTableConvertor prints plans of either scope: External-Name, Broker, Class; wide:
// free, whether the broker still offers it, schemas, description.
func NewPlanTableConvertor() *TableConvertor {
	return NewTableConvertor([]metav1.TableColumnDefinition{
		column("External-Name", "The plan's name in the broker's catalog."),
		column("Broker", "The broker offering it."),
		column("Class", "The class it belongs to."),
		wideColumn("Free", "boolean", "Whether the plan costs nothing."),
		wideColumn("Removed", "boolean", "Whether the broker no longer offers it."),
		wideColumn("Schemas", "string", "Which parameter schemas the plan has: instance create and update, binding create."),
		wideColumn("Description", "string", "The broker's description."),
	}, func(obj runtime.Object) ([]interface{}, error) {
		p, ok := planOf(obj)
		if !ok {
			return nil, unexpected(obj)
		}
		return []interface{}{
			p.spec.ExternalName,
			p.broker,
			p.class,
			p.spec.Free,
			p.status.RemovedFromBrokerCatalog,
			schemas(p.spec),
			p.spec.Description,
		}, nil
	})
}

// schemas lists the parameter schemas of a plan: "create,update,bind", or "<none>".
func schemas(spec *sc.CommonServicePlanSpec) string {
	var names []string
	for _, s := range []struct {
		name   string
		schema *runtime.RawExtension
	}{
		{"create", spec.InstanceCreateParameterSchema},
		{"update", spec.InstanceUpdateParameterSchema},
		{"bind", spec.ServiceBindingCreateParameterSchema},
	} {
		if s.schema != nil && len(s.schema.Raw) > 0 {
			names = append(names, s.name)
		}
	}
	if len(names) == 0 {
		return "<none>"
	}
	return strings.Join(names, ",")
}

// NewServiceInstanceTableConvertor prints instances: Class, Plan, Status; wide: broker,
// external ID, dashboard URL.
func NewServiceInstanceTableConvertor() *TableConvertor {
	return NewTableConvertor([]metav1.TableColumnDefinition{
		column("Class", "The class as the spec names it: a ClusterServiceClass, or a ServiceClass of the instance's namespace."),
		column("Plan", "The plan as the spec names it, in the class's scope."),
		statusColumn,
		wideColumn("Broker", "string", "The broker offering the resolved class."),
		wideColumn("External-ID", "string", "The instance_id at the broker."),
		wideColumn("Dashboard", "string", "The broker's dashboard URL for the instance."),
		wideColumn("Maintenance", "string", "The maintenance version the broker has the instance at, and a newer one its plan offers."),
	}, func(obj runtime.Object) ([]interface{}, error) {
		i, ok := obj.(*sc.ServiceInstance)
		if !ok {
			return nil, unexpected(obj)
		}
		ref := catalog.PlanReference(i.Spec.PlanReference)
		n := catalog.NamingOf(ref)
		broker := i.Status.ClusterServiceBrokerName
		if broker == "" {
			broker = i.Status.ServiceBrokerName
		}
		return []interface{}{
			n.Class(ref),
			n.Plan(ref),
			Status(i.Status.Conditions, i.DeletionTimestamp != nil),
			broker,
			i.Spec.ExternalID,
			i.Status.DashboardURL,
			maintenance(&i.Status),
		}, nil
	})
}

// maintenance says which maintenance version an instance is at, and which newer one its
// plan offers: "1.0.0", "1.0.0 (2.0.0 available)", or "" when the plan has none.
func maintenance(status *sc.ServiceInstanceStatus) string {
	current := ""
	if p := status.ExternalProperties; p != nil {
		current = p.MaintenanceInfoVersion
	}
	if a := status.AvailableMaintenanceInfo; a != nil && a.Version != "" {
		return strings.TrimSpace(current + " (" + a.Version + " available)")
	}
	return current
}

// NewServiceBindingTableConvertor prints bindings: Service-Instance, Secret-Name, Status;
// wide: external ID, generation last acted on.
func NewServiceBindingTableConvertor() *TableConvertor {
	return NewTableConvertor([]metav1.TableColumnDefinition{
		column("Service-Instance", "The ServiceInstance it binds to; namespace/name for one of another namespace."),
		column("Secret-Name", "The Secret receiving the credentials."),
		statusColumn,
		wideColumn("External-ID", "string", "The binding_id at the broker."),
		wideColumn("Observed", "string", "Generation the controller last acted on, of the current one."),
	}, func(obj runtime.Object) ([]interface{}, error) {
		b, ok := obj.(*sc.ServiceBinding)
		if !ok {
			return nil, unexpected(obj)
		}
		secretName := b.Spec.SecretName
		if secretName == "" {
			secretName = b.Name
		}
		instance := b.Spec.InstanceRef.Name
		if b.SharesInstance() {
			instance = b.InstanceNamespace() + "/" + instance
		}
		return []interface{}{
			instance,
			secretName,
			Status(b.Status.Conditions, b.DeletionTimestamp != nil),
			b.Spec.ExternalID,
			strconv.FormatInt(b.Status.ObservedGeneration, 10) + "/" + strconv.FormatInt(b.Generation, 10),
		}, nil
	})
}
