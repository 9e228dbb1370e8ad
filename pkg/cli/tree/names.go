package tree

import (
	"context"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/cli/secrets"
)

// name is an object's name, with its namespace when every namespace is shown.
func (b *builder) name(namespace, name string) string {
	if b.allNamespaces {
		return namespace + "/" + name
	}
	return name
}

// secret says whether the Secret of sb exists, and names its keys (never their
// values).
func (b *builder) secret(ctx context.Context, sb *v1beta1.ServiceBinding) string {
	keys, err := secrets.Keys(ctx, b.set.Kube, sb.Namespace, secrets.Name(sb))
	switch {
	case apierrors.IsNotFound(err):
		return "not written yet"
	case apierrors.IsForbidden(err):
		return "forbidden"
	case err != nil:
		return err.Error()
	}
	return "keys: " + strings.Join(keys, ", ")
}

// qualified is namespace/name, or name for a cluster object.
func qualified(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace + "/" + name
}

// removedMark marks what the broker no longer offers.
func removedMark(removed bool) string {
	if removed {
		return " (removed from the broker's catalog)"
	}
	return ""
}

func cmpStrings(a, b string) int {
	return strings.Compare(a, b)
}
