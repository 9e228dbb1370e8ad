package app

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller/servicebinding"
	catalogfake "github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned/fake"
)

var managed = []metav1.ManagedFieldsEntry{{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationApply}}

// TestInformersCacheNoCredentialsNorManagedFields checks what the controller manager's
// informers hold: binding Secrets without their data, and no object with managedFields,
// while what the loops read (names, labels, controller references, specs) stays.
func TestInformersCacheNoCredentialsNorManagedFields(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	owner := metav1.NewControllerRef(&v1beta1.ServiceBinding{ObjectMeta: metav1.ObjectMeta{Name: "b", UID: "u"}},
		v1beta1.SchemeGroupVersion.WithKind("ServiceBinding"))
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "b", Namespace: "ns", ManagedFields: managed,
			Labels: map[string]string{servicebinding.SecretLabel: "b"}, OwnerReferences: []metav1.OwnerReference{*owner}},
		Data: map[string][]byte{"password": []byte("s3cr3t")},
	}
	namespace := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ns", UID: "ns-uid", ManagedFields: managed}}
	instance := &v1beta1.ServiceInstance{
		ObjectMeta: metav1.ObjectMeta{Name: "i", Namespace: "ns", ManagedFields: managed},
		Spec:       v1beta1.ServiceInstanceSpec{ExternalID: "id"},
	}
	f, err := newInformers(0, catalogfake.NewSimpleClientset(instance), fake.NewClientset(secret, namespace))
	if err != nil {
		t.Fatal(err)
	}
	secrets := f.bindingSecrets.Core().V1().Secrets()
	namespaces := f.kube.Core().V1().Namespaces()
	instances := f.catalog.Servicecatalog().V1beta1().ServiceInstances()
	synced := []cache.InformerSynced{secrets.Informer().HasSynced, namespaces.Informer().HasSynced, instances.Informer().HasSynced}
	f.start(ctx)
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		t.Fatal("informers did not sync")
	}
	var cached *corev1.Secret
	if err := wait.PollUntilContextCancel(ctx, 10*time.Millisecond, true, func(context.Context) (bool, error) {
		cached, err = secrets.Lister().Secrets("ns").Get("b")
		return err == nil, nil
	}); err != nil {
		t.Fatalf("the binding Secret never reached the cache: %v", err)
	}
	if cached.Data != nil || cached.ManagedFields != nil {
		t.Errorf("cached binding Secret holds data %v, managedFields %v", cached.Data != nil, cached.ManagedFields != nil)
	}
	if metav1.GetControllerOf(cached) == nil || cached.Labels[servicebinding.SecretLabel] != "b" {
		t.Errorf("cached binding Secret lost what the binding loop reads: %+v", cached.ObjectMeta)
	}
	ns, err := namespaces.Lister().Get("ns")
	if err != nil || ns.ManagedFields != nil || ns.UID != "ns-uid" {
		t.Errorf("cached namespace: %+v, %v", ns, err)
	}
	si, err := instances.Lister().ServiceInstances("ns").Get("i")
	if err != nil || si.ManagedFields != nil || si.Spec.ExternalID != "id" {
		t.Errorf("cached instance: %+v, %v", si, err)
	}
}

// TestCacheTransformsPassTombstonesThrough checks that the transforms leave what is not
// an object (a deletion tombstone) as it is.
func TestCacheTransformsPassTombstonesThrough(t *testing.T) {
	tombstone := cache.DeletedFinalStateUnknown{Key: "ns/b", Obj: &corev1.Secret{}}
	for name, transform := range map[string]cache.TransformFunc{"withoutManagedFields": withoutManagedFields, "bindingSecretForCache": bindingSecretForCache} {
		got, err := transform(tombstone)
		if err != nil || got != tombstone {
			t.Errorf("%s(tombstone) = %v, %v", name, got, err)
		}
	}
}
