package broker

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/catalog"
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
	broker   *catalog.Broker
	restrict *restrictions
	// existing are the broker's published classes and plans by external ID.
	existingClasses map[string]*entry[classSpec]
	existingPlans   map[string]*entry[planSpec]
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
func (c *Controller) publish(ctx context.Context, broker *catalog.Broker, resp *osb.CatalogResponse, now time.Time) (*published, error) {
	p, err := c.newPublisher(broker)
	if err != nil {
		return nil, err
	}
	l := p.lay(resp)
	freed, err := p.deleteUnkept(ctx, l)
	if err != nil {
		return nil, err
	}
	if freed {
		l = p.lay(resp)
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
func (c *Controller) newPublisher(broker *catalog.Broker) (*publisher, error) {
	restrict, err := parseRestrictions(broker.Spec.CatalogRestrictions, broker.Scope)
	if err != nil {
		return nil, err
	}
	existingClasses, err := c.classes.of(broker)
	if err != nil {
		return nil, err
	}
	existingPlans, err := c.plans.of(broker)
	if err != nil {
		return nil, err
	}
	return &publisher{
		c: c, broker: broker, restrict: restrict,
		existingClasses: existingClasses, existingPlans: existingPlans,
		freedClasses: sets.New[string](), freedPlans: sets.New[string](),
	}, nil
}

// lay drafts and names the catalog's entries and applies the restrictions; it writes
// nothing.
func (p *publisher) lay(resp *osb.CatalogResponse) *layout {
	l := &layout{keepClasses: sets.New[string](), keepPlans: sets.New[string]()}
	p.chosen = map[string]string{}
	seenIDs, seenNames, seenPlanIDs := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for i := range resp.Services {
		svc := &resp.Services[i]
		err := validate(svc, seenIDs, seenNames, seenPlanIDs)
		var o *offering
		if err == nil {
			o, err = convertService(svc)
		}
		if err != nil {
			l.skipped = append(l.skipped, v1beta1.SkippedOffering{Name: svc.Name, ID: svc.ID, Message: err.Error()})
			continue
		}
		if o = p.place(o); o == nil {
			continue
		}
		l.offerings = append(l.offerings, o)
		l.keepClasses.Insert(svc.ID)
		for _, plan := range o.plans {
			l.keepPlans.Insert(plan.spec.ExternalID)
		}
	}
	return l
}

// place names a drafted offering and its plans, and returns it with the plans the
// restrictions allow, or nil when they allow none or not the class: a class is published
// only with at least one of its plans.
func (p *publisher) place(o *offering) *offering {
	class := o.class
	class.name = p.pick(nameOf(p.existingClasses[class.spec.ExternalID]), class.spec.ExternalName, class.spec.ExternalID)
	if !p.restrict.allowsClass(class) {
		return nil
	}
	var plans []*draft[planSpec]
	for _, plan := range o.plans {
		plan.name = p.pick(nameOf(p.existingPlans[plan.spec.ExternalID]), class.name+"-"+plan.spec.ExternalName, plan.spec.ExternalID)
		plan.class = class.name
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
	if err := p.c.classes.upsert(ctx, p.broker, o.class, p.existingClasses[o.class.spec.ExternalID], now); err != nil {
		return err
	}
	for _, plan := range o.plans {
		if err := p.c.upsertPlan(ctx, p.broker, plan, p.existingPlans[plan.spec.ExternalID], now); err != nil {
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
// externalID: one picked for another id in this layout, or a class or plan of the
// broker's scope and namespace that this sync did not delete and that is not that entry.
// An entry of another broker is another entry, even with the same id: brokers do not
// share classes and plans.
func (p *publisher) taken(name, externalID string) bool {
	if id, ok := p.chosen[name]; ok {
		return id != externalID
	}
	other := func(broker, id string) bool { return broker != p.broker.Name || id != externalID }
	b, cached := p.broker, p.c.cfg.Catalog
	if class, err := cached.Class(b.Scope, b.Namespace, name); err == nil && !p.freedClasses.Has(name) && other(class.BrokerName, class.Spec.ExternalID) {
		return true
	}
	if plan, err := cached.Plan(b.Scope, b.Namespace, name); err == nil && !p.freedPlans.Has(name) && other(plan.BrokerName, plan.Spec.ExternalID) {
		return true
	}
	return false
}

// deleteUnkept deletes the broker's published entries that the layout does not keep and
// that nothing uses, plans first, and frees their names. It tells whether it freed any.
func (p *publisher) deleteUnkept(ctx context.Context, l *layout) (bool, error) {
	deletedPlans, err := p.c.plans.deleteUnused(ctx, p.broker, unkept(p.existingPlans, l.keepPlans), nil)
	p.freedPlans = p.freedPlans.Union(deletedPlans)
	if err != nil {
		return false, err
	}
	deletedClasses, err := p.c.classes.deleteUnused(ctx, p.broker, unkept(p.existingClasses, l.keepClasses), p.c.hasPlans(p.broker, p.freedPlans))
	p.freedClasses = p.freedClasses.Union(deletedClasses)
	if err != nil {
		return false, err
	}
	forget(p.existingPlans, deletedPlans)
	forget(p.existingClasses, deletedClasses)
	return deletedPlans.Len()+deletedClasses.Len() > 0, nil
}

// markRemoved marks the published classes and plans the layout does not keep.
func (p *publisher) markRemoved(ctx context.Context, l *layout) error {
	for _, plan := range unkept(p.existingPlans, l.keepPlans) {
		if err := p.c.plans.markRemoved(ctx, p.broker, plan); err != nil {
			return err
		}
	}
	for _, class := range unkept(p.existingClasses, l.keepClasses) {
		if err := p.c.classes.markRemoved(ctx, p.broker, class); err != nil {
			return err
		}
	}
	return nil
}

// unkept returns the published entries whose external IDs keep does not hold.
func unkept[S any](published map[string]*entry[S], keep sets.Set[string]) []*entry[S] {
	var out []*entry[S]
	for id, e := range published {
		if !keep.Has(id) {
			out = append(out, e)
		}
	}
	return out
}

// forget drops the deleted entries, by name, from the published ones.
func forget[S any](published map[string]*entry[S], deleted sets.Set[string]) {
	for id, e := range published {
		if deleted.Has(e.name) {
			delete(published, id)
		}
	}
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

// upsertPlan publishes a plan. A plan moved to another class keeps its id; the class
// reference cannot change, so the old object would have to go and a new one come, which
// the catalog does not support.
func (c *Controller) upsertPlan(ctx context.Context, broker *catalog.Broker, want *draft[planSpec], existing *entry[planSpec], now time.Time) error {
	if existing != nil && existing.class != want.class {
		return fmt.Errorf("plan %q moved from class %s to %s, which the catalog does not support", want.spec.ExternalID, existing.class, want.class)
	}
	return c.plans.upsert(ctx, broker, want, existing, now)
}

// deleteUnusedRemoved deletes the broker's removed plans that no instance uses, then its
// removed classes that no instance and no remaining plan uses.
func (c *Controller) deleteUnusedRemoved(ctx context.Context, broker *catalog.Broker) error {
	plans, err := c.plans.removedOf(broker)
	if err != nil {
		return err
	}
	deletedPlans, err := c.plans.deleteUnused(ctx, broker, plans, nil)
	if err != nil {
		return err
	}
	classes, err := c.classes.removedOf(broker)
	if err != nil {
		return err
	}
	_, err = c.classes.deleteUnused(ctx, broker, classes, c.hasPlans(broker, deletedPlans))
	return err
}

// hasPlans returns whether a class of the broker has plans other than the deleted ones:
// such a class is still needed.
func (c *Controller) hasPlans(broker *catalog.Broker, deleted sets.Set[string]) func(*entry[classSpec]) bool {
	return func(class *entry[classSpec]) bool {
		plans, err := c.cfg.Catalog.Plans(broker.Scope, broker.Namespace, indexes.ByClass, class.name)
		return err != nil || slices.ContainsFunc(plans, func(p *catalog.Plan) bool { return !deleted.Has(p.Name) })
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
