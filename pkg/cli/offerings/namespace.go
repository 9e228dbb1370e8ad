package offerings

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/catalog"
	"github.com/kube-service-catalog/catalog/pkg/cli/kinds"
	scclient "github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned/typed/servicecatalog/v1beta1"
)

// namespaceSource reads the ServiceBrokers, ServiceClasses and ServicePlans of a
// namespace, offered in that namespace alone.
type namespaceSource struct {
	client scclient.ServicecatalogV1beta1Interface
}

var _ Source = &namespaceSource{}

func (s *namespaceSource) Scope() Scope { return Namespace }

func (s *namespaceSource) Kinds() (broker, class, plan kinds.Kind) {
	return kinds.ServiceBroker, kinds.ServiceClass, kinds.ServicePlan
}

// Read lists the scope's objects of namespace. Brokers the user may not read leave a
// note; an API server that serves no namespaced brokers has none.
func (s *namespaceSource) Read(ctx context.Context, namespace string) (*Catalog, error) {
	c := &Catalog{Source: s}
	brokers, err := s.client.ServiceBrokers(namespace).List(ctx, metav1.ListOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return c, nil
	case apierrors.IsForbidden(err):
		c.Notes = append(c.Notes, fmt.Sprintf("you may not read ServiceBrokers in %s: their status is not shown", orAll(namespace)))
	case err != nil:
		return nil, err
	default:
		for i := range brokers.Items {
			c.Brokers = append(c.Brokers, newBroker(&brokers.Items[i]))
		}
	}
	classes, err := s.client.ServiceClasses(namespace).List(ctx, metav1.ListOptions{})
	if apierrors.IsForbidden(err) {
		c.Notes = append(c.Notes, fmt.Sprintf("you may not read ServiceClasses in %s: they are not shown", orAll(namespace)))
		return c, nil
	}
	if err != nil {
		return nil, err
	}
	for i := range classes.Items {
		c.Classes = append(c.Classes, newClass(&classes.Items[i]))
	}
	plans, err := s.client.ServicePlans(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	for i := range plans.Items {
		c.Plans = append(c.Plans, newPlan(&plans.Items[i]))
	}
	c.sort()
	return c, nil
}

// orAll names a namespace, "" being every namespace.
func orAll(namespace string) string {
	if namespace == "" {
		return "any namespace"
	}
	return "namespace " + namespace
}

// NotOffered is always empty: a namespace's brokers offer their classes there.
func (s *namespaceSource) NotOffered(context.Context, *Catalog, string) (map[string]string, error) {
	return map[string]string{}, nil
}

func (s *namespaceSource) Resolved(i *v1beta1.ServiceInstance) (Resolution, bool) {
	st := &i.Status
	if st.ServiceClassRef == nil {
		return Resolution{}, false
	}
	r := Resolution{Namespace: i.Namespace, Class: st.ServiceClassRef.Name, Broker: st.ServiceBrokerName}
	if st.ServicePlanRef != nil {
		r.Plan = st.ServicePlanRef.Name
	}
	return r, true
}

func (s *namespaceSource) Named(i *v1beta1.ServiceInstance) (class, plan, by string, ok bool) {
	return named(i, catalog.NamespaceScope)
}

func (s *namespaceSource) SetExternalNames(spec *v1beta1.ServiceInstanceSpec, class, plan string) {
	spec.ServiceClassExternalName = class
	spec.ServicePlanExternalName = plan
}
