package registrytest

import (
	"context"
	"reflect"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/registry/rest"
	"sigs.k8s.io/randfill"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/helper"
)

// Strategy is what a kind's main strategy implements (registry.Strategy, which this
// package cannot import: the registry's tests import this package).
type Strategy interface {
	rest.RESTCreateStrategy
	rest.RESTUpdateStrategy
	rest.ResetFieldsStrategy
}

// StatusStrategy is what a kind's status strategy implements.
type StatusStrategy interface {
	rest.RESTUpdateStrategy
	rest.ResetFieldsStrategy
}

// StrategyFuzz describes the strategies of one kind to FuzzStrategies.
type StrategyFuzz[T runtime.Object] struct {
	// New returns an empty object of the kind.
	New func() T
	// Strategy and Status are the kind's strategies.
	Strategy Strategy
	Status   StatusStrategy
	// GetAttrs is the kind's GetAttrs.
	GetAttrs func(runtime.Object) (labels.Set, fields.Set, error)
	// Finalizer tells whether PrepareForCreate adds the catalog's finalizer.
	Finalizer bool
	// ServerSet names the spec fields the server fills in from the stored object when an
	// update leaves them empty (a client replacing the object from its manifest).
	ServerSet []string
	// Create checks, for the kind, the spec and status of got, which is sent after
	// PrepareForCreate by user (nil when the request has none). When nil, got must have
	// an empty status and the spec sent.
	Create func(t *testing.T, sent, got T, user *sc.UserInfo)
	// Update checks, for the kind, the spec of got, which is sent after PrepareForUpdate
	// of old by user. The status, generation and metadata are checked for every kind.
	// When nil, got must have the spec sent, with old's values of the ServerSet fields
	// the request left empty.
	Update func(t *testing.T, sent, old, got T, user *sc.UserInfo)
}

