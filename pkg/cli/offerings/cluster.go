package offerings

import (
	"context"
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/catalog"
	"github.com/kube-service-catalog/catalog/pkg/cli/kinds"
	scclient "github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned/typed/servicecatalog/v1beta1"
)

// clusterSource reads ClusterServiceBrokers, ClusterServiceClasses and
// ClusterServicePlans.
type clusterSource struct {
	client scclient.ServicecatalogV1beta1Interface
	kube   kubernetes.Interface
}

var _ Source = &clusterSource{}

func (s *clusterSource) Scope() Scope { return Cluster }

func (s *clusterSource) Kinds() (broker, class, plan kinds.Kind) {
	return kinds.ClusterServiceBroker, kinds.ClusterServiceClass, kinds.ClusterServicePlan
}

func (s *clusterSource) Read(ctx context.Context, _ string) (*Catalog, error) {
	c := &Catalog{Source: s}
	brokers, err := s.client.ClusterServiceBrokers().List(ctx, metav1.ListOptions{})
	switch {
	case apierrors.IsForbidden(err):
		c.Notes = append(c.Notes, "you may not read ClusterServiceBrokers: their status is not shown and their namespaceSelector not checked")
	case err != nil:
		return nil, err
	default:
		for i := range brokers.Items {
			c.Brokers = append(c.Brokers, newBroker(&brokers.Items[i]))
		}
	}
	classes, err := s.client.ClusterServiceClasses().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	for i := range classes.Items {
		c.Classes = append(c.Classes, newClass(&classes.Items[i]))
	}
	plans, err := s.client.ClusterServicePlans().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	for i := range plans.Items {
		c.Plans = append(c.Plans, newPlan(&plans.Items[i]))
	}
	c.sort()
	return c, nil
}

// NotOffered applies the brokers' namespaceSelector (catalog.NotOffered) to namespace,
// when the user may read it.
func (s *clusterSource) NotOffered(ctx context.Context, c *Catalog, namespace string) (map[string]string, error) {
	reasons := map[string]string{}
	selecting := slices.ContainsFunc(c.Brokers, func(b Broker) bool {
		return b.Object.(*v1beta1.ClusterServiceBroker).Spec.NamespaceSelector != nil
	})
	if !selecting {
		return reasons, nil
	}
	namespaces, err := s.namespaceLister(ctx, namespace)
	if apierrors.IsForbidden(err) {
		c.Notes = append(c.Notes, fmt.Sprintf("you may not read namespace %s: classes of brokers that offer them only in some namespaces are listed, and may be refused here", namespace))
		return reasons, nil
	}
	if err != nil {
		return nil, err
	}
	for _, b := range c.Brokers {
		why, err := catalog.NotOffered(b.Object.(*v1beta1.ClusterServiceBroker), namespaces, namespace)
		if err != nil {
			return nil, err
		}
		if why != "" {
			reasons[b.Name] = why
		}
	}
	return reasons, nil
}

// namespaceLister reads namespace and returns a lister that holds it.
func (s *clusterSource) namespaceLister(ctx context.Context, namespace string) (corelisters.NamespaceLister, error) {
	ns, err := s.kube.CoreV1().Namespaces().Get(ctx, namespace, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	indexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	if err := indexer.Add(ns); err != nil {
		return nil, err
	}
	return corelisters.NewNamespaceLister(indexer), nil
}

func (s *clusterSource) Resolved(i *v1beta1.ServiceInstance) (Resolution, bool) {
	st := &i.Status
	if st.ClusterServiceClassRef == nil {
		return Resolution{}, false
	}
	r := Resolution{Class: st.ClusterServiceClassRef.Name, Broker: st.ClusterServiceBrokerName}
	if st.ClusterServicePlanRef != nil {
		r.Plan = st.ClusterServicePlanRef.Name
	}
	return r, true
}

func (s *clusterSource) Named(i *v1beta1.ServiceInstance) (class, plan, by string, ok bool) {
	return named(i, catalog.ClusterScope)
}

// named returns the class and plan i's spec names in scope, and how.
func named(i *v1beta1.ServiceInstance, scope catalog.Scope) (class, plan, by string, ok bool) {
	ref := catalog.PlanReference(i.Spec.PlanReference)
	naming := catalog.NamingOf(ref)
	if catalog.ScopeOf(ref) != scope || naming.Class(ref) == "" {
		return "", "", "", false
	}
	return naming.Class(ref), naming.Plan(ref), naming.String(), true
}

func (s *clusterSource) SetExternalNames(spec *v1beta1.ServiceInstanceSpec, class, plan string) {
	spec.ClusterServiceClassExternalName = class
	spec.ClusterServicePlanExternalName = plan
}
