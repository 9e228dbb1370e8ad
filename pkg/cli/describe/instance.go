// Package describe tells the whole story of a ServiceInstance or a ServiceBinding on one
// screen: what it is of (class, plan, broker), what the controller is doing with the
// broker and since when, the last request's id, when it tries again, its bindings and
// their Secrets (key names, never values), its conditions with their messages, and its
// recent events.
package describe

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/catalog"
	"github.com/kube-service-catalog/catalog/pkg/cli/clients"
	"github.com/kube-service-catalog/catalog/pkg/cli/offerings"
	"github.com/kube-service-catalog/catalog/pkg/cli/readiness"
)

// Instance writes the story of the instance name in namespace.
func Instance(ctx context.Context, set *clients.Set, sources []offerings.Source, namespace, name string, now time.Time, w io.Writer) error {
	i, err := set.Catalog.ServicecatalogV1beta1().ServiceInstances(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	p := newPage(w, now)
	p.header(&i.ObjectMeta, i.Status.Conditions, i.Spec.UserInfo)
	plan, err := p.offering(ctx, sources, i)
	if err != nil {
		return err
	}
	if e := i.Status.ExternalProperties; e != nil {
		p.madeWith(&e.PropertiesState, planExternalName(i), plan)
	}
	p.instanceSpec(i)
	p.instanceStatus(i)
	p.operation(string(i.Status.CurrentOperation), &i.Status.OperationStatus)
	if err := p.bindingsOf(ctx, set, i); err != nil {
		return err
	}
	p.conditions(i.Status.Conditions)
	p.events(ctx, set.Kube, namespace, "ServiceInstance", name, i.UID)
	return p.flush()
}

// offering writes the class, plan and broker of i: those the controller resolved, else
// those its spec names. It returns the resolved plan as the catalog has it now, if any.
func (p *page) offering(ctx context.Context, sources []offerings.Source, i *v1beta1.ServiceInstance) (*catalog.Plan, error) {
	for _, s := range sources {
		if r, ok := s.Resolved(i); ok {
			c, err := s.Read(ctx, i.Namespace)
			if err != nil {
				return nil, err
			}
			p.resolved(c, r)
			if pl := c.Plan(r.Namespace, r.Plan); pl != nil {
				plan, _ := catalog.PlanOf(pl.Object)
				return plan, nil
			}
			return nil, nil
		}
	}
	for _, s := range sources {
		if class, plan, by, ok := s.Named(i); ok {
			p.field("Class", fmt.Sprintf("%s (by %s; not resolved yet)", class, by))
			p.field("Plan", orDefault(plan, "<the class's only plan>"))
		}
	}
	return nil, nil
}

// resolved writes the class, plan and broker r names in c.
func (p *page) resolved(c *offerings.Catalog, r offerings.Resolution) {
	brokerKind, classKind, planKind := c.Source.Kinds()
	class, plan := "<not found>", "<not found>"
	if cl := c.Class(r.Namespace, r.Class); cl != nil {
		class = cl.ExternalName + removed(cl.Removed)
	}
	if pl := c.Plan(r.Namespace, r.Plan); pl != nil {
		plan = fmt.Sprintf("%s, %s%s", pl.ExternalName, map[bool]string{true: "free", false: "paid"}[pl.Free], removed(pl.Removed))
	}
	p.field("Class", fmt.Sprintf("%s (%s/%s)", class, classKind.Singular(), r.Class))
	if r.Plan != "" {
		p.field("Plan", fmt.Sprintf("%s (%s/%s)", plan, planKind.Singular(), r.Plan))
	}
	status := "<unknown: you may not read " + brokerKind.Resource + ">"
	if b := c.Broker(r.Namespace, r.Broker); b != nil {
		status = readiness.Word(b.Conditions, b.Deleting)
	} else if len(c.Notes) == 0 {
		status = "<not found>"
	}
	p.field("Broker", fmt.Sprintf("%s (%s)", r.Broker, status))
}

// removed marks what the broker no longer offers.
func removed(gone bool) string {
	if gone {
		return "; removed from the broker's catalog"
	}
	return ""
}

// instanceSpec writes what i asks of the broker.
func (p *page) instanceSpec(i *v1beta1.ServiceInstance) {
	p.field("External ID", i.Spec.ExternalID)
	if i.Spec.Parameters != nil {
		p.field("Parameters", compact(i.Spec.Parameters.Raw))
	}
	var from []string
	for _, f := range i.Spec.ParametersFrom {
		if f.SecretKeyRef != nil {
			from = append(from, fmt.Sprintf("secret %s, key %s", f.SecretKeyRef.Name, f.SecretKeyRef.Key))
		}
	}
	p.field("Parameters From", strings.Join(from, "; "))
	p.field("Update Requests", count(i.Spec.UpdateRequests))
	if i.Generation != i.Status.ObservedGeneration {
		p.field("Generation", fmt.Sprintf("%d (the controller has acted on %d)", i.Generation, i.Status.ObservedGeneration))
	}
}

// instanceStatus writes what the broker holds of i.
func (p *page) instanceStatus(i *v1beta1.ServiceInstance) {
	st := &i.Status
	p.field("Provision Status", string(st.ProvisionStatus))
	if i.DeletionTimestamp != nil {
		p.field("Deprovision Status", string(st.DeprovisionStatus))
	}
	p.field("Dashboard", st.DashboardURL)
	if st.InstanceUsable != nil && !*st.InstanceUsable {
		p.field("Usable", "no: the broker said the instance cannot be used until an update succeeds")
	}
	current := ""
	if st.ExternalProperties != nil {
		current = st.ExternalProperties.MaintenanceInfoVersion
	}
	if a := st.AvailableMaintenanceInfo; a != nil && a.Version != "" {
		available := a.Version
		if a.Description != "" {
			available += " (" + a.Description + ")"
		}
		p.field("Maintenance", fmt.Sprintf("%s; %s is available: set spec.maintenanceInfoVersion to apply it", orDefault(current, "<none>"), available))
	} else {
		p.field("Maintenance", current)
	}
	var shared []string
	for _, r := range st.SharedWith {
		shared = append(shared, r.Namespace+"/"+r.Name)
	}
	p.field("Shared With", strings.Join(shared, ", "))
}

// compact writes JSON on one line.
func compact(raw []byte) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return string(raw)
	}
	out, err := json.Marshal(v)
	if err != nil {
		return string(raw)
	}
	return string(out)
}

// orDefault returns s, or def when s is empty.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
