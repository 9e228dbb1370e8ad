package broker

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
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
	restrict *restrictions
	// existing are the broker's published classes and plans by external ID.
	existingClasses map[string]*v1beta1.ClusterServiceClass
	existingPlans   map[string]*v1beta1.ClusterServicePlan
	// freedClasses and freedPlans are the names of the entries this sync deleted: free,
	// though the informer cache still shows them.
	freedClasses, freedPlans sets.Set[string]
	// chosen maps the names picked by the current layout to their external IDs.
	chosen map[string]string
}

// layout is the catalog as a sync publishes it: the offerings the restrictions allow,
// named, with the plans they allow; the external IDs of those entries; what was skipped.
type layout struct {
	offerings              []*offering
	keepClasses, keepPlans sets.Set[string]
	skipped                []v1beta1.SkippedOffering
}

// publish creates, updates, deletes and marks as removed the broker's classes and plans so
// that they match the catalog. A malformed offering is skipped and reported; the others
// are published. What the catalog no longer offers and nothing uses is deleted before the
// new entries are named, so that they can take the names it leaves: a broker that gives
// its offerings new ids (on a restart, say) keeps its readable names.
func (c *Controller) publish(ctx context.Context, broker *v1beta1.ClusterServiceBroker, catalog *osb.CatalogResponse, now time.Time) (*published, error) {
	p, err := c.newPublisher(broker)
	if err != nil {
		return nil, err
	}
	l := p.lay(catalog)
	freed, err := p.deleteUnkept(ctx, l)
	if err != nil {
		return nil, err
	}
	if freed {
		l = p.lay(catalog)
	}
	result := &published{skipped: l.skipped}
	for _, o := range l.offerings {
		if err := p.write(ctx, o, now); err != nil {
			return nil, err
		}
		result.classes++
		result.plans += int32(len(o.plans))
	}
	if err := p.markRemoved(ctx, l); err != nil {
		return nil, err
	}
	return result, nil
}

// newPublisher returns the publisher of the broker's catalog.
func (c *Controller) newPublisher(broker *v1beta1.ClusterServiceBroker) (*publisher, error) {
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
	return &publisher{
		c: c, broker: broker, restrict: restrict,
		existingClasses: existingClasses, existingPlans: existingPlans,
		freedClasses: sets.New[string](), freedPlans: sets.New[string](),
	}, nil
}

// lay names the catalog's entries and applies the restrictions; it writes nothing.
func (p *publisher) lay(catalog *osb.CatalogResponse) *layout {
	l := &layout{keepClasses: sets.New[string](), keepPlans: sets.New[string]()}
	p.chosen = map[string]string{}
	seenIDs, seenNames, seenPlanIDs := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for i := range catalog.Services {
		svc := &catalog.Services[i]
		if err := validate(svc, seenIDs, seenNames, seenPlanIDs); err != nil {
			l.skipped = append(l.skipped, v1beta1.SkippedOffering{Name: svc.Name, ID: svc.ID, Message: err.Error()})
			continue
		}
		o := p.offering(svc)
		if o == nil {
			continue
		}
		l.offerings = append(l.offerings, o)
		l.keepClasses.Insert(svc.ID)
		for _, plan := range o.plans {
			l.keepPlans.Insert(plan.Spec.ExternalID)
		}
	}
	return l
}

// offering names a valid offering and its plans, and returns it with the plans the
// restrictions allow, or nil when they allow none or not the class: a class is published
// only with at least one of its plans.
func (p *publisher) offering(svc *osb.Service) *offering {
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
	o.plans = plans
	return o
}

