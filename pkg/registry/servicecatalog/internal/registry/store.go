package registry

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/internal/idclaim"
)

// Strategy is what a catalog resource's main strategy implements.
type Strategy interface {
	rest.RESTCreateStrategy
	rest.RESTUpdateStrategy
	rest.RESTDeleteStrategy
	rest.ResetFieldsStrategy
}

// StatusStrategy is what a catalog resource's status strategy implements.
type StatusStrategy interface {
	rest.RESTUpdateStrategy
	rest.ResetFieldsStrategy
}

// StoreConfig describes one catalog resource.
type StoreConfig struct {
	// Resource and SingularResource name the resource, e.g. serviceinstances.
	Resource, SingularResource schema.GroupResource
	// NewFunc and NewListFunc return empty internal objects.
	NewFunc, NewListFunc func() runtime.Object
	// Strategy and StatusStrategy govern writes to the resource and to its status.
	Strategy       Strategy
	StatusStrategy StatusStrategy
	// GetAttrs returns the labels and selectable fields of an object.
	GetAttrs storage.AttrFunc
	// TableConvertor prints the resource for kubectl.
	TableConvertor rest.TableConvertor
	// ExternalIDs, when set, makes every object claim its external ID in storage, so
	// that no two objects hold the same one.
	ExternalIDs *idclaim.Kind
}

// NewStores builds the etcd-backed store of a resource and the store of its status
// subresource, which shares the main store's storage.
func NewStores(optsGetter generic.RESTOptionsGetter, cfg StoreConfig) (*genericregistry.Store, *genericregistry.Store, error) {
	store := &genericregistry.Store{
		NewFunc:     cfg.NewFunc,
		NewListFunc: cfg.NewListFunc,
		PredicateFunc: func(label labels.Selector, field fields.Selector) storage.SelectionPredicate {
			return storage.SelectionPredicate{Label: label, Field: field, GetAttrs: cfg.GetAttrs}
		},
		DefaultQualifiedResource:  cfg.Resource,
		SingularQualifiedResource: cfg.SingularResource,

		CreateStrategy:      cfg.Strategy,
		UpdateStrategy:      cfg.Strategy,
		DeleteStrategy:      cfg.Strategy,
		ResetFieldsStrategy: cfg.Strategy,
		TableConvertor:      cfg.TableConvertor,
	}
	if err := store.CompleteWithOptions(&generic.StoreOptions{RESTOptions: optsGetter, AttrFunc: cfg.GetAttrs}); err != nil {
		return nil, nil, err
	}
	if cfg.ExternalIDs != nil {
		if err := idclaim.Install(store, optsGetter, *cfg.ExternalIDs); err != nil {
			return nil, nil, err
		}
	}
	statusStore := *store
	statusStore.UpdateStrategy = cfg.StatusStrategy
	statusStore.ResetFieldsStrategy = cfg.StatusStrategy
	return store, &statusStore, nil
}

// StatusREST serves the status subresource of a catalog resource: get and update only.
type StatusREST struct {
	store *genericregistry.Store
}

// NewStatusREST wraps a status store.
func NewStatusREST(store *genericregistry.Store) *StatusREST {
	return &StatusREST{store: store}
}

var (
	_ rest.Patcher             = &StatusREST{}
	_ rest.Storage             = &StatusREST{}
	_ rest.TableConvertor      = &StatusREST{}
	_ rest.ResetFieldsStrategy = &StatusREST{}
)

// New returns an empty object.
func (r *StatusREST) New() runtime.Object {
	return r.store.New()
}

// Destroy releases the store's resources; the main store owns them.
func (r *StatusREST) Destroy() {}

// Get retrieves the object, so that patches of the status subresource can be applied.
func (r *StatusREST) Get(ctx context.Context, name string, options *metav1.GetOptions) (runtime.Object, error) {
	return r.store.Get(ctx, name, options)
}

// Update changes the status of an object.
func (r *StatusREST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, _ bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	// Status updates never create objects, whatever the caller's forceAllowCreate.
	return r.store.Update(ctx, name, objInfo, createValidation, updateValidation, false, options)
}

// GetResetFields returns the fields a status write cannot set.
func (r *StatusREST) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return r.store.GetResetFields()
}

// ConvertToTable prints the object as the main resource does.
func (r *StatusREST) ConvertToTable(ctx context.Context, object runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	return r.store.ConvertToTable(ctx, object, tableOptions)
}
