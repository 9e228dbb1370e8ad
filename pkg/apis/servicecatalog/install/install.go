// Package install registers the servicecatalog.k8s.io API group with a scheme.
package install

import (
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

// Install registers the internal types and every served version of the group, with
// v1beta1 preferred.
func Install(scheme *runtime.Scheme) {
	utilruntime.Must(servicecatalog.AddToScheme(scheme))
	utilruntime.Must(v1beta1.AddToScheme(scheme))
	utilruntime.Must(scheme.SetVersionPriority(v1beta1.SchemeGroupVersion))
}
