// Package idclaim makes storage refuse a second instance (binding) with an external ID
// already in use. The external ID is the instance_id (binding_id) the broker knows the
// object by; two objects sharing one would let the deletion of either deprovision (unbind)
// what the other stands for.
//
// Each object claims its ID with a key of its own in etcd, named after the ID and created
// in the object's create request, before the object: etcd creates a key once, so of two
// concurrent creates with one ID only one gets the claim, whichever API server replica
// serves them. A claim holds its owner's namespace, name and UID. It is released when
// the create fails and when the object is deleted; a claim whose owner does not exist and
// that is older than any create request can take (one left by a crash) is stale, and the
// next create with its ID replaces it.
package idclaim

import (
	"context"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/google/uuid"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/storage"
	"k8s.io/klog/v2"
)

// InFlight is how long a claim whose owner does not exist yet is taken to belong to a
// create still under way; it is longer than any create request.
const InFlight = 2 * time.Minute

// releaseTimeout bounds the release of a claim after a failed create or a deletion.
const releaseTimeout = 10 * time.Second

// Kind describes the claimed kind.
type Kind struct {
	// Name is the kind, e.g. ServiceInstance; errors name it.
	Name string
	// GroupKind is the kind's group and kind, for errors.
	GroupKind schema.GroupKind
	// ExternalID returns an object's spec.externalID; SetExternalID sets it.
	ExternalID    func(runtime.Object) string
	SetExternalID func(runtime.Object, string)
}

// claims stores the claims of one kind.
type claims struct {
	kind    Kind
	storage storage.Interface
	prefix  string
	// owners is the store of the claimed kind.
	owners *genericregistry.Store
	now    func() time.Time
}

// Install makes store claim the external ID of every object it creates, release it when
// the object is deleted, and close the claims' storage with its own.
func Install(store *genericregistry.Store, optsGetter generic.RESTOptionsGetter, kind Kind) error {
	resource := store.DefaultQualifiedResource
	opts, err := optsGetter.GetRESTOptions(resource, store.New())
	if err != nil {
		return err
	}
	prefix := "/" + resource.Group + "/externalids/" + resource.Resource
	s, destroy, err := generic.NewRawStorage(opts.StorageConfig, store.NewFunc, store.NewListFunc, prefix)
	if err != nil {
		return fmt.Errorf("the storage of %s external ID claims: %w", resource, err)
	}
	c := &claims{kind: kind, storage: s, prefix: prefix, owners: store, now: time.Now}
	store.BeginCreate = c.beginCreate
	store.AfterDelete = c.afterDelete
	destroyStore := store.DestroyFunc
	store.DestroyFunc = func() {
		destroy()
		if destroyStore != nil {
			destroyStore()
		}
	}
	return nil
}

// key is the claim key of an external ID; any ID makes a valid key.
func (c *claims) key(id string) string {
	return c.prefix + "/" + base64.RawURLEncoding.EncodeToString([]byte(id))
}

// beginCreate claims obj's external ID, setting a fresh one first when the spec gives
// none. The returned function releases the claim unless the create succeeded. A dry run
// only checks that the ID is free.
func (c *claims) beginCreate(ctx context.Context, obj runtime.Object, options *metav1.CreateOptions) (genericregistry.FinishFunc, error) {
	owner, err := meta.Accessor(obj)
	if err != nil {
		return nil, err
	}
	id := c.kind.ExternalID(obj)
	if id == "" {
		id = uuid.NewString()
		c.kind.SetExternalID(obj, id)
	}
	if len(options.DryRun) > 0 {
		return finishNothing, c.checkFree(ctx, owner, id)
	}
	if err := c.claim(ctx, owner, id); err != nil {
		return nil, err
	}
	return func(ctx context.Context, success bool) {
		if !success {
			c.release(context.WithoutCancel(ctx), id, owner.GetUID())
		}
	}, nil
}

func finishNothing(context.Context, bool) {}

// claim creates the claim of id for owner. A stale claim is replaced; a live one is an
// error naming spec.externalID.
func (c *claims) claim(ctx context.Context, owner metav1.Object, id string) error {
	for range 3 {
		// No object to read back: decoding what was just written would only cost.
		err := c.storage.Create(ctx, c.key(id), c.newClaim(owner, id), nil, 0)
		if !storage.IsExist(err) {
			return err
		}
		existing, err := c.get(ctx, id)
		if err != nil || existing == nil {
			continue // released meanwhile: try again
		}
		if sameObject(existing, owner) {
			// Creating an object that exists: storage answers AlreadyExists, as usual.
			if o, err := c.owner(ctx, existing); err != nil || o != nil {
				return err
			}
		}
		if live, err := c.live(ctx, existing); err != nil || live {
			return cmpErr(err, c.taken(owner, id))
		}
		if err := c.remove(ctx, id, existing); err != nil && !storage.IsNotFound(err) && !storage.IsInvalidObj(err) {
			return err
		}
	}
	return c.taken(owner, id)
}

