package initializer

import (
	"context"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/admission"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	clientset "github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned"
	"github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned/fake"
	informers "github.com/kube-service-catalog/catalog/pkg/generated/informers/externalversions"
)

type wantsAll struct {
	*admission.Handler
	f         informers.SharedInformerFactory
	client    clientset.Interface
	instances ServiceInstanceGetter
}

func (w *wantsAll) SetInformerFactory(f informers.SharedInformerFactory) { w.f = f }
func (w *wantsAll) SetCatalogClient(c clientset.Interface)               { w.client = c }
func (w *wantsAll) SetServiceInstanceGetter(g ServiceInstanceGetter)     { w.instances = g }
func (w *wantsAll) ValidateInitialization() error                        { return nil }

func TestInitialize(t *testing.T) {
	client := fake.NewClientset()
	f := informers.NewSharedInformerFactory(client, 0)
	instances := &StoredInstances{}
	wants := &wantsAll{Handler: admission.NewHandler()}
	New(f, client, instances).Initialize(wants)
	if wants.f != f || wants.client != client || wants.instances != instances {
		t.Error("the plugin did not get the factory, the client and the instance getter")
	}
	// A plugin that wants nothing is left alone.
	New(f, client, instances).Initialize(admission.NewHandler())
}

func TestAddIndexes(t *testing.T) {
	f := informers.NewSharedInformerFactory(fake.NewClientset(
		&v1beta1.ClusterServiceClass{ObjectMeta: metav1.ObjectMeta{Name: "a"},
			Spec: v1beta1.ClusterServiceClassSpec{CommonServiceClassSpec: v1beta1.CommonServiceClassSpec{ExternalName: "db", ExternalID: "id-a"}}},
		&v1beta1.ClusterServiceClass{ObjectMeta: metav1.ObjectMeta{Name: "b"},
			Spec: v1beta1.ClusterServiceClassSpec{CommonServiceClassSpec: v1beta1.CommonServiceClassSpec{ExternalName: "db"}}},
	), 0)
	classes := f.Servicecatalog().V1beta1().ClusterServiceClasses().Informer()
	if err := AddIndexes(classes, ByExternalName); err != nil {
		t.Fatal(err)
	}
	// Asking again, as a second plugin would, is fine.
	if err := AddIndexes(classes, ByExternalName, ByExternalID); err != nil {
		t.Fatalf("adding an index again: %v", err)
	}
	if err := AddIndexes(classes, "nosuch"); err == nil {
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
	if got := names(ByExternalName, "db"); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("by external name: %v", got)
	}
	if got := names(ByExternalID, "id-a"); !slices.Equal(got, []string{"a"}) {
		t.Errorf("by external ID: %v", got)
	}
	// Empty values are not indexed.
	if got := names(ByExternalID, ""); len(got) != 0 {
		t.Errorf("by empty external ID: %v", got)
	}
}

func TestIndexFuncsRefuseOtherTypes(t *testing.T) {
	plan := &v1beta1.ClusterServicePlan{}
	for name, f := range indexFuncs {
		if name == ByClass {
			continue
		}
		if _, err := f(plan); err == nil {
			t.Errorf("%s indexes a plan", name)
		}
	}
	if _, err := indexClass(&v1beta1.ClusterServiceClass{}); err == nil {
		t.Errorf("%s indexes a class", ByClass)
	}
}
