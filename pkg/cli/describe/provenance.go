package describe

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/catalog"
	"github.com/kube-service-catalog/catalog/pkg/cli/clients"
)

// madeWith writes which version of its plan's catalog entry an object was made with, the
// request that made it, and whether the broker's entry changed since: made is what the
// broker acknowledged, plan the plan as the catalog has it now (nil when it has none).
// Objects made before the catalog recorded digests say nothing.
func (p *page) madeWith(made *v1beta1.PropertiesState, planName string, plan *catalog.Plan) {
	if made == nil || made.PlanDigest == "" {
		return
	}
	line := fmt.Sprintf("plan %s as fetched %s (%s)", planName, p.at(made.PlanRetrievalTime), shortDigest(made.PlanDigest))
	if made.RequestIdentity != "" {
		line += ", request " + made.RequestIdentity
	}
	switch {
	case plan == nil:
		line += "; the plan is no longer in the catalog"
	case plan.Status.CatalogDigest == made.PlanDigest:
		line += "; the broker's entry is unchanged"
	default:
		line += fmt.Sprintf("; the broker's entry changed since (now %s, fetched %s)", shortDigest(plan.Status.CatalogDigest), p.at(plan.Status.LastCatalogRetrievalTime))
	}
	p.field("Made With", line)
}

// at is a time in RFC 3339, or "<unknown>".
func (p *page) at(t *metav1.Time) string {
	if t == nil || t.IsZero() {
		return "<unknown>"
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

// shortDigest shortens "sha256:<64 hex>" to its first 12 hex digits, as image digests
// are shown.
func shortDigest(d string) string {
	hex := strings.TrimPrefix(d, "sha256:")
	if len(hex) > 12 {
		hex = hex[:12]
	}
	return "sha256:" + hex
}

// resolvedPlan reads the plan an instance was resolved to, of either scope; nil when it
// was resolved to none or the plan is gone.
func resolvedPlan(ctx context.Context, set *clients.Set, i *v1beta1.ServiceInstance) (*catalog.Plan, error) {
	sc := set.Catalog.ServicecatalogV1beta1()
	var obj any
	var err error
	switch {
	case i.Status.ServicePlanRef != nil:
		obj, err = sc.ServicePlans(i.Namespace).Get(ctx, i.Status.ServicePlanRef.Name, metav1.GetOptions{})
	case i.Status.ClusterServicePlanRef != nil:
		obj, err = sc.ClusterServicePlans().Get(ctx, i.Status.ClusterServicePlanRef.Name, metav1.GetOptions{})
	default:
		return nil, nil
	}
	if apierrors.IsNotFound(err) || apierrors.IsForbidden(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	plan, _ := catalog.PlanOf(obj)
	return plan, nil
}

// planExternalName is the external name of the plan an instance was made with.
func planExternalName(i *v1beta1.ServiceInstance) string {
	if e := i.Status.ExternalProperties; e != nil && e.ClusterServicePlanExternalName != "" {
		return e.ClusterServicePlanExternalName
	}
	return "<unknown>"
}
