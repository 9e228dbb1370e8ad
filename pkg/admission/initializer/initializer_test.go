package initializer

import (
	"context"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/admission"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned/fake"
	informers "github.com/kube-service-catalog/catalog/pkg/generated/informers/externalversions"
)

type wantsReader struct {
	*admission.Handler
	reader *CatalogReader
}

func (w *wantsReader) SetCatalogReader(r *CatalogReader) { w.reader = r }
func (w *wantsReader) ValidateInitialization() error     { return nil }

func TestInitialize(t *testing.T) {
	client := fake.NewClientset()
	reader := NewCatalogReader(informers.NewSharedInformerFactory(client, 0), client, &StoredInstances{})
	wants := &wantsReader{Handler: admission.NewHandler()}
	New(reader).Initialize(wants)
	if wants.reader != reader {
		t.Error("the plugin did not get the reader")
	}
	// A plugin that wants nothing is left alone.
	New(reader).Initialize(admission.NewHandler())
}

func TestAddIndexes(t *testing.T) {
	f := informers.NewSharedInformerFactory(fake.NewClientset(
		&v1beta1.ClusterServiceClass{ObjectMeta: metav1.ObjectMeta{Name: "a"},
			Spec: v1beta1.ClusterServiceClassSpec{CommonServiceClassSpec: v1beta1.CommonServiceClassSpec{ExternalName: "db", ExternalID: "id-a"}}},
		&v1beta1.ClusterServiceClass{ObjectMeta: metav1.ObjectMeta{Name: "b"},
			Spec: v1beta1.ClusterServiceClassSpec{CommonServiceClassSpec: v1beta1.CommonServiceClassSpec{ExternalName: "db"}}},
	), 0)
	classes := f.Servicecatalog().V1beta1().ClusterServiceClasses().Informer()
	if err := addIndexes(classes, byExternalName); err != nil {
		t.Fatal(err)
	}
	// Asking again, as a second plugin would, is fine.
	if err := addIndexes(classes, byExternalName, byExternalID); err != nil {
		t.Fatalf("adding an index again: %v", err)
	}
	if err := addIndexes(classes, "nosuch"); err == nil {
		t.Error("no error for an unknown index")
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.Start(ctx.Done())
	f.WaitForCacheSync(ctx.Done())
	names := func(index, value string) []string {
		objs, err := classes.GetIndexer().ByIndex(index, value)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, o := range objs {
			out = append(out, o.(*v1beta1.ClusterServiceClass).Name)
		}
		slices.Sort(out)
		return out
	}
	if got := names(byExternalName, "db"); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("by external name: %v", got)
	}
	if got := names(byExternalID, "id-a"); !slices.Equal(got, []string{"a"}) {
		t.Errorf("by external ID: %v", got)
	}
	// Empty values are not indexed.
	if got := names(byExternalID, ""); len(got) != 0 {
		t.Errorf("by empty external ID: %v", got)
	}
}

func TestIndexFuncsRefuseOtherTypes(t *testing.T) {
	plan := &v1beta1.ClusterServicePlan{}
	for name, f := range indexFuncs {
		if name == byClass {
			continue
		}
		if _, err := f(plan); err == nil {
			t.Errorf("%s indexes a plan", name)
		}
	}
	if _, err := indexClass(&v1beta1.ClusterServiceClass{}); err == nil {
		t.Errorf("%s indexes a class", byClass)
	}
	if _, err := indexClass(&v1beta1.ServiceClass{}); err == nil {
		t.Errorf("%s indexes a namespaced class", byClass)
	}
	if _, err := indexExternalName(&v1beta1.ServicePlan{}); err == nil {
		t.Errorf("%s indexes a namespaced plan", byExternalName)
	}
}
