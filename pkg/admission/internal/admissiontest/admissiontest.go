// Package admissiontest helps test the catalog's admission plugins: informers and an
// instance getter over a fake clientset, plugin initialization, and admission attributes.
package admissiontest

import (
	"context"
	"fmt"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authentication/user"

	"github.com/kube-service-catalog/catalog/pkg/admission/initializer"
	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/install"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	clientset "github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned"
	"github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned/fake"
	informers "github.com/kube-service-catalog/catalog/pkg/generated/informers/externalversions"
)

// User is the user of the requests Attributes builds.
var User = &user.DefaultInfo{Name: "alice", UID: "uid-alice", Groups: []string{"team-a", user.AllAuthenticated},
	Extra: map[string][]string{"scopes": {"one", "two"}}}

// Initialize gives plugin a fake clientset holding objs (v1beta1 objects), informers and
// an instance getter over it, and checks its initialization. Unless started is false, it starts the informers, waits
// for them to sync, and stops them when the test ends.
func Initialize(t testing.TB, plugin admission.Interface, started bool, objs ...runtime.Object) {
	t.Helper()
	client := fake.NewClientset(objs...)
	f := informers.NewSharedInformerFactory(client, 0)
	initializer.New(initializer.NewCatalogReader(f, client, clientInstances{client})).Initialize(plugin)
	if err := admission.ValidateInitialization(plugin); err != nil {
		t.Fatalf("ValidateInitialization: %v", err)
	}
	if !started {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() {
		cancel()
		f.Shutdown()
	})
	f.Start(ctx.Done())
	for typ, ok := range f.WaitForCacheSync(ctx.Done()) {
		if !ok {
			t.Fatalf("informer of %v did not sync", typ)
		}
	}
}

// Attributes returns the attributes of a request by User to create (old nil) or update
// obj, an internal catalog object.
func Attributes(obj, old runtime.Object) admission.Attributes {
	return AttributesFor(obj, old, "", User)
}

// AttributesFor returns the attributes of a request by u to create (old nil) or update
// obj, or its subresource.
func AttributesFor(obj, old runtime.Object, subresource string, u user.Info) admission.Attributes {
	var kind, resource, namespace, name string
	switch o := obj.(type) {
	case *sc.ServiceInstance:
		kind, resource, namespace, name = "ServiceInstance", "serviceinstances", o.Namespace, o.Name
	case *sc.ServiceBinding:
		kind, resource, namespace, name = "ServiceBinding", "servicebindings", o.Namespace, o.Name
	case *sc.ClusterServiceBroker:
		kind, resource, name = "ClusterServiceBroker", "clusterservicebrokers", o.Name
	case *sc.ServiceBroker:
		kind, resource, namespace, name = "ServiceBroker", "servicebrokers", o.Namespace, o.Name
	default:
		panic(fmt.Sprintf("admissiontest: no attributes for %T", obj))
	}
	op := admission.Create
	if old != nil {
		op = admission.Update
	}
	gv := v1beta1.SchemeGroupVersion
	return admission.NewAttributesRecord(obj, old, gv.WithKind(kind), namespace, name, gv.WithResource(resource),
		subresource, op, nil, false, u)
}

// Validate runs plugin's validation on a if the plugin handles its operation.
func Validate(plugin admission.ValidationInterface, a admission.Attributes) error {
	if !plugin.Handles(a.GetOperation()) {
		return nil
	}
	return plugin.Validate(context.Background(), a, nil)
}

// Admit runs plugin's mutating admission on a if the plugin handles its operation.
func Admit(plugin admission.MutationInterface, a admission.Attributes) error {
	if !plugin.Handles(a.GetOperation()) {
		return nil
	}
	return plugin.Admit(context.Background(), a, nil)
}

// scheme converts the fake clientset's v1beta1 objects to the internal ones plugins get.
var scheme = runtime.NewScheme()

func init() {
	install.Install(scheme)
}

// clientInstances reads instances from a clientset, as the server's storage would return
// them: internal objects.
type clientInstances struct {
	client clientset.Interface
}

// GetServiceInstance reads the instance and converts it to the internal type.
func (c clientInstances) GetServiceInstance(ctx context.Context, namespace, name string) (*sc.ServiceInstance, error) {
	external, err := c.client.ServicecatalogV1beta1().ServiceInstances(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	instance := &sc.ServiceInstance{}
	if err := scheme.Convert(external, instance, nil); err != nil {
		return nil, err
	}
	return instance, nil
}
