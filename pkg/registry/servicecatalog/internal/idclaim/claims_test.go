package idclaim

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/storage"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
)

// memStorage keeps objects in a map: the part of storage.Interface claims use.
type memStorage struct {
	storage.Interface
	objects map[string]runtime.Object
	rv      int
}

func newMemStorage() *memStorage { return &memStorage{objects: map[string]runtime.Object{}} }

func (m *memStorage) Create(_ context.Context, key string, obj, out runtime.Object, _ uint64) error {
	if _, ok := m.objects[key]; ok {
		return storage.NewKeyExistsError(key, 0)
	}
	m.rv++
	stored := obj.DeepCopyObject()
	a, _ := meta.Accessor(stored)
	a.SetResourceVersion(strconv.Itoa(m.rv))
	m.objects[key] = stored
	if out == nil { // as in storage.Interface: out is optional
		return nil
	}
	return copyInto(stored, out)
}

func (m *memStorage) Get(_ context.Context, key string, _ storage.GetOptions, out runtime.Object) error {
	obj, ok := m.objects[key]
	if !ok {
		return storage.NewKeyNotFoundError(key, 0)
	}
	return copyInto(obj, out)
}

func (m *memStorage) Delete(_ context.Context, key string, out runtime.Object, p *storage.Preconditions, _ storage.ValidateObjectFunc, _ runtime.Object, _ storage.DeleteOptions) error {
	obj, ok := m.objects[key]
	if !ok {
		return storage.NewKeyNotFoundError(key, 0)
	}
	if p != nil {
		if err := p.Check(key, obj); err != nil {
			return err
		}
	}
	delete(m.objects, key)
	return copyInto(obj, out)
}

func copyInto(from, to runtime.Object) error {
	*(to.(*sc.ServiceInstance)) = *(from.DeepCopyObject().(*sc.ServiceInstance))
	return nil
}

// fixture is a claims of instances over memory, with a clock the test moves.
type fixture struct {
	*claims
	claimStore, instanceStore *memStorage
	clock                     time.Time
}

func newFixture() *fixture {
	f := &fixture{claimStore: newMemStorage(), instanceStore: newMemStorage(), clock: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	owners := &genericregistry.Store{
		NewFunc: func() runtime.Object { return &sc.ServiceInstance{} },
		KeyFunc: func(ctx context.Context, name string) (string, error) {
			return "/instances/" + genericapirequest.NamespaceValue(ctx) + "/" + name, nil
		},
		Storage: genericregistry.DryRunnableStorage{Storage: f.instanceStore},
	}
	f.claims = &claims{
		kind: Kind{
			Name: "ServiceInstance", GroupKind: sc.Kind("ServiceInstance"),
			ExternalID:    func(obj runtime.Object) string { return obj.(*sc.ServiceInstance).Spec.ExternalID },
			SetExternalID: func(obj runtime.Object, id string) { obj.(*sc.ServiceInstance).Spec.ExternalID = id },
		},
		storage: f.claimStore, prefix: "/claims", owners: owners,
		now: func() time.Time { return f.clock },
	}
	return f
}

func instance(ns, name, uid, id string) *sc.ServiceInstance {
	return &sc.ServiceInstance{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID(uid)},
		Spec:       sc.ServiceInstanceSpec{ExternalID: id},
	}
}

// create runs a create of i as the store does: claim, then write the object if write.
func (f *fixture) create(t *testing.T, i *sc.ServiceInstance, write bool, dryRun ...string) error {
	t.Helper()
	finish, err := f.beginCreate(context.Background(), i, &metav1.CreateOptions{DryRun: dryRun})
	if err != nil {
		return err
	}
	if write && len(dryRun) == 0 {
		key, _ := f.owners.KeyFunc(genericapirequest.WithNamespace(context.Background(), i.Namespace), i.Name)
		if err := f.instanceStore.Create(context.Background(), key, i, &sc.ServiceInstance{}, 0); err != nil {
			finish(context.Background(), false)
			return err
		}
	}
	finish(context.Background(), write)
	return nil
}

// holder returns the UID of the claim of id, or "" if there is none.
func (f *fixture) holder(id string) types.UID {
	obj, ok := f.claimStore.objects[f.key(id)]
	if !ok {
		return ""
	}
	return obj.(*sc.ServiceInstance).UID
}

func isTaken(err error) bool {
	return apierrors.IsInvalid(err) && strings.Contains(err.Error(), `spec.externalID: Invalid value: "id-1": is already used by another ServiceInstance`)
}