// checkFree fails as claim would, without writing.
func (c *claims) checkFree(ctx context.Context, owner metav1.Object, id string) error {
	existing, err := c.get(ctx, id)
	if err != nil || existing == nil {
		return err
	}
	if live, err := c.live(ctx, existing); err != nil || live {
		return cmpErr(err, c.taken(owner, id))
	}
	return nil
}

// cmpErr returns err if not nil, else otherwise.
func cmpErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

// newClaim returns the claim of id by owner: an object of the claimed kind holding the
// owner's namespace, name and UID, and the ID.
func (c *claims) newClaim(owner metav1.Object, id string) runtime.Object {
	claim := c.owners.New()
	m, _ := meta.Accessor(claim)
	m.SetNamespace(owner.GetNamespace())
	m.SetName(owner.GetName())
	m.SetUID(owner.GetUID())
	m.SetCreationTimestamp(metav1.NewTime(c.now()))
	c.kind.SetExternalID(claim, id)
	return claim
}

// get returns the claim of id, or nil if there is none.
func (c *claims) get(ctx context.Context, id string) (metav1.Object, error) {
	claim := c.owners.New()
	if err := c.storage.Get(ctx, c.key(id), storage.GetOptions{IgnoreNotFound: false}, claim); err != nil {
		if storage.IsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	return meta.Accessor(claim)
}

// live reports whether a claim is held: its owner exists, or may be being created.
func (c *claims) live(ctx context.Context, claim metav1.Object) (bool, error) {
	if c.now().Sub(claim.GetCreationTimestamp().Time) < InFlight {
		return true, nil
	}
	owner, err := c.owner(ctx, claim)
	return owner != nil && owner.GetUID() == claim.GetUID(), err
}

// owner returns the object at the claim's namespace and name, or nil if there is none.
func (c *claims) owner(ctx context.Context, claim metav1.Object) (metav1.Object, error) {
	ownerCtx := genericapirequest.WithNamespace(ctx, claim.GetNamespace())
	key, err := c.owners.KeyFunc(ownerCtx, claim.GetName())
	if err != nil {
		return nil, err
	}
	owner := c.owners.New()
	if err := c.owners.Storage.Get(ctx, key, storage.GetOptions{}, owner); err != nil {
		if storage.IsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	return meta.Accessor(owner)
}

// sameObject reports whether a and b have the same namespace and name.
func sameObject(a, b metav1.Object) bool {
	return a.GetNamespace() == b.GetNamespace() && a.GetName() == b.GetName()
}

// remove deletes the stale claim of id, if it is still the one read.
func (c *claims) remove(ctx context.Context, id string, claim metav1.Object) error {
	uid, rv := claim.GetUID(), claim.GetResourceVersion()
	return c.storage.Delete(ctx, c.key(id), c.owners.New(), &storage.Preconditions{UID: &uid, ResourceVersion: &rv},
		storage.ValidateAllObjectFunc, nil, storage.DeleteOptions{})
}

// release deletes the claim of id if owner holds it.
func (c *claims) release(ctx context.Context, id string, owner types.UID) {
	ctx, cancel := context.WithTimeout(ctx, releaseTimeout)
	defer cancel()
	err := c.storage.Delete(ctx, c.key(id), c.owners.New(), &storage.Preconditions{UID: &owner},
		storage.ValidateAllObjectFunc, nil, storage.DeleteOptions{})
	if err != nil && !storage.IsNotFound(err) && !storage.IsInvalidObj(err) {
		// Harmless: a stale claim is replaced by the next create with its ID.
		klog.FromContext(ctx).Error(err, "Releasing an external ID claim", "kind", c.kind.Name)
	}
}

// afterDelete releases the claim of a deleted object.
func (c *claims) afterDelete(obj runtime.Object, _ *metav1.DeleteOptions) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return
	}
	c.release(context.Background(), c.kind.ExternalID(obj), m.GetUID())
}

// taken is the error of a create whose external ID another object holds. It does not
// say which object.
func (c *claims) taken(owner metav1.Object, id string) error {
	return apierrors.NewInvalid(c.kind.GroupKind, owner.GetName(), field.ErrorList{
		field.Invalid(field.NewPath("spec", "externalID"), id, "is already used by another "+c.kind.Name),
	})
}
