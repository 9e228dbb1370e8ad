// Package secrets reads the Secrets that bindings write, for kubectl catalog to show:
// their names and the names of their keys, never their values.
package secrets

import (
	"context"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

// Name is the name of the Secret that holds the credentials of b.
func Name(b *v1beta1.ServiceBinding) string {
	if b.Spec.SecretName != "" {
		return b.Spec.SecretName
	}
	return b.Name
}

// Keys returns the sorted names of the keys of the Secret name in namespace.
func Keys(ctx context.Context, kube kubernetes.Interface, namespace, name string) ([]string, error) {
	secret, err := kube.CoreV1().Secrets(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(secret.Data))
	for k := range secret.Data {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys, nil
}