// write publishes a laid out offering, fetched at now.
func (p *publisher) write(ctx context.Context, o *offering, now time.Time) error {
	id := o.class.Spec.ExternalID
	if err := p.c.classes.upsert(ctx, p.broker, o.class, p.existingClasses[id], p.existingClasses[id] != nil, now); err != nil {
		return err
	}
	for _, plan := range o.plans {
		if err := p.c.upsertPlan(ctx, p.broker, plan, p.existingPlans[plan.Spec.ExternalID], now); err != nil {
			return err
		}
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
// externalID: one picked for another id in this layout, or a class or plan this sync did
// not delete that is not that entry. An entry of another broker is another entry, even
// with the same id: brokers do not share classes and plans.
func (p *publisher) taken(name, externalID string) bool {
	if id, ok := p.chosen[name]; ok {
		return id != externalID
	}
	other := func(broker, id string) bool { return broker != p.broker.Name || id != externalID }
	if class, err := p.c.cfg.Classes.Lister().Get(name); err == nil && !p.freedClasses.Has(name) &&
		other(class.Spec.ClusterServiceBrokerName, class.Spec.ExternalID) {
		return true
	}
	if plan, err := p.c.cfg.Plans.Lister().Get(name); err == nil && !p.freedPlans.Has(name) &&
		other(plan.Spec.ClusterServiceBrokerName, plan.Spec.ExternalID) {
		return true
	}
	return false
}

// deleteUnkept deletes the broker's published entries that the layout does not keep and
// that nothing uses, plans first, and frees their names. It tells whether it freed any.
func (p *publisher) deleteUnkept(ctx context.Context, l *layout) (bool, error) {
	instances := p.c.cfg.Instances.Informer().GetIndexer()
	var plans []*v1beta1.ClusterServicePlan
	for id, plan := range p.existingPlans {
		if !l.keepPlans.Has(id) {
			plans = append(plans, plan)
		}
	}
	deletedPlans, err := p.c.plans.deleteUnused(ctx, p.broker, plans, instances, nil)
	p.freedPlans = p.freedPlans.Union(deletedPlans)
	if err != nil {
		return false, err
	}
	var classes []*v1beta1.ClusterServiceClass
	for id, class := range p.existingClasses {
		if !l.keepClasses.Has(id) {
			classes = append(classes, class)
		}
	}
	deletedClasses, err := p.c.classes.deleteUnused(ctx, p.broker, classes, instances, p.c.hasPlans(p.freedPlans))
	p.freedClasses = p.freedClasses.Union(deletedClasses)
	if err != nil {
		return false, err
	}
	for id, plan := range p.existingPlans {
		if deletedPlans.Has(plan.Name) {
			delete(p.existingPlans, id)
		}
	}
	for id, class := range p.existingClasses {
		if deletedClasses.Has(class.Name) {
			delete(p.existingClasses, id)
		}
	}
	return deletedPlans.Len()+deletedClasses.Len() > 0, nil
}

// markRemoved marks the published classes and plans the layout does not keep.
func (p *publisher) markRemoved(ctx context.Context, l *layout) error {
	for id, plan := range p.existingPlans {
		if !l.keepPlans.Has(id) {
			if err := p.c.plans.markRemoved(ctx, p.broker, plan); err != nil {
				return err
			}
		}
	}
	for id, class := range p.existingClasses {
		if !l.keepClasses.Has(id) {
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
	plans, err := c.plans.removedOf(broker.Name)
	if err != nil {
		return err
	}
	deletedPlans, err := c.plans.deleteUnused(ctx, broker, plans, instances, nil)
	if err != nil {
		return err
	}
	classes, err := c.classes.removedOf(broker.Name)
	if err != nil {
		return err
	}
	_, err = c.classes.deleteUnused(ctx, broker, classes, instances, c.hasPlans(deletedPlans))
	return err
}

// hasPlans returns whether a class has plans other than the deleted ones: such a class is
// still needed.
func (c *Controller) hasPlans(deleted sets.Set[string]) func(*v1beta1.ClusterServiceClass) bool {
	return func(class *v1beta1.ClusterServiceClass) bool {
		plans, err := c.cfg.Plans.Informer().GetIndexer().ByIndex(indexes.ByClass, class.Name)
		return err != nil || slices.ContainsFunc(plans, func(p any) bool { return !deleted.Has(p.(*v1beta1.ClusterServicePlan).Name) })
	}
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
