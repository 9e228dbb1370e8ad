package app

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
)

// withoutManagedFields drops an object's managedFields before an informer caches it.
// The loops never read them, and a write of an object without them keeps the stored
// ones, so the cache holds about a kilobyte less per object.
func withoutManagedFields(obj any) (any, error) {
	if m, err := meta.Accessor(obj); err == nil {
		m.SetManagedFields(nil)
	}
	return obj, nil
}

// bindingSecretForCache keeps of a binding's credentials Secret what the binding loop
// reads from its informer (that it exists, and which binding controls it), without the
// credentials: the controller manager does not hold every binding's credentials in
// memory, and the cache stays small at any number of bindings. The credentials are
// read from the API when a Secret is written again.
func bindingSecretForCache(obj any) (any, error) {
	if secret, ok := obj.(*corev1.Secret); ok {
		secret.Data, secret.StringData = nil, nil
	}
	return withoutManagedFields(obj)
}
