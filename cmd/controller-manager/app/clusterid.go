package app

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// clusterIDKey is the ConfigMap key holding the cluster ID.
const clusterIDKey = "clusterID"

// ensureClusterID returns the cluster ID kept in a ConfigMap, creating it on first start.
// Brokers see it as context.clusterid and organization_guid; it must stay stable.
func ensureClusterID(ctx context.Context, client kubernetes.Interface, namespace, name string) (string, error) {
	configMaps := client.CoreV1().ConfigMaps(namespace)
	for {
		cm, err := configMaps.Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			if id := cm.Data[clusterIDKey]; id != "" {
				return id, nil
			}
			return "", fmt.Errorf("ConfigMap %s/%s has no %q key", namespace, name, clusterIDKey)
		}
		if !apierrors.IsNotFound(err) {
			return "", fmt.Errorf("reading the cluster ID from ConfigMap %s/%s: %w", namespace, name, err)
		}
		cm = &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
			Data:       map[string]string{clusterIDKey: uuid.NewString()},
		}
		if _, err := configMaps.Create(ctx, cm, metav1.CreateOptions{}); err == nil {
			return cm.Data[clusterIDKey], nil
		} else if !apierrors.IsAlreadyExists(err) {
			return "", fmt.Errorf("creating the cluster ID ConfigMap %s/%s: %w", namespace, name, err)
		}
		// Another instance created it first: read theirs.
	}
}
