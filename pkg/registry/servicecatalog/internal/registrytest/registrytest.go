// Package registrytest holds what the tests of the catalog's strategies share: request
// contexts with a user, and checks of selectable and reset fields.
package registrytest

import (
	"context"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apiserver/pkg/authentication/user"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

// Alice is the user of the requests built by Context.
var Alice = &user.DefaultInfo{
	Name:   "alice",
	UID:    "0b7c5e0e-1111-4c1c-9d0e-a11ce0000001",
	Groups: []string{"developers", "system:authenticated"},
	Extra:  map[string][]string{"scopes": {"read", "write"}},
}

// AliceInfo is Alice as the catalog records her.
func AliceInfo() *sc.UserInfo {
	return &sc.UserInfo{
		Username: "alice",
		UID:      "0b7c5e0e-1111-4c1c-9d0e-a11ce0000001",
		Groups:   []string{"developers", "system:authenticated"},
		Extra:    map[string]sc.ExtraValue{"scopes": {"read", "write"}},
	}
}

// Bob is a second user.
var Bob = &user.DefaultInfo{Name: "bob", UID: "b0b", Groups: []string{"ops"}}

// BobInfo is Bob as the catalog records him.
func BobInfo() *sc.UserInfo {
	return &sc.UserInfo{Username: "bob", UID: "b0b", Groups: []string{"ops"}}
}

// Context returns a request context in namespace (empty for cluster-scoped requests) made
// by u, or by nobody when u is nil.
func Context(namespace string, u user.Info) context.Context {
	ctx := genericapirequest.WithNamespace(genericapirequest.NewContext(), namespace)
	if u != nil {
		ctx = genericapirequest.WithUser(ctx, u)
	}
	return ctx
}

// CheckFieldLabels checks that the fields GetAttrs publishes for a kind are exactly the
// field labels v1beta1 accepts for it, plus metadata.name (and metadata.namespace for
// namespaced kinds). A label accepted but not published selects nothing; a field published
// but not accepted cannot be selected.
func CheckFieldLabels(t *testing.T, kind string, namespaced bool, set fields.Set) {
	t.Helper()
	want := append([]string{"metadata.name"}, v1beta1.FieldLabels(kind)...)
	if namespaced {
		want = append(want, "metadata.namespace")
	}
	for _, label := range want {
		if _, ok := set[label]; !ok {
			t.Errorf("%s: field label %q is accepted but GetAttrs does not publish it", kind, label)
		}
	}
	for label := range set {
		if !slices.Contains(want, label) {
			t.Errorf("%s: GetAttrs publishes %q, which is not an accepted field label", kind, label)
		}
	}
}

// CheckResetFields checks that reset holds, for v1beta1 only, exactly the given paths
// (dot-separated).
func CheckResetFields(t *testing.T, reset map[fieldpath.APIVersion]*fieldpath.Set, paths ...string) {
	t.Helper()
	if len(reset) != 1 {
		t.Errorf("reset fields for %d versions, want 1 (v1beta1): %v", len(reset), reset)
	}
	got, ok := reset[fieldpath.APIVersion(v1beta1.SchemeGroupVersion.String())]
	if !ok {
		t.Fatalf("no reset fields for %s: %v", v1beta1.SchemeGroupVersion, reset)
	}
	want := fieldpath.NewSet()
	for _, p := range paths {
		parts := strings.Split(p, ".")
		elements := make([]interface{}, len(parts))
		for i, part := range parts {
			elements[i] = part
		}
		want.Insert(fieldpath.MakePathOrDie(elements...))
	}
	if !got.Equals(want) {
		t.Errorf("reset fields:\n  got:  %s\n  want: %s", got, want)
	}
}
