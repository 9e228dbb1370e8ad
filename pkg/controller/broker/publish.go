package broker

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
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

// publish creates, updates and marks as removed the broker's classes and plans so that
// they match the catalog. A malformed offering is skipped and reported; the others are
// published.
func (c *Controller) publish(ctx context.Context, broker *v1beta1.ClusterServiceBroker, catalog *osb.CatalogResponse, now time.Time) (*published, error) {
	restrict, err := parseRestrictions(broker.Spec.CatalogRestrictions)
	if err != nil {
		return nil, err
	}
	existingClasses, existingPlans, err := c.existing(broker.Name)
	if err != nil {
		return nil, err
	}

	result := &published{}
	chosen := map[string]string{} // name -> external ID, for names picked in this sync
	n := namer{taken: func(name, externalID string) bool {
		if id, ok := chosen[name]; ok {
			return id != externalID
		}
		if class, err := c.cfg.Classes.Lister().Get(name); err == nil && class.Spec.ExternalID != externalID {
			return true
		}
		if plan, err := c.cfg.Plans.Lister().Get(name); err == nil && plan.Spec.ExternalID != externalID {
			return true
		}
		return false
	}}
	pick := func(existingName, base, externalID string) string {
		name := existingName
		if name == "" {
			name = n.name(base, externalID)
		}
		chosen[name] = externalID
		return name
	}

	keepClasses, keepPlans := map[string]bool{}, map[string]bool{}
	seenIDs, seenNames, seenPlanIDs := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for i := range catalog.Services {
		svc := &catalog.Services[i]
		if err := validate(svc, seenIDs, seenNames, seenPlanIDs); err != nil {
			result.skipped = append(result.skipped, v1beta1.SkippedOffering{Name: svc.Name, ID: svc.ID, Message: err.Error()})
			continue
		}
		o := convertService(broker.Name, svc)
		o.class.Name = pick(nameOf(existingClasses[svc.ID]), svc.Name, svc.ID)
		if !restrict.allowsClass(o.class) {
			continue
		}
		var plans []*v1beta1.ClusterServicePlan
		for _, plan := range o.plans {
			plan.Name = pick(nameOf(existingPlans[plan.Spec.ExternalID]), o.class.Name+"-"+plan.Spec.ExternalName, plan.Spec.ExternalID)
			plan.Spec.ClusterServiceClassRef.Name = o.class.Name
			if restrict.allowsPlan(plan) {
				plans = append(plans, plan)
			}
		}
		if len(plans) == 0 {
			continue // a class is published only with at least one of its plans
		}
		if err := c.upsertClass(ctx, broker, o.class, existingClasses[svc.ID], now); err != nil {
			return nil, err
		}
		keepClasses[svc.ID] = true
		result.classes++
		for _, plan := range plans {
			if err := c.upsertPlan(ctx, broker, plan, existingPlans[plan.Spec.ExternalID], now); err != nil {
				return nil, err
			}
			keepPlans[plan.Spec.ExternalID] = true
			result.plans++
		}
	}

	for id, plan := range existingPlans {
		if !keepPlans[id] {
			if err := c.markPlanRemoved(ctx, broker, plan); err != nil {
				return nil, err
			}
		}
	}
	for id, class := range existingClasses {
		if !keepClasses[id] {
			if err := c.markClassRemoved(ctx, broker, class); err != nil {
				return nil, err
			}
		}
	}
	return result, nil
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

// existing returns the broker's published classes and plans by external ID.
func (c *Controller) existing(broker string) (map[string]*v1beta1.ClusterServiceClass, map[string]*v1beta1.ClusterServicePlan, error) {
	classes := map[string]*v1beta1.ClusterServiceClass{}
	objs, err := c.cfg.Classes.Informer().GetIndexer().ByIndex(indexes.ByBroker, broker)
	if err != nil {
		return nil, nil, err
	}
	for _, obj := range objs {
		class := obj.(*v1beta1.ClusterServiceClass)
		classes[class.Spec.ExternalID] = class
	}
	plans := map[string]*v1beta1.ClusterServicePlan{}
	objs, err = c.cfg.Plans.Informer().GetIndexer().ByIndex(indexes.ByBroker, broker)
	if err != nil {
		return nil, nil, err
	}
	for _, obj := range objs {
		plan := obj.(*v1beta1.ClusterServicePlan)
		plans[plan.Spec.ExternalID] = plan
	}
	return classes, plans, nil
}

func ownerReference(broker *v1beta1.ClusterServiceBroker) metav1.OwnerReference {
	return metav1.OwnerReference{
		APIVersion:         v1beta1.SchemeGroupVersion.String(),
		Kind:               "ClusterServiceBroker",
		Name:               broker.Name,
		UID:                broker.UID,
		Controller:         ptr.To(true),
		BlockOwnerDeletion: ptr.To(false),
	}
}

func (c *Controller) upsertClass(ctx context.Context, broker *v1beta1.ClusterServiceBroker, want, existing *v1beta1.ClusterServiceClass, now time.Time) error {
	classes := c.cfg.Client.ServicecatalogV1beta1().ClusterServiceClasses()
	if existing == nil {
		want.OwnerReferences = []metav1.OwnerReference{ownerReference(broker)}
		created, err := classes.Create(ctx, want, metav1.CreateOptions{FieldManager: FieldManager})
		if err != nil {
			return fmt.Errorf("creating class %s: %w", want.Name, err)
		}
		created.Status.LastCatalogRetrievalTime = fetchTime(now)
		_, err = classes.UpdateStatus(ctx, created, metav1.UpdateOptions{FieldManager: FieldManager})
		return err
	}
	if !apiequality.Semantic.DeepEqual(existing.Spec, want.Spec) {
		update := existing.DeepCopy()
		update.Spec = want.Spec
		updated, err := classes.Update(ctx, update, metav1.UpdateOptions{FieldManager: FieldManager})
		if err != nil {
			return fmt.Errorf("updating class %s: %w", existing.Name, err)
		}
		existing = updated
	} else if !existing.Status.RemovedFromBrokerCatalog {
		return nil
	}
	status := existing.DeepCopy()
	status.Status.RemovedFromBrokerCatalog = false
	status.Status.LastCatalogRetrievalTime = fetchTime(now)
	_, err := classes.UpdateStatus(ctx, status, metav1.UpdateOptions{FieldManager: FieldManager})
	return err
}

func (c *Controller) upsertPlan(ctx context.Context, broker *v1beta1.ClusterServiceBroker, want, existing *v1beta1.ClusterServicePlan, now time.Time) error {
	plans := c.cfg.Client.ServicecatalogV1beta1().ClusterServicePlans()
	if existing == nil {
		want.OwnerReferences = []metav1.OwnerReference{ownerReference(broker)}
		created, err := plans.Create(ctx, want, metav1.CreateOptions{FieldManager: FieldManager})
		if err != nil {
			return fmt.Errorf("creating plan %s: %w", want.Name, err)
		}
		created.Status.LastCatalogRetrievalTime = fetchTime(now)
		_, err = plans.UpdateStatus(ctx, created, metav1.UpdateOptions{FieldManager: FieldManager})
		return err
	}
	// A plan moved to another class keeps its id; the class reference cannot change, so
	// the old object goes and a new one comes.
	if existing.Spec.ClusterServiceClassRef != want.Spec.ClusterServiceClassRef {
		return fmt.Errorf("plan %q moved from class %s to %s, which the catalog does not support", want.Spec.ExternalID,
			existing.Spec.ClusterServiceClassRef.Name, want.Spec.ClusterServiceClassRef.Name)
	}
	if !apiequality.Semantic.DeepEqual(existing.Spec, want.Spec) {
		update := existing.DeepCopy()
		update.Spec = want.Spec
		updated, err := plans.Update(ctx, update, metav1.UpdateOptions{FieldManager: FieldManager})
		if err != nil {
			return fmt.Errorf("updating plan %s: %w", existing.Name, err)
		}
		existing = updated
	} else if !existing.Status.RemovedFromBrokerCatalog {
		return nil
	}
	status := existing.DeepCopy()
	status.Status.RemovedFromBrokerCatalog = false
	status.Status.LastCatalogRetrievalTime = fetchTime(now)
	_, err := plans.UpdateStatus(ctx, status, metav1.UpdateOptions{FieldManager: FieldManager})
	return err
}

func (c *Controller) markClassRemoved(ctx context.Context, broker *v1beta1.ClusterServiceBroker, class *v1beta1.ClusterServiceClass) error {
	if class.Status.RemovedFromBrokerCatalog {
		return nil
	}
	update := class.DeepCopy()
	update.Status.RemovedFromBrokerCatalog = true
	if _, err := c.cfg.Client.ServicecatalogV1beta1().ClusterServiceClasses().UpdateStatus(ctx, update, metav1.UpdateOptions{FieldManager: FieldManager}); err != nil {
		return err
	}
	c.cfg.Recorder.Eventf(broker, corev1.EventTypeNormal, "ClassRemovedFromCatalog",
		"Class %s (%s) is no longer in the catalog; it is deleted once no instance uses it", class.Name, class.Spec.ExternalName)
	return nil
}

func (c *Controller) markPlanRemoved(ctx context.Context, broker *v1beta1.ClusterServiceBroker, plan *v1beta1.ClusterServicePlan) error {
	if plan.Status.RemovedFromBrokerCatalog {
		return nil
	}
	update := plan.DeepCopy()
	update.Status.RemovedFromBrokerCatalog = true
	if _, err := c.cfg.Client.ServicecatalogV1beta1().ClusterServicePlans().UpdateStatus(ctx, update, metav1.UpdateOptions{FieldManager: FieldManager}); err != nil {
		return err
	}
	c.cfg.Recorder.Eventf(broker, corev1.EventTypeNormal, "PlanRemovedFromCatalog",
		"Plan %s (%s) is no longer in the catalog; existing instances keep working, new ones are refused, and it is deleted once no instance uses it",
		plan.Name, plan.Spec.ExternalName)
	return nil
}

// deleteUnusedRemoved deletes the broker's removed plans that no instance uses, then its
// removed classes that no instance and no plan uses.
func (c *Controller) deleteUnusedRemoved(ctx context.Context, broker *v1beta1.ClusterServiceBroker) error {
	_, plans, err := c.existing(broker.Name)
	if err != nil {
		return err
	}
	for _, plan := range plans {
		if !plan.Status.RemovedFromBrokerCatalog {
			continue
		}
		users, err := c.cfg.Instances.Informer().GetIndexer().ByIndex(indexes.ByPlan, plan.Name)
		if err != nil {
			return err
		}
		if len(users) == 0 {
			if err := c.deletePlan(ctx, plan); err != nil {
				return err
			}
		}
	}
	classes, _, err := c.existing(broker.Name)
	if err != nil {
		return err
	}
	for _, class := range classes {
		if !class.Status.RemovedFromBrokerCatalog {
			continue
		}
		users, err := c.cfg.Instances.Informer().GetIndexer().ByIndex(indexes.ByClass, class.Name)
		if err != nil {
			return err
		}
		plans, err := c.cfg.Plans.Informer().GetIndexer().ByIndex(indexes.ByClass, class.Name)
		if err != nil {
			return err
		}
		if len(users) == 0 && len(plans) == 0 {
			if err := c.deleteClass(ctx, class); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *Controller) deletePlan(ctx context.Context, plan *v1beta1.ClusterServicePlan) error {
	err := c.cfg.Client.ServicecatalogV1beta1().ClusterServicePlans().Delete(ctx, plan.Name,
		metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &plan.UID}})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("deleting plan %s: %w", plan.Name, err)
	}
	klog.FromContext(ctx).V(2).Info("Deleted plan", "plan", plan.Name)
	return nil
}

func (c *Controller) deleteClass(ctx context.Context, class *v1beta1.ClusterServiceClass) error {
	err := c.cfg.Client.ServicecatalogV1beta1().ClusterServiceClasses().Delete(ctx, class.Name,
		metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &class.UID}})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("deleting class %s: %w", class.Name, err)
	}
	klog.FromContext(ctx).V(2).Info("Deleted class", "class", class.Name)
	return nil
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
