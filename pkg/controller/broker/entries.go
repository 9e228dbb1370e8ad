package broker

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/catalog"
	"github.com/kube-service-catalog/catalog/pkg/controller/indexes"
)

// classSpec and planSpec are the scope-neutral specs of classes and plans.
type (
	classSpec = v1beta1.CommonServiceClassSpec
	planSpec  = v1beta1.CommonServicePlanSpec
)

// entry is a published class or plan of either scope, as publishing reads it; S is the
// kind's scope-neutral spec. spec and status point into object.
type entry[S any] struct {
	// key is the entry's catalog.Key, by which the instance indexes name it.
	key, name string
	// broker is the name of the broker that published it; class is a plan's class.
	broker, class            string
	externalID, externalName string
	spec                     *S
	status                   *v1beta1.CommonServiceClassStatus
	object                   catalog.Object
}

// classEntry returns the entry of a class of either scope.
func classEntry(obj any) (*entry[classSpec], bool) {
	c, ok := catalog.ClassOf(obj)
	if !ok {
		return nil, false
	}
	return &entry[classSpec]{key: c.Key(), name: c.Name, broker: c.BrokerName, externalID: c.Spec.ExternalID,
		externalName: c.Spec.ExternalName, spec: c.Spec, status: c.Status, object: c.Object}, true
}

// planEntry returns the entry of a plan of either scope.
func planEntry(obj any) (*entry[planSpec], bool) {
	p, ok := catalog.PlanOf(obj)
	if !ok {
		return nil, false
	}
	return &entry[planSpec]{key: p.Key(), name: p.Name, broker: p.BrokerName, class: p.ClassName, externalID: p.Spec.ExternalID,
		externalName: p.Spec.ExternalName, spec: p.Spec, status: p.Status, object: p.Object}, true
}

// nameOf returns the name of an entry, or "" for none.
func nameOf[S any](e *entry[S]) string {
	if e == nil {
		return ""
	}
	return e.name
}

// draft is a class or plan of a fetched catalog, as a sync publishes it: its name, a
// plan's class, its spec and its catalogDigest.
type draft[S any] struct {
	name, class string
	spec        S
	digest      string
}

// kind writes the entries of one kind, classes or plans, in one scope: the typed part of
// publishing (see scope.go).
type kind[S any] struct {
	writes objectWrites
	// build returns the object of the kind that a draft of the named broker becomes.
	build func(meta metav1.ObjectMeta, broker string, d *draft[S]) catalog.Object
}

// entries publishes the catalog entries of one kind, classes or plans, in both scopes.
type entries[S any] struct {
	noun string
	// kinds are the kind's typed writes, by scope.
	kinds [2]kind[S]
	// view reads an object of the kind, of either scope.
	view func(any) (*entry[S], bool)
	// informer returns the kind's informer of a scope, with the ByBroker index.
	informer func(catalog.Scope) cache.SharedIndexInformer
	// instances are the instances, with usedBy, their index by entries of the kind.
	instances cache.Indexer
	usedBy    string
	recorder  record.EventRecorder
	// removed is the reason and message of the broker's event when an entry left the
	// catalog: deleted at once, when nothing used it, or kept until nothing does.
	removed func(entry *entry[S], deleted bool) (reason, message string)
}

// newEntries returns the publishing of classes and of plans.
func newEntries(cfg Config) (entries[classSpec], entries[planSpec]) {
	classKinds, planKinds := newKinds(cfg.Client.ServicecatalogV1beta1())
	instances := cfg.Instances.Informer().GetIndexer()
	return entries[classSpec]{
			noun: "class", kinds: classKinds, view: classEntry, informer: cfg.Catalog.ClassInformer,
			instances: instances, usedBy: indexes.ByClass, recorder: cfg.Recorder, removed: classRemoved,
		}, entries[planSpec]{
			noun: "plan", kinds: planKinds, view: planEntry, informer: cfg.Catalog.PlanInformer,
			instances: instances, usedBy: indexes.ByPlan, recorder: cfg.Recorder, removed: planRemoved,
		}
}

func classRemoved(c *entry[classSpec], deleted bool) (string, string) {
	if deleted {
		return "ClassRemovedFromCatalog", fmt.Sprintf("Class %s (%s) is no longer in the catalog and nothing uses it; it was deleted", c.name, c.externalName)
	}
	return "ClassRemovedFromCatalog", fmt.Sprintf("Class %s (%s) is no longer in the catalog; it is deleted once no instance uses it", c.name, c.externalName)
}

