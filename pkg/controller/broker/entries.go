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

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/indexes"
)

// entryClient is the part of the typed client of classes or plans that publishing uses.
type entryClient[T any] interface {
	Get(ctx context.Context, name string, opts metav1.GetOptions) (T, error)
	Create(ctx context.Context, obj T, opts metav1.CreateOptions) (T, error)
	Update(ctx context.Context, obj T, opts metav1.UpdateOptions) (T, error)
	UpdateStatus(ctx context.Context, obj T, opts metav1.UpdateOptions) (T, error)
	Delete(ctx context.Context, name string, opts metav1.DeleteOptions) error
}

// entries publishes the catalog entries of one kind, classes or plans, with spec S;
// classes and plans share their status.
type entries[T controller.Object[T], S any] struct {
	noun     string
	client   entryClient[T]
	recorder record.EventRecorder
	// indexer is the kind's informer cache, with the ByBroker index; usedBy is the index
	// of instances by entries of the kind.
	indexer cache.Indexer
	usedBy  string
	// externalID returns the entry's OSB id, and brokerOf the name of its broker.
	externalID func(T) string
	brokerOf   func(T) string
	// status and spec return the entry's status and spec.
	status func(T) *v1beta1.CommonServiceClassStatus
	spec   func(T) *S
	// removed is the reason and message of the broker's event when an entry left the
	// catalog: deleted at once, when nothing used it, or kept until nothing does.
	removed func(entry T, deleted bool) (reason, message string)
}

// newEntries returns the publishing of classes and of plans.
func newEntries(cfg Config) (entries[*v1beta1.ClusterServiceClass, v1beta1.ClusterServiceClassSpec], entries[*v1beta1.ClusterServicePlan, v1beta1.ClusterServicePlanSpec]) {
	sc := cfg.Client.ServicecatalogV1beta1()
	return entries[*v1beta1.ClusterServiceClass, v1beta1.ClusterServiceClassSpec]{
			noun: "class", client: sc.ClusterServiceClasses(), recorder: cfg.Recorder,
			indexer: cfg.Classes.Informer().GetIndexer(), usedBy: indexes.ByClass,
			externalID: func(c *v1beta1.ClusterServiceClass) string { return c.Spec.ExternalID },
			brokerOf:   func(c *v1beta1.ClusterServiceClass) string { return c.Spec.ClusterServiceBrokerName },
			status: func(c *v1beta1.ClusterServiceClass) *v1beta1.CommonServiceClassStatus {
				return &c.Status.CommonServiceClassStatus
			},
			spec: func(c *v1beta1.ClusterServiceClass) *v1beta1.ClusterServiceClassSpec { return &c.Spec },
			removed: func(c *v1beta1.ClusterServiceClass, deleted bool) (string, string) {
				if deleted {
					return "ClassRemovedFromCatalog", fmt.Sprintf("Class %s (%s) is no longer in the catalog and nothing uses it; it was deleted", c.Name, c.Spec.ExternalName)
				}
				return "ClassRemovedFromCatalog", fmt.Sprintf("Class %s (%s) is no longer in the catalog; it is deleted once no instance uses it", c.Name, c.Spec.ExternalName)
			},
		}, entries[*v1beta1.ClusterServicePlan, v1beta1.ClusterServicePlanSpec]{
			noun: "plan", client: sc.ClusterServicePlans(), recorder: cfg.Recorder,
			indexer: cfg.Plans.Informer().GetIndexer(), usedBy: indexes.ByPlan,
			externalID: func(p *v1beta1.ClusterServicePlan) string { return p.Spec.ExternalID },
			brokerOf:   func(p *v1beta1.ClusterServicePlan) string { return p.Spec.ClusterServiceBrokerName },
			status: func(p *v1beta1.ClusterServicePlan) *v1beta1.CommonServiceClassStatus {
				return &p.Status.CommonServiceClassStatus
			},
			spec: func(p *v1beta1.ClusterServicePlan) *v1beta1.ClusterServicePlanSpec { return &p.Spec },
			removed: func(p *v1beta1.ClusterServicePlan, deleted bool) (string, string) {
				if deleted {
					return "PlanRemovedFromCatalog", fmt.Sprintf("Plan %s (%s) is no longer in the catalog and no instance uses it; it was deleted", p.Name, p.Spec.ExternalName)
				}
				return "PlanRemovedFromCatalog", fmt.Sprintf("Plan %s (%s) is no longer in the catalog; existing instances keep working, new ones are refused, and it is deleted once no instance uses it",
					p.Name, p.Spec.ExternalName)
			},
		}
}

// of returns the broker's published entries by external ID.
func (e entries[T, S]) of(broker string) (map[string]T, error) {
	objs, err := e.indexer.ByIndex(indexes.ByBroker, broker)
	if err != nil {
		return nil, err
	}
	out := make(map[string]T, len(objs))
	for _, obj := range objs {
		out[e.externalID(obj.(T))] = obj.(T)
	}
	return out, nil
}

// removedOf returns the broker's published entries that are marked removed from its
// catalog.
func (e entries[T, S]) removedOf(broker string) ([]T, error) {
	published, err := e.of(broker)
	if err != nil {
		return nil, err
	}
	var out []T
	for _, entry := range published {
		if e.status(entry).RemovedFromBrokerCatalog {
			out = append(out, entry)
		}
	}
	return out, nil
}

