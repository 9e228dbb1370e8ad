// Package registry holds what the catalog's resource strategies and stores share: the
// provenance stamp, the finalizer, and the construction of a store with its status store.
package registry

import (
	"context"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/storage/names"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

// UserInfoFromContext returns the authenticated user of the request, or nil when the
// request carries none (as in server-internal calls).
func UserInfoFromContext(ctx context.Context) *sc.UserInfo {
	user, ok := genericapirequest.UserFrom(ctx)
	if !ok || user == nil {
		return nil
	}
	info := &sc.UserInfo{
		Username: user.GetName(),
		UID:      user.GetUID(),
		Groups:   slices.Clone(user.GetGroups()),
	}
	if extra := user.GetExtra(); len(extra) > 0 {
		info.Extra = make(map[string]sc.ExtraValue, len(extra))
		for k, v := range extra {
			info.Extra[k] = slices.Clone(v)
		}
	}
	return info
}

// AddFinalizer adds the catalog's finalizer to an object that does not have it yet.
func AddFinalizer(meta *metav1.ObjectMeta) {
	if !slices.Contains(meta.Finalizers, sc.FinalizerServiceCatalog) {
		meta.Finalizers = append(meta.Finalizers, sc.FinalizerServiceCatalog)
	}
}

// apiVersion is the field-path key of the served version.
var apiVersion = fieldpath.APIVersion(v1beta1.SchemeGroupVersion.String())

// MainResetFields are the fields a write to the main resource cannot set: status, and any
// spec fields the server stamps itself.
func MainResetFields(serverOwnedSpecFields ...string) map[fieldpath.APIVersion]*fieldpath.Set {
	set := fieldpath.NewSet(fieldpath.MakePathOrDie("status"))
	for _, f := range serverOwnedSpecFields {
		set.Insert(fieldpath.MakePathOrDie("spec", f))
	}
	return map[fieldpath.APIVersion]*fieldpath.Set{apiVersion: set}
}

// StatusResetFields are the fields a write to the status subresource cannot set.
func StatusResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return map[fieldpath.APIVersion]*fieldpath.Set{apiVersion: fieldpath.NewSet(
		fieldpath.MakePathOrDie("spec"),
		fieldpath.MakePathOrDie("metadata", "labels"),
		fieldpath.MakePathOrDie("metadata", "annotations"),
		fieldpath.MakePathOrDie("metadata", "finalizers"),
		fieldpath.MakePathOrDie("metadata", "ownerReferences"),
	)}
}

// Defaults implements the strategy methods every catalog kind answers the same way; each
// kind's strategy embeds it.
type Defaults struct {
	runtime.ObjectTyper
	names.NameGenerator
	// Namespaced tells whether the kind lives in namespaces.
	Namespaced bool
}

// NewDefaults returns the shared part of a strategy.
func NewDefaults(typer runtime.ObjectTyper, namespaced bool) Defaults {
	return Defaults{ObjectTyper: typer, NameGenerator: names.SimpleNameGenerator, Namespaced: namespaced}
}

// NamespaceScoped tells whether objects of the kind live in namespaces.
func (d Defaults) NamespaceScoped() bool { return d.Namespaced }

// GetResetFields returns the fields a write to the main resource cannot set: the status.
func (Defaults) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return MainResetFields()
}

// WarningsOnCreate returns no warnings.
func (Defaults) WarningsOnCreate(_ context.Context, _ runtime.Object) []string { return nil }

// WarningsOnUpdate returns no warnings.
func (Defaults) WarningsOnUpdate(_ context.Context, _, _ runtime.Object) []string { return nil }

// Canonicalize does nothing: catalog objects have a single representation.
func (Defaults) Canonicalize(_ runtime.Object) {}

// AllowCreateOnUpdate is false: objects are created with POST or server-side apply.
func (Defaults) AllowCreateOnUpdate(_ context.Context) bool { return false }

// AllowUnconditionalUpdate is true: updates need no resourceVersion.
func (Defaults) AllowUnconditionalUpdate(_ context.Context) bool { return true }
