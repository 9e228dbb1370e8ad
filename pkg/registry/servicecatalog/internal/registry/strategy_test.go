package registry

import (
	"reflect"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authentication/user"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/internal/registrytest"
)

func TestUserInfoFromContext(t *testing.T) {
	if got := UserInfoFromContext(genericapirequest.NewContext()); got != nil {
		t.Errorf("without a user: got %+v, want nil", got)
	}

	u := &user.DefaultInfo{
		Name:   "alice",
		UID:    "uid-1",
		Groups: []string{"developers"},
		Extra:  map[string][]string{"scopes": {"read"}},
	}
	got := UserInfoFromContext(genericapirequest.WithUser(genericapirequest.NewContext(), u))
	want := &sc.UserInfo{
		Username: "alice",
		UID:      "uid-1",
		Groups:   []string{"developers"},
		Extra:    map[string]sc.ExtraValue{"scopes": {"read"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}

	// The stamp is a copy: the authenticator's user may be shared between requests.
	u.Groups[0] = "admins"
	u.Extra["scopes"][0] = "admin"
	if got.Groups[0] != "developers" || got.Extra["scopes"][0] != "read" {
		t.Errorf("the stamp shares memory with the request's user: %+v", got)
	}

	bare := UserInfoFromContext(registrytest.Context("", &user.DefaultInfo{Name: "system:anonymous"}))
	if bare == nil || bare.Username != "system:anonymous" || bare.Extra != nil || bare.Groups != nil {
		t.Errorf("a user without groups or extra: got %+v", bare)
	}
}

func TestAddFinalizer(t *testing.T) {
	meta := &metav1.ObjectMeta{Finalizers: []string{"example.com/other"}}
	AddFinalizer(meta)
	AddFinalizer(meta)
	want := []string{"example.com/other", sc.FinalizerServiceCatalog}
	if !reflect.DeepEqual(meta.Finalizers, want) {
		t.Errorf("finalizers = %v, want %v", meta.Finalizers, want)
	}

	empty := &metav1.ObjectMeta{}
	AddFinalizer(empty)
	if !reflect.DeepEqual(empty.Finalizers, []string{sc.FinalizerServiceCatalog}) {
		t.Errorf("finalizers = %v, want only the catalog's", empty.Finalizers)
	}
}

func TestResetFields(t *testing.T) {
	registrytest.CheckResetFields(t, MainResetFields(), "status")
	registrytest.CheckResetFields(t, MainResetFields("userInfo", "externalID"), "status", "spec.userInfo", "spec.externalID")
	registrytest.CheckResetFields(t, StatusResetFields(),
		"spec", "metadata.labels", "metadata.annotations", "metadata.finalizers", "metadata.ownerReferences")
}
