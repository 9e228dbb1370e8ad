package serviceinstance

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller/indexes"
)

// namedForeignBindings is how many bindings of other namespaces a condition names.
const namedForeignBindings = 10

// bindingsOf returns the bindings that bind the instance, of every namespace.
func (c *Controller) bindingsOf(instance *v1beta1.ServiceInstance) ([]*v1beta1.ServiceBinding, error) {
	objs, err := c.cfg.Bindings.Informer().GetIndexer().ByIndex(indexes.ByInstance, indexes.InstanceKey(instance.Namespace, instance.Name))
	if err != nil {
		return nil, err
	}
	bindings := make([]*v1beta1.ServiceBinding, 0, len(objs))
	for _, o := range objs {
		bindings = append(bindings, o.(*v1beta1.ServiceBinding))
	}
	return bindings, nil
}

// sharedWith returns the bindings of other namespaces among bindings, sorted.
func sharedWith(bindings []*v1beta1.ServiceBinding) []v1beta1.NamespacedObjectReference {
	var refs []v1beta1.NamespacedObjectReference
	for _, b := range bindings {
		if b.SharesInstance() {
			refs = append(refs, v1beta1.NamespacedObjectReference{Namespace: b.Namespace, Name: b.Name})
		}
	}
	slices.SortFunc(refs, func(a, b v1beta1.NamespacedObjectReference) int {
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	return refs
}

// noteSharing records in status the bindings of other namespaces that bind the instance,
// so that its own namespace sees who uses it. It returns the instance as written.
func (c *Controller) noteSharing(ctx context.Context, instance *v1beta1.ServiceInstance) (*v1beta1.ServiceInstance, error) {
	bindings, err := c.bindingsOf(instance)
	if err != nil {
		return instance, err
	}
	refs := sharedWith(bindings)
	if slices.Equal(refs, instance.Status.SharedWith) {
		return instance, nil
	}
	instance.Status.SharedWith = refs
	return c.ops.UpdateStatus(ctx, instance)
}

// remainingBindings says which bindings hold back the instance's deletion, naming those
// of other namespaces, whose owners the instance's namespace may not know.
func remainingBindings(bindings []*v1beta1.ServiceBinding, foreign []v1beta1.NamespacedObjectReference) string {
	message := "The instance still has " + count(len(bindings), "binding")
	if len(foreign) == 0 {
		return message
	}
	names := make([]string, 0, namedForeignBindings)
	for _, ref := range foreign[:min(len(foreign), namedForeignBindings)] {
		names = append(names, ref.Namespace+"/"+ref.Name)
	}
	if more := len(foreign) - len(names); more > 0 {
		names = append(names, fmt.Sprintf("and %d more", more))
	}
	return fmt.Sprintf("%s (%d in other namespaces: %s)", message, len(foreign), strings.Join(names, ", "))
}