func planRemoved(p *entry[planSpec], deleted bool) (string, string) {
	if deleted {
		return "PlanRemovedFromCatalog", fmt.Sprintf("Plan %s (%s) is no longer in the catalog and no instance uses it; it was deleted", p.name, p.externalName)
	}
	return "PlanRemovedFromCatalog", fmt.Sprintf("Plan %s (%s) is no longer in the catalog; existing instances keep working, new ones are refused, and it is deleted once no instance uses it",
		p.name, p.externalName)
}

// of returns the broker's published entries by external ID.
func (e entries[S]) of(broker *catalog.Broker) (map[string]*entry[S], error) {
	objs, err := e.informer(broker.Scope).GetIndexer().ByIndex(indexes.ByBroker, broker.Key())
	if err != nil {
		return nil, err
	}
	out := make(map[string]*entry[S], len(objs))
	for _, obj := range objs {
		if published, ok := e.view(obj); ok {
			out[published.externalID] = published
		}
	}
	return out, nil
}

// removedOf returns the broker's published entries that are marked removed from its
// catalog.
func (e entries[S]) removedOf(broker *catalog.Broker) ([]*entry[S], error) {
	published, err := e.of(broker)
	if err != nil {
		return nil, err
	}
	var out []*entry[S]
	for _, entry := range published {
		if entry.status.RemovedFromBrokerCatalog {
			out = append(out, entry)
		}
	}
	return out, nil
}

// deleteAll deletes the broker's published entries.
func (e entries[S]) deleteAll(ctx context.Context, broker *catalog.Broker) error {
	published, err := e.of(broker)
	if err != nil {
		return err
	}
	for _, entry := range published {
		if _, err := e.delete(ctx, broker.Scope, entry); err != nil {
			return err
		}
	}
	return nil
}

// deleteUnused deletes those of the broker's candidates that no instance uses, nor anything
// else needs (needed, when set), and returns the names of those it deleted. The deletion
// of an entry not yet marked removed is told in an event of the broker.
func (e entries[S]) deleteUnused(ctx context.Context, broker *catalog.Broker, candidates []*entry[S], needed func(*entry[S]) bool) (sets.Set[string], error) {
	deleted := sets.New[string]()
	for _, entry := range candidates {
		if needed != nil && needed(entry) {
			continue
		}
		users, err := e.instances.ByIndex(e.usedBy, entry.key)
		if err != nil {
			return deleted, err
		}
		if len(users) > 0 {
			continue
		}
		gone, err := e.delete(ctx, broker.Scope, entry)
		if err != nil {
			return deleted, err
		}
		if !gone {
			continue
		}
		deleted.Insert(entry.name)
		if !entry.status.RemovedFromBrokerCatalog {
			reason, message := e.removed(entry, true)
			e.recorder.Event(broker.Object, corev1.EventTypeNormal, reason, message)
		}
	}
	return deleted, nil
}

// upsert publishes want, fetched at now: it creates it, owned by the broker, or updates
// the existing entry when its spec changed. The status records the fetch and the entry's
// catalogDigest when the entry is new, changed in the broker's catalog, or back in it
// after it had been removed; otherwise nothing is written.
func (e entries[S]) upsert(ctx context.Context, broker *catalog.Broker, want *draft[S], existing *entry[S], now time.Time) error {
	if existing == nil {
		return e.create(ctx, broker, want, now)
	}
	current := existing
	if !apiequality.Semantic.DeepEqual(*existing.spec, want.spec) {
		update := e.copyOf(existing)
		*update.spec = want.spec
		updated, err := e.kinds[broker.Scope].writes.update(ctx, update.object)
		if err != nil {
			return fmt.Errorf("updating %s %s: %w", e.noun, existing.name, err)
		}
		current, _ = e.view(updated)
	} else if !existing.status.RemovedFromBrokerCatalog && existing.status.CatalogDigest == want.digest {
		return nil
	}
	return e.writeStatus(ctx, broker.Scope, current, func(s *v1beta1.CommonServiceClassStatus) { recordFetch(s, want.digest, now) })
}