// deleteUnused deletes those of the broker's candidates that no instance uses, nor anything
// else needs (needed, when set), and returns the names of those it deleted. The deletion
// of an entry not yet marked removed is told in an event of the broker.
func (e entries[T, S]) deleteUnused(ctx context.Context, broker *v1beta1.ClusterServiceBroker, candidates []T, instances cache.Indexer, needed func(T) bool) (sets.Set[string], error) {
	deleted := sets.New[string]()
	for _, entry := range candidates {
		if needed != nil && needed(entry) {
			continue
		}
		users, err := instances.ByIndex(e.usedBy, entry.GetName())
		if err != nil {
			return deleted, err
		}
		if len(users) > 0 {
			continue
		}
		gone, err := e.delete(ctx, entry)
		if err != nil {
			return deleted, err
		}
		if !gone {
			continue
		}
		deleted.Insert(entry.GetName())
		if !e.status(entry).RemovedFromBrokerCatalog {
			reason, message := e.removed(entry, true)
			e.recorder.Event(broker, corev1.EventTypeNormal, reason, message)
		}
	}
	return deleted, nil
}

// upsert publishes want, fetched at now: it creates it, owned by the broker, or updates
// the existing entry (found) when its spec changed or it had been removed from the
// catalog.
func (e entries[T, S]) upsert(ctx context.Context, broker *v1beta1.ClusterServiceBroker, want, existing T, found bool, now time.Time) error {
	if !found {
		want.SetOwnerReferences([]metav1.OwnerReference{ownerReference(broker)})
		created, err := e.client.Create(ctx, want, metav1.CreateOptions{FieldManager: FieldManager})
		if apierrors.IsAlreadyExists(err) {
			return e.nameTaken(ctx, want.GetName(), err)
		}
		if err != nil {
			return fmt.Errorf("creating %s %s: %w", e.noun, want.GetName(), err)
		}
		e.status(created).LastCatalogRetrievalTime = fetchTime(now)
		_, err = e.client.UpdateStatus(ctx, created, metav1.UpdateOptions{FieldManager: FieldManager})
		return err
	}
	update := existing.DeepCopy()
	if !apiequality.Semantic.DeepEqual(*e.spec(existing), *e.spec(want)) {
		*e.spec(update) = *e.spec(want)
		updated, err := e.client.Update(ctx, update, metav1.UpdateOptions{FieldManager: FieldManager})
		if err != nil {
			return fmt.Errorf("updating %s %s: %w", e.noun, existing.GetName(), err)
		}
		update = updated
	} else if !e.status(existing).RemovedFromBrokerCatalog {
		return nil
	}
	e.status(update).RemovedFromBrokerCatalog = false
	e.status(update).LastCatalogRetrievalTime = fetchTime(now)
	_, err := e.client.UpdateStatus(ctx, update, metav1.UpdateOptions{FieldManager: FieldManager})
	return err
}

// markRemoved marks an entry the catalog no longer offers, and says so in an event of
// the broker.
func (e entries[T, S]) markRemoved(ctx context.Context, broker *v1beta1.ClusterServiceBroker, entry T) error {
	if e.status(entry).RemovedFromBrokerCatalog {
		return nil
	}
	update := entry.DeepCopy()
	e.status(update).RemovedFromBrokerCatalog = true
	if _, err := e.client.UpdateStatus(ctx, update, metav1.UpdateOptions{FieldManager: FieldManager}); err != nil {
		return err
	}
	reason, message := e.removed(entry, false)
	e.recorder.Event(broker, corev1.EventTypeNormal, reason, message)
	return nil
}

// nameTaken explains a create refused because an entry of the name exists that the
// informer cache did not show yet: whose it is. The next sync sees it and names the new
// entry around it.
func (e entries[T, S]) nameTaken(ctx context.Context, name string, err error) error {
	other, getErr := e.client.Get(ctx, name, metav1.GetOptions{})
	switch {
	case getErr != nil:
		return fmt.Errorf("creating %s %s: %w", e.noun, name, err)
	case e.brokerOf(other) == "":
		return fmt.Errorf("creating %s %s: a %s named %s already exists, published by no broker", e.noun, name, e.noun, name)
	}
	return fmt.Errorf("creating %s %s: a %s named %s already exists, published by broker %s", e.noun, name, e.noun, name, e.brokerOf(other))
}

// delete deletes an entry and tells whether it is gone: deleted now or before. An object
// of its name with another UID is another entry, and is left alone.
func (e entries[T, S]) delete(ctx context.Context, entry T) (bool, error) {
	uid := entry.GetUID()
	err := e.client.Delete(ctx, entry.GetName(), metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
	switch {
	case err == nil:
		klog.FromContext(ctx).V(2).Info("Deleted "+e.noun, e.noun, entry.GetName())
		return true, nil
	case apierrors.IsNotFound(err):
		return true, nil
	case apierrors.IsConflict(err):
		return false, nil
	}
	return false, fmt.Errorf("deleting %s %s: %w", e.noun, entry.GetName(), err)
}