func TestOneClaimPerID(t *testing.T) {
	f := newFixture()
	if err := f.create(t, instance("a", "db", "uid-a", "id-1"), true); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		after time.Duration
	}{{"at once", 0}, {"long after", 10 * InFlight}} {
		f.clock = f.clock.Add(tc.after)
		if err := f.create(t, instance("b", "db", "uid-b", "id-1"), true); !isTaken(err) {
			t.Errorf("%s: a second object with the ID: %v, want 422 on spec.externalID", tc.name, err)
		}
	}
	if err := f.create(t, instance("a", "db", "uid-a2", "id-1"), false); err != nil {
		t.Errorf("creating the same object again must reach storage, which answers AlreadyExists: %v", err)
	}
	if f.holder("id-1") != "uid-a" {
		t.Errorf("the claim is held by %q, want uid-a", f.holder("id-1"))
	}
}

func TestACreateThatFailsReleasesItsClaim(t *testing.T) {
	f := newFixture()
	f.instanceStore.objects["/instances/a/db"] = instance("a", "db", "uid-old", "other")
	if err := f.create(t, instance("a", "db", "uid-a", "id-1"), true); !storage.IsExist(err) {
		t.Fatalf("create over an existing name: %v", err)
	}
	if h := f.holder("id-1"); h != "" {
		t.Errorf("a failed create left a claim held by %q", h)
	}
}

func TestAStaleClaimIsReplaced(t *testing.T) {
	for _, tc := range []struct {
		name string
		// owner is the object at the claim's namespace and name, if any.
		owner *sc.ServiceInstance
	}{
		{"owner never written", nil},
		{"owner replaced by another object of that name", instance("a", "db", "uid-other", "other")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture()
			// A create that claimed its ID, then ended with its server before it wrote
			// the object or released the claim.
			if _, err := f.beginCreate(context.Background(), instance("a", "db", "uid-a", "id-1"), &metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			if tc.owner != nil {
				f.instanceStore.objects["/instances/a/db"] = tc.owner
			}
			// Just after, the claim may belong to a create under way.
			if err := f.create(t, instance("b", "db", "uid-b", "id-1"), true); !isTaken(err) {
				t.Fatalf("a claim younger than %s: %v, want taken", InFlight, err)
			}
			f.clock = f.clock.Add(InFlight)
			if err := f.create(t, instance("b", "db", "uid-b", "id-1"), true); err != nil {
				t.Fatalf("a stale claim: %v", err)
			}
			if f.holder("id-1") != "uid-b" {
				t.Errorf("the claim is held by %q, want uid-b", f.holder("id-1"))
			}
		})
	}
}

func TestADeletedObjectReleasesOnlyItsOwnClaim(t *testing.T) {
	f := newFixture()
	if err := f.create(t, instance("a", "db", "uid-a", "id-1"), true); err != nil {
		t.Fatal(err)
	}
	f.afterDelete(instance("x", "copy", "uid-x", "id-1"), nil)
	if f.holder("id-1") != "uid-a" {
		t.Fatalf("another object's deletion released the claim")
	}
	f.afterDelete(instance("a", "db", "uid-a", "id-1"), nil)
	if h := f.holder("id-1"); h != "" {
		t.Errorf("the claim outlived its object: held by %q", h)
	}
}

func TestADryRunWritesNoClaim(t *testing.T) {
	f := newFixture()
	if err := f.create(t, instance("a", "db", "uid-a", "id-1"), true, metav1.DryRunAll); err != nil {
		t.Fatal(err)
	}
	if len(f.claimStore.objects) != 0 {
		t.Fatalf("a dry run wrote %v", f.claimStore.objects)
	}
	if err := f.create(t, instance("a", "db", "uid-a", "id-1"), true); err != nil {
		t.Fatal(err)
	}
	if err := f.create(t, instance("b", "db", "uid-b", "id-1"), true, metav1.DryRunAll); !isTaken(err) {
		t.Errorf("a dry run with a taken ID: %v, want taken", err)
	}
}

func TestAnObjectWithoutIDGetsAFreshOne(t *testing.T) {
	f := newFixture()
	i := instance("a", "db", "uid-a", "")
	if err := f.create(t, i, true); err != nil {
		t.Fatal(err)
	}
	if i.Spec.ExternalID == "" || f.holder(i.Spec.ExternalID) != "uid-a" {
		t.Errorf("external ID %q, claimed by %q", i.Spec.ExternalID, f.holder(i.Spec.ExternalID))
	}
}