// create creates want, owned by the broker, and records the fetch at now in its status.
func (e entries[S]) create(ctx context.Context, broker *catalog.Broker, want *draft[S], now time.Time) error {
	kind := e.kinds[broker.Scope]
	meta := metav1.ObjectMeta{Namespace: broker.Namespace, Name: want.name, OwnerReferences: []metav1.OwnerReference{ownerReference(broker)}}
	created, err := kind.writes.create(ctx, kind.build(meta, broker.Name, want))
	if apierrors.IsAlreadyExists(err) {
		return e.nameTaken(ctx, broker, want.name, err)
	}
	if err != nil {
		return fmt.Errorf("creating %s %s: %w", e.noun, want.name, err)
	}
	entry, _ := e.view(created)
	return e.writeStatus(ctx, broker.Scope, entry, func(s *v1beta1.CommonServiceClassStatus) { recordFetch(s, want.digest, now) })
}

// recordFetch records in an entry's status that a fetch at now published it with digest.
func recordFetch(status *v1beta1.CommonServiceClassStatus, digest string, now time.Time) {
	status.RemovedFromBrokerCatalog = false
	status.LastCatalogRetrievalTime = fetchTime(now)
	status.CatalogDigest = digest
}

// ownerReference makes the broker the controller of its classes and plans, so that they
// go with it; the broker's deletion does not wait for them.
func ownerReference(broker *catalog.Broker) metav1.OwnerReference {
	ref := metav1.NewControllerRef(broker.Object, v1beta1.SchemeGroupVersion.WithKind(broker.Scope.BrokerKind()))
	ref.BlockOwnerDeletion = ptr.To(false)
	return *ref
}

// markRemoved marks an entry the catalog no longer offers, and says so in an event of
// the broker.
func (e entries[S]) markRemoved(ctx context.Context, broker *catalog.Broker, entry *entry[S]) error {
	if entry.status.RemovedFromBrokerCatalog {
		return nil
	}
	if err := e.writeStatus(ctx, broker.Scope, entry, func(s *v1beta1.CommonServiceClassStatus) { s.RemovedFromBrokerCatalog = true }); err != nil {
		return err
	}
	reason, message := e.removed(entry, false)
	e.recorder.Event(broker.Object, corev1.EventTypeNormal, reason, message)
	return nil
}

// writeStatus writes the status of a copy of the entry, changed by change.
func (e entries[S]) writeStatus(ctx context.Context, scope catalog.Scope, entry *entry[S], change func(*v1beta1.CommonServiceClassStatus)) error {
	update := e.copyOf(entry)
	change(update.status)
	_, err := e.kinds[scope].writes.updateStatus(ctx, update.object)
	return err
}

// copyOf returns the entry of a deep copy of the entry's object, for a write to change.
func (e entries[S]) copyOf(published *entry[S]) *entry[S] {
	c, _ := e.view(published.object.DeepCopyObject())
	return c
}

// nameTaken explains a create refused because an entry of the name exists that the
// informer cache did not show yet: whose it is. The next sync sees it and names the new
// entry around it.
func (e entries[S]) nameTaken(ctx context.Context, broker *catalog.Broker, name string, err error) error {
	obj, getErr := e.kinds[broker.Scope].writes.get(ctx, broker.Namespace, name)
	if getErr != nil {
		return fmt.Errorf("creating %s %s: %w", e.noun, name, err)
	}
	other, _ := e.view(obj)
	if other.broker == "" {
		return fmt.Errorf("creating %s %s: a %s named %s already exists, published by no broker", e.noun, name, e.noun, name)
	}
	return fmt.Errorf("creating %s %s: a %s named %s already exists, published by broker %s", e.noun, name, e.noun, name, other.broker)
}

// delete deletes an entry and tells whether it is gone: deleted now or before. An object
// of its name with another UID is another entry, and is left alone.
func (e entries[S]) delete(ctx context.Context, scope catalog.Scope, entry *entry[S]) (bool, error) {
	err := e.kinds[scope].writes.delete(ctx, entry.object.GetNamespace(), entry.name, entry.object.GetUID())
	switch {
	case err == nil:
		klog.FromContext(ctx).V(2).Info("Deleted "+e.noun, e.noun, klog.KObj(entry.object))
		return true, nil
	case apierrors.IsNotFound(err):
		return true, nil
	case apierrors.IsConflict(err):
		return false, nil
	}
	return false, fmt.Errorf("deleting %s %s: %w", e.noun, entry.name, err)
}
