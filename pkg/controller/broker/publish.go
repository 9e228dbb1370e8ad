package broker

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller/indexes"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// published counts what a sync published.
type published struct {
	classes, plans int32
	skipped        []v1beta1.SkippedOffering
}

// publisher publishes one catalog of one broker.
type publisher struct {
	c        *Controller
	broker   *v1beta1.ClusterServiceBroker
	now      time.Time
	restrict *restrictions
	// existing are the broker's published classes and plans by external ID; keep are the
	// external IDs the catalog still offers.
	existingClasses        map[string]*v1beta1.ClusterServiceClass
	existingPlans          map[string]*v1beta1.ClusterServicePlan
	keepClasses, keepPlans map[string]bool
	// chosen maps the names picked in this sync to their external IDs.
	chosen map[string]string
	// seen are the offering ids and names and the plan ids met so far in the catalog.
	seenIDs, seenNames, seenPlanIDs map[string]bool
	result                          published
}

// publish creates, updates and marks as removed the broker's classes and plans so that
// they match the catalog. A malformed offering is skipped and reported; the others are
// published.
func (c *Controller) publish(ctx context.Context, broker *v1beta1.ClusterServiceBroker, catalog *osb.CatalogResponse, now time.Time) (*published, error) {
	restrict, err := parseRestrictions(broker.Spec.CatalogRestrictions)
	if err != nil {
		return nil, err
	}
	existingClasses, err := c.classes.of(broker.Name)
	if err != nil {
		return nil, err
	}
	existingPlans, err := c.plans.of(broker.Name)
	if err != nil {
		return nil, err
	}
	p := &publisher{
		c: c, broker: broker, now: now, restrict: restrict,
		existingClasses: existingClasses, existingPlans: existingPlans,
		keepClasses: map[string]bool{}, keepPlans: map[string]bool{}, chosen: map[string]string{},
		seenIDs: map[string]bool{}, seenNames: map[string]bool{}, seenPlanIDs: map[string]bool{},
	}
	for i := range catalog.Services {
		if err := p.offering(ctx, &catalog.Services[i]); err != nil {
			return nil, err
		}
	}
	if err := p.markRemoved(ctx); err != nil {
		return nil, err
	}
	return &p.result, nil
}

// offering publishes one offering and the plans of it that the restrictions allow; a
// class is published only with at least one of its plans.
func (p *publisher) offering(ctx context.Context, svc *osb.Service) error {
	if err := validate(svc, p.seenIDs, p.seenNames, p.seenPlanIDs); err != nil {
		p.result.skipped = append(p.result.skipped, v1beta1.SkippedOffering{Name: svc.Name, ID: svc.ID, Message: err.Error()})
		return nil
	}
	o := convertService(p.broker.Name, svc)
	o.class.Name = p.pick(nameOf(p.existingClasses[svc.ID]), svc.Name, svc.ID)
	if !p.restrict.allowsClass(o.class) {
		return nil
	}
	var plans []*v1beta1.ClusterServicePlan
	for _, plan := range o.plans {
		plan.Name = p.pick(nameOf(p.existingPlans[plan.Spec.ExternalID]), o.class.Name+"-"+plan.Spec.ExternalName, plan.Spec.ExternalID)
		plan.Spec.ClusterServiceClassRef.Name = o.class.Name
		if p.restrict.allowsPlan(plan) {
			plans = append(plans, plan)
		}
	}
	if len(plans) == 0 {
		return nil
	}
	if err := p.c.classes.upsert(ctx, p.broker, o.class, p.existingClasses[svc.ID], p.existingClasses[svc.ID] != nil, p.now); err != nil {
		return err
	}
	p.keepClasses[svc.ID] = true
	p.result.classes++
	for _, plan := range plans {
		if err := p.c.upsertPlan(ctx, p.broker, plan, p.existingPlans[plan.Spec.ExternalID], p.now); err != nil {
			return err
		}
		p.keepPlans[plan.Spec.ExternalID] = true
		p.result.plans++
	}
	return nil
}

// pick keeps the name of a published object, or picks one for a new object from base.
func (p *publisher) pick(existingName, base, externalID string) string {
	name := existingName
	if name == "" {
		name = namer{taken: p.taken, scope: p.broker.Name}.name(base, externalID)
	}
	p.chosen[name] = externalID
	return name
}

