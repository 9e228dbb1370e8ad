package initializer

import (
	"fmt"

	"k8s.io/client-go/tools/cache"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/catalog"
)

// Index names of the reader's informers: the selectable fields they index, as
// catalog.Naming.SelectableField names them. An index of a given name always has the same
// function, so the reader may ask for an index again. The indexes of namespaced classes
// and plans are keyed "namespace/value", those of cluster-wide ones "value" (see
// catalog.Key), so that a namespaced class is found only in its namespace.
const (
	// byExternalID indexes classes, instances and bindings by spec.externalID.
	byExternalID = "spec.externalID"
	// byExternalName indexes classes by spec.externalName.
	byExternalName = "spec.externalName"
	// byClass indexes plans by the class they belong to: spec.clusterServiceClassRef.name
	// or spec.serviceClassRef.name.
	byClass = "spec.clusterServiceClassRef.name"
)

var indexFuncs = cache.Indexers{
	byExternalID:   indexExternalID,
	byExternalName: indexExternalName,
	byClass:        indexClass,
}

// addIndexes adds the named indexes to informer, except those it has already. Call it
// before the informer starts.
func addIndexes(informer cache.SharedIndexInformer, names ...string) error {
	have := informer.GetIndexer().GetIndexers()
	missing := cache.Indexers{}
	for _, name := range names {
		f, ok := indexFuncs[name]
		if !ok {
			return fmt.Errorf("no index %q", name)
		}
		if _, ok := have[name]; !ok {
			missing[name] = f
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return informer.AddIndexers(missing)
}

func indexExternalID(obj any) ([]string, error) {
	if c, ok := catalog.ClassOf(obj); ok {
		return key(c.Namespace, c.Spec.ExternalID), nil
	}
	switch o := obj.(type) {
	case *v1beta1.ServiceInstance:
		return key("", o.Spec.ExternalID), nil
	case *v1beta1.ServiceBinding:
		return key("", o.Spec.ExternalID), nil
	}
	return nil, fmt.Errorf("%T has no %s index", obj, byExternalID)
}

func indexExternalName(obj any) ([]string, error) {
	if c, ok := catalog.ClassOf(obj); ok {
		return key(c.Namespace, c.Spec.ExternalName), nil
	}
	return nil, fmt.Errorf("%T has no %s index", obj, byExternalName)
}

func indexClass(obj any) ([]string, error) {
	if p, ok := catalog.PlanOf(obj); ok {
		return key(p.Namespace, p.ClassName), nil
	}
	return nil, fmt.Errorf("%T has no %s index", obj, byClass)
}

// key returns the index key of a value in namespace ("" for a cluster-wide object), or
// none for an empty value.
func key(namespace, value string) []string {
	if value == "" {
		return nil
	}
	return []string{catalog.Key(namespace, value)}
}
