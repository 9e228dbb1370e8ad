package catalog

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	corelisters "k8s.io/client-go/listers/core/v1"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

// NotOffered says why broker does not offer its classes in namespace, or "" when it does.
func NotOffered(broker *v1beta1.ClusterServiceBroker, namespaces corelisters.NamespaceLister, namespace string) (string, error) {
	if broker.Spec.NamespaceSelector == nil {
		return "", nil
	}
	selector, err := metav1.LabelSelectorAsSelector(broker.Spec.NamespaceSelector)
	if err != nil {
		return "", fmt.Errorf("broker %s: namespaceSelector: %w", broker.Name, err)
	}
	ns, err := namespaces.Get(namespace)
	if err != nil {
		return "", fmt.Errorf("reading namespace %s: %w", namespace, err)
	}
	if selector.Matches(labels.Set(ns.Labels)) {
		return "", nil
	}
	return fmt.Sprintf("broker %s offers its classes only in namespaces whose labels match %s; namespace %s does not", broker.Name, selector, namespace), nil
}
