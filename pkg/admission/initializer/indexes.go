package initializer

import (
	"fmt"

	"k8s.io/client-go/tools/cache"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

// Index names of the reader's informers: the selectable fields they index, as
// catalog.Naming.SelectableField names them. An index of a given name always has the same
// function, so the reader may ask for an index again.
const (
	// byExternalID indexes classes, instances and bindings by spec.externalID.
	byExternalID = "spec.externalID"
	// byExternalName indexes classes by spec.externalName.
	byExternalName = "spec.externalName"
	// byClass indexes plans by spec.clusterServiceClassRef.name.
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
	switch o := obj.(type) {
	case *v1beta1.ClusterServiceClass:
		return nonEmpty(o.Spec.ExternalID), nil
	case *v1beta1.ServiceInstance:
		return nonEmpty(o.Spec.ExternalID), nil
	case *v1beta1.ServiceBinding:
		return nonEmpty(o.Spec.ExternalID), nil
	}
	return nil, fmt.Errorf("%T has no %s index", obj, byExternalID)
}

func indexExternalName(obj any) ([]string, error) {
	if c, ok := obj.(*v1beta1.ClusterServiceClass); ok {
		return nonEmpty(c.Spec.ExternalName), nil
	}
	return nil, fmt.Errorf("%T has no %s index", obj, byExternalName)
}

func indexClass(obj any) ([]string, error) {
	if p, ok := obj.(*v1beta1.ClusterServicePlan); ok {
		return nonEmpty(p.Spec.ClusterServiceClassRef.Name), nil
	}
	return nil, fmt.Errorf("%T has no %s index", obj, byClass)
}

func nonEmpty(value string) []string {
	if value == "" {
		return nil
	}
	return []string{value}
}