// FuzzStrategies is the fuzz target of a kind's strategies. From the fuzzer's bytes it
// fills two objects of the kind with arbitrary values (any string, nil or empty slices,
// maps and pointers, raw JSON that is not JSON) and a user or none; the object sent as an
// update has the stored spec (relation%4 == 1), the stored spec without the fields the
// server sets (relation%4 == 2), or a spec of its own. It runs what the generic registry
// runs on a create, an update and a status update, with the checks every kind shares:
//   - nothing panics: not PrepareForCreate, PrepareForUpdate, validation, warnings,
//     Canonicalize, CheckGracefulDelete or GetAttrs (which refuses another kind with an
//     error);
//   - PrepareForCreate starts the generation at 1, adds the finalizer once if the kind
//     has one, and changes no other metadata;
//   - PrepareForUpdate never changes the stored object, keeps its status, bumps the
//     generation exactly when the spec changes (raw JSON compared by value) and changes
//     no metadata;
//   - the status strategy keeps the stored spec, labels, annotations, finalizers, owner
//     references, deletion timestamp and generation, and takes the status as sent.
//
// The kind's own checks (status reset, server-set spec fields, userInfo) are f's Create
// and Update.
func FuzzStrategies[T runtime.Object](f *testing.F, k StrategyFuzz[T]) {
	for relation := range uint8(3) {
		f.Add([]byte{}, false, relation)
		f.Add([]byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09"), true, relation)
		f.Add([]byte("a catalog object filled from these bytes, and another one, with a user"), true, relation)
		f.Add(make([]byte, 256), true, relation)
	}
	f.Fuzz(func(t *testing.T, data []byte, withUser bool, relation uint8) {
		filler := newFiller(data)
		sent, old := k.New(), k.New()
		filler.Fill(sent)
		filler.Fill(old)
		// The update sends the stored spec, or the stored spec without what the server
		// set in it, or (mostly) a spec of its own.
		switch relation % 4 {
		case 1:
			setField(sent, "Spec", Field(copyOf(old), "Spec"))
		case 2:
			setField(sent, "Spec", Field(copyOf(old), "Spec"))
			spec := reflect.ValueOf(sent).Elem().FieldByName("Spec")
			for _, name := range k.ServerSet {
				f := spec.FieldByName(name)
				f.Set(reflect.Zero(f.Type()))
			}
		}
		var u user.Info
		var info *sc.UserInfo
		if withUser {
			du := &user.DefaultInfo{}
			filler.Fill(du)
			u, info = du, recorded(du)
		}
		ctx := Context(namespaceOf(sent), u)

		checkCreate(ctx, t, k, sent, info)
		checkUpdate(ctx, t, k, sent, old, info)
		checkStatusUpdate(ctx, t, k, sent, old)

		if d, ok := k.Strategy.(rest.RESTGracefulDeleteStrategy); ok {
			if d.CheckGracefulDelete(ctx, copyOf(old), &metav1.DeleteOptions{}) {
				t.Fatal("CheckGracefulDelete asks for a graceful deletion")
			}
		}
		_, _, _ = k.GetAttrs(sent)
		if _, _, err := k.GetAttrs(&metav1.Status{}); err == nil {
			t.Fatal("GetAttrs accepts another kind")
		}
		_ = k.Strategy.GetResetFields()
		_ = k.Status.GetResetFields()
	})
}

func checkCreate[T runtime.Object](ctx context.Context, t *testing.T, k StrategyFuzz[T], sent T, info *sc.UserInfo) {
	t.Helper()
	got := copyOf(sent)
	k.Strategy.PrepareForCreate(ctx, got)
	_ = k.Strategy.Validate(ctx, got)
	_ = k.Strategy.WarningsOnCreate(ctx, got)
	k.Strategy.Canonicalize(got)

	sentMeta, gotMeta := Accessor(t, sent), Accessor(t, got)
	if gotMeta.GetGeneration() != 1 {
		t.Fatalf("PrepareForCreate: generation %d, want 1", gotMeta.GetGeneration())
	}
	wantFinalizers := sentMeta.GetFinalizers()
	if k.Finalizer && !slices.Contains(wantFinalizers, sc.FinalizerServiceCatalog) {
		wantFinalizers = append(slices.Clone(wantFinalizers), sc.FinalizerServiceCatalog)
	}
	if !equality.Semantic.DeepEqual(gotMeta.GetFinalizers(), wantFinalizers) {
		t.Fatalf("PrepareForCreate: finalizers %q, want %q", gotMeta.GetFinalizers(), wantFinalizers)
	}
	checkMetadata(t, "PrepareForCreate", sent, got, func(m metav1.Object) {
		m.SetGeneration(sentMeta.GetGeneration())
		m.SetFinalizers(sentMeta.GetFinalizers())
	})
	if k.Create == nil {
		checkCreatedAsSent(t, sent, got)
		return
	}
	k.Create(t, sent, got, info)
}

// checkCreatedAsSent checks that got has an empty status and the spec sent.
func checkCreatedAsSent[T runtime.Object](t *testing.T, sent, got T) {
	t.Helper()
	status := reflect.ValueOf(got).Elem().FieldByName("Status")
	if !status.IsZero() {
		t.Fatalf("status after PrepareForCreate: %#v", status.Interface())
	}
	if !equality.Semantic.DeepEqual(Field(got, "Spec"), Field(sent, "Spec")) {
		t.Fatal("PrepareForCreate changed the spec")
	}
}

func checkUpdate[T runtime.Object](ctx context.Context, t *testing.T, k StrategyFuzz[T], sent, old T, info *sc.UserInfo) {
	t.Helper()
	stored := copyOf(old)
	got := copyOf(sent)
	// rest.BeforeUpdate keeps the stored generation before the strategy runs.
	Accessor(t, got).SetGeneration(Accessor(t, old).GetGeneration())
	k.Strategy.PrepareForUpdate(ctx, got, stored)
	_ = k.Strategy.ValidateUpdate(ctx, got, stored)
	_ = k.Strategy.WarningsOnUpdate(ctx, got, stored)
	k.Strategy.Canonicalize(got)

	if !reflect.DeepEqual(stored, old) {
		t.Fatal("PrepareForUpdate changed the stored object")
	}
	if !reflect.DeepEqual(Field(got, "Status"), Field(old, "Status")) {
		t.Fatal("PrepareForUpdate did not keep the stored status")
	}
	oldGeneration, generation := Accessor(t, old).GetGeneration(), Accessor(t, got).GetGeneration()
	specChanged := !helper.Semantic.DeepEqual(Field(got, "Spec"), Field(old, "Spec"))
	switch {
	case specChanged && generation != oldGeneration+1:
		t.Fatalf("PrepareForUpdate: the spec changed and the generation went from %d to %d", oldGeneration, generation)
	case !specChanged && generation != oldGeneration:
		t.Fatalf("PrepareForUpdate: the spec did not change and the generation went from %d to %d", oldGeneration, generation)
	}
	checkMetadata(t, "PrepareForUpdate", sent, got, func(m metav1.Object) {
		m.SetGeneration(Accessor(t, sent).GetGeneration())
	})
	if k.Update == nil {
		checkUpdatedAsSent(t, k.ServerSet, sent, old, got)
		return
	}
	k.Update(t, sent, old, got, info)
}

// checkUpdatedAsSent checks that got has the spec sent, with old's values of the
// serverSet fields the request left empty.
func checkUpdatedAsSent[T runtime.Object](t *testing.T, serverSet []string, sent, old, got T) {
	t.Helper()
	want := copyOf(sent)
	wantSpec, oldSpec := reflect.ValueOf(want).Elem().FieldByName("Spec"), reflect.ValueOf(old).Elem().FieldByName("Spec")
	for _, name := range serverSet {
		if f := wantSpec.FieldByName(name); f.IsZero() {
			f.Set(oldSpec.FieldByName(name))
		}
	}
	if !equality.Semantic.DeepEqual(Field(got, "Spec"), Field(want, "Spec")) {
		t.Fatalf("spec after PrepareForUpdate:\ngot:  %#v\nwant: %#v", Field(got, "Spec"), Field(want, "Spec"))
	}
}

func checkStatusUpdate[T runtime.Object](ctx context.Context, t *testing.T, k StrategyFuzz[T], sent, old T) {
	t.Helper()
	stored := copyOf(old)
	got := copyOf(sent)
	Accessor(t, got).SetGeneration(Accessor(t, old).GetGeneration())
	k.Status.PrepareForUpdate(ctx, got, stored)
	_ = k.Status.ValidateUpdate(ctx, got, stored)
	_ = k.Status.WarningsOnUpdate(ctx, got, stored)

	if !reflect.DeepEqual(stored, old) {
		t.Fatal("the status strategy changed the stored object")
	}
	if !reflect.DeepEqual(Field(got, "Spec"), Field(old, "Spec")) {
		t.Fatal("the status strategy did not keep the stored spec")
	}
	if !reflect.DeepEqual(Field(got, "Status"), Field(sent, "Status")) {
		t.Fatal("the status strategy changed the status sent")
	}
	oldMeta := Accessor(t, old)
	checkMetadata(t, "the status strategy", sent, got, func(m metav1.Object) {
		sentMeta := Accessor(t, sent)
		if !equality.Semantic.DeepEqual(m.GetLabels(), oldMeta.GetLabels()) ||
			!equality.Semantic.DeepEqual(m.GetAnnotations(), oldMeta.GetAnnotations()) ||
			!equality.Semantic.DeepEqual(m.GetFinalizers(), oldMeta.GetFinalizers()) ||
			!equality.Semantic.DeepEqual(m.GetOwnerReferences(), oldMeta.GetOwnerReferences()) ||
			!equality.Semantic.DeepEqual(m.GetDeletionTimestamp(), oldMeta.GetDeletionTimestamp()) ||
			m.GetGeneration() != oldMeta.GetGeneration() {
			t.Fatal("the status strategy did not keep the stored labels, annotations, finalizers, owner references, deletion timestamp and generation")
		}
		m.SetGeneration(sentMeta.GetGeneration())
		m.SetDeletionTimestamp(sentMeta.GetDeletionTimestamp())
		m.SetSelfLink(sentMeta.GetSelfLink())
		m.SetLabels(sentMeta.GetLabels())
		m.SetAnnotations(sentMeta.GetAnnotations())
		m.SetFinalizers(sentMeta.GetFinalizers())
		m.SetOwnerReferences(sentMeta.GetOwnerReferences())
	})
}

// checkMetadata fails the test unless got's metadata, once undo has reset what the
// strategy may change, is sent's.
func checkMetadata[T runtime.Object](t *testing.T, what string, sent, got T, undo func(metav1.Object)) {
	t.Helper()
	undone := copyOf(got)
	undo(Accessor(t, undone))
	if want, have := Field(sent, "ObjectMeta"), Field(undone, "ObjectMeta"); !reflect.DeepEqual(have, want) {
		t.Fatalf("%s changed metadata it should not:\nsent: %#v\ngot:  %#v", what, want, Field(got, "ObjectMeta"))
	}
}

// recorded returns u as the catalog records it in spec.userInfo.
func recorded(u *user.DefaultInfo) *sc.UserInfo {
	info := &sc.UserInfo{Username: u.Name, UID: u.UID, Groups: slices.Clone(u.Groups)}
	if len(u.Extra) > 0 {
		info.Extra = map[string]sc.ExtraValue{}
		for k, v := range u.Extra {
			info.Extra[k] = slices.Clone(v)
		}
	}
	return info
}

// newFiller returns a filler drawing its randomness from data. Slices and maps get up to
// three elements and pointers are nil a third of the time; raw JSON gets arbitrary bytes.
func newFiller(data []byte) *randfill.Filler {
	return randfill.NewFromGoFuzz(data).NilChance(0.33).NumElements(0, 3).MaxDepth(12).Funcs(
		func(r *runtime.RawExtension, c randfill.Continue) {
			switch c.Intn(4) {
			case 0:
				*r = runtime.RawExtension{}
			case 1:
				*r = runtime.RawExtension{Raw: []byte(`{"a":1.0,"b":[true,null,"x"]}`)}
			case 2:
				*r = runtime.RawExtension{Raw: []byte(`{"b":[true,null,"x"],"a":1}`)}
			default:
				*r = runtime.RawExtension{Raw: []byte(c.String(0))}
			}
		},
	)
}

// copyOf deep-copies an object of the kind.
func copyOf[T runtime.Object](obj T) T {
	return obj.DeepCopyObject().(T)
}

// Accessor returns the metadata of obj.
func Accessor(t *testing.T, obj runtime.Object) metav1.Object {
	t.Helper()
	m, err := meta.Accessor(obj)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// namespaceOf returns the namespace of obj, for the request context.
func namespaceOf(obj runtime.Object) string {
	m, err := meta.Accessor(obj)
	if err != nil {
		return ""
	}
	return m.GetNamespace()
}

// setField sets the named field of the struct obj points to.
func setField(obj runtime.Object, name string, value any) {
	reflect.ValueOf(obj).Elem().FieldByName(name).Set(reflect.ValueOf(value))
}

// Field returns the named field of the struct obj points to, such as Spec or Status.
func Field(obj runtime.Object, name string) any {
	return reflect.ValueOf(obj).Elem().FieldByName(name).Interface()
}