// taken tells whether a name is used by another entry than the broker's entry with
// externalID: one picked for another id in this sync, or a class or plan that is not that
// entry. An entry of another broker is another entry, even with the same id: brokers do
// not share classes and plans.
func (p *publisher) taken(name, externalID string) bool {
	if id, ok := p.chosen[name]; ok {
		return id != externalID
	}
	other := func(broker, id string) bool { return broker != p.broker.Name || id != externalID }
	if class, err := p.c.cfg.Classes.Lister().Get(name); err == nil && other(class.Spec.ClusterServiceBrokerName, class.Spec.ExternalID) {
		return true
	}
	if plan, err := p.c.cfg.Plans.Lister().Get(name); err == nil && other(plan.Spec.ClusterServiceBrokerName, plan.Spec.ExternalID) {
		return true
	}
	return false
}

// markRemoved marks the published classes and plans the catalog no longer offers.
func (p *publisher) markRemoved(ctx context.Context) error {
	for id, plan := range p.existingPlans {
		if !p.keepPlans[id] {
			if err := p.c.plans.markRemoved(ctx, p.broker, plan); err != nil {
				return err
			}
		}
	}
	for id, class := range p.existingClasses {
		if !p.keepClasses[id] {
			if err := p.c.classes.markRemoved(ctx, p.broker, class); err != nil {
				return err
			}
		}
	}
	return nil
}

// validate checks an offering and its plans, and that its id, its name and the ids of its
// plans are not repeated in the catalog. Plans are published by id across the whole
// catalog: a plan id shared by two offerings would make every later sync fail.
func validate(svc *osb.Service, seenIDs, seenNames, seenPlanIDs map[string]bool) error {
	if err := osb.ValidateService(svc); err != nil {
		return err
	}
	if seenIDs[svc.ID] {
		return fmt.Errorf("offering id %q appears twice in the catalog", svc.ID)
	}
	if seenNames[svc.Name] {
		return fmt.Errorf("offering name %q appears twice in the catalog", svc.Name)
	}
	for _, p := range svc.Plans {
		if seenPlanIDs[p.ID] {
			return fmt.Errorf("plan id %q of plan %q is also the id of a plan of another offering", p.ID, p.Name)
		}
	}
	seenIDs[svc.ID], seenNames[svc.Name] = true, true
	for _, p := range svc.Plans {
		seenPlanIDs[p.ID] = true
	}
	return nil
}

func nameOf[T interface{ GetName() string }](obj T) string {
	var zero T
	if any(obj) == any(zero) {
		return ""
	}
	return obj.GetName()
}

// ownerReference makes the broker the controller of its classes and plans, so that they
// go with it; the broker's deletion does not wait for them.
func ownerReference(broker *v1beta1.ClusterServiceBroker) metav1.OwnerReference {
	ref := metav1.NewControllerRef(broker, v1beta1.SchemeGroupVersion.WithKind("ClusterServiceBroker"))
	ref.BlockOwnerDeletion = ptr.To(false)
	return *ref
}

// upsertPlan publishes a plan. A plan moved to another class keeps its id; the class
// reference cannot change, so the old object would have to go and a new one come, which
// the catalog does not support.
func (c *Controller) upsertPlan(ctx context.Context, broker *v1beta1.ClusterServiceBroker, want, existing *v1beta1.ClusterServicePlan, now time.Time) error {
	if existing != nil && existing.Spec.ClusterServiceClassRef != want.Spec.ClusterServiceClassRef {
		return fmt.Errorf("plan %q moved from class %s to %s, which the catalog does not support", want.Spec.ExternalID,
			existing.Spec.ClusterServiceClassRef.Name, want.Spec.ClusterServiceClassRef.Name)
	}
	return c.plans.upsert(ctx, broker, want, existing, existing != nil, now)
}

// deleteUnusedRemoved deletes the broker's removed plans that no instance uses, then its
// removed classes that no instance and no remaining plan uses.
func (c *Controller) deleteUnusedRemoved(ctx context.Context, broker *v1beta1.ClusterServiceBroker) error {
	instances := c.cfg.Instances.Informer().GetIndexer()
	deletedPlans, err := c.plans.deleteUnused(ctx, broker.Name, instances, nil)
	if err != nil {
		return err
	}
	_, err = c.classes.deleteUnused(ctx, broker.Name, instances, func(class *v1beta1.ClusterServiceClass) bool {
		plans, err := c.cfg.Plans.Informer().GetIndexer().ByIndex(indexes.ByClass, class.Name)
		return err != nil || slices.ContainsFunc(plans, func(p any) bool { return !deletedPlans.Has(p.(*v1beta1.ClusterServicePlan).Name) })
	})
	return err
}

// skippedSummary names the skipped offerings for an event.
func skippedSummary(skipped []v1beta1.SkippedOffering) string {
	parts := make([]string, 0, len(skipped))
	for _, s := range skipped {
		name := s.Name
		if name == "" {
			name = s.ID
		}
		parts = append(parts, fmt.Sprintf("%q: %s", name, s.Message))
	}
	return strings.Join(parts, "; ")
}
