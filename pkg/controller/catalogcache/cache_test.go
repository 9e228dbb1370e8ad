package catalogcache_test

import (
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/catalog"
	"github.com/kube-service-catalog/catalog/pkg/controller/catalogcache"
	"github.com/kube-service-catalog/catalog/pkg/controller/indexes"
	"github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned/fake"
	catalogfactory "github.com/kube-service-catalog/catalog/pkg/generated/informers/externalversions"
)

func newCache(t *testing.T, objs ...runtime.Object) *catalogcache.Cache {
	t.Helper()
	f := catalogfactory.NewSharedInformerFactory(fake.NewSimpleClientset(objs...), 0)
	c := catalogcache.New(catalogcache.NewInformers(f.Servicecatalog().V1beta1()))
	if err := c.AddIndexes(); err != nil {
		t.Fatal(err)
	}
	f.Start(t.Context().Done())
	for informer, ok := range f.WaitForCacheSync(t.Context().Done()) {
		if !ok {
			t.Fatalf("%v did not sync", informer)
		}
	}
	return c
}

func TestLookupsKeepScopesAndNamespacesApart(t *testing.T) {
	clusterClass := &v1beta1.ClusterServiceClass{ObjectMeta: metav1.ObjectMeta{Name: "kv"}}
	clusterClass.Spec.ExternalName, clusterClass.Spec.ClusterServiceBrokerName = "kv", "b"
	teamA := &v1beta1.ServiceClass{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "kv"}}
	teamA.Spec.ExternalName, teamA.Spec.ServiceBrokerName = "kv", "b"
	teamB := teamA.DeepCopy()
	teamB.Namespace = "team-b"
	c := newCache(t, clusterClass, teamA, teamB)

	for _, tc := range []struct {
		scope     catalog.Scope
		namespace string
		want      string // the found class's key, or "" for none
	}{
		{catalog.ClusterScope, "team-a", "kv"},
		{catalog.NamespaceScope, "team-a", "team-a/kv"},
		{catalog.NamespaceScope, "team-b", "team-b/kv"},
		{catalog.NamespaceScope, "team-c", ""},
	} {
		got, err := c.Class(tc.scope, tc.namespace, "kv")
		switch {
		case tc.want == "" && !apierrors.IsNotFound(err):
			t.Errorf("Class(%v, %s): %v, want NotFound", tc.scope, tc.namespace, err)
		case tc.want != "" && (err != nil || got.Key() != tc.want):
			t.Errorf("Class(%v, %s) = %v, %v; want %s", tc.scope, tc.namespace, got, err, tc.want)
		}
		byName, err := c.Classes(tc.scope, tc.namespace, indexes.ByExternalName, "kv")
		if err != nil || (tc.want == "") != (len(byName) == 0) || len(byName) > 1 || (len(byName) == 1 && byName[0].Key() != tc.want) {
			t.Errorf("Classes(%v, %s, by external name) = %v, %v; want only %q", tc.scope, tc.namespace, byName, err, tc.want)
		}
	}
}

func TestABrokerViewNamesItsSecretInItsScope(t *testing.T) {
	cluster := &v1beta1.ClusterServiceBroker{ObjectMeta: metav1.ObjectMeta{Name: "b"}}
	cluster.Spec.AuthInfo = &v1beta1.ClusterServiceBrokerAuthInfo{Basic: &v1beta1.ClusterBasicAuthConfig{
		SecretRef: &v1beta1.ObjectReference{Namespace: "catalog", Name: "auth"}}}
	local := &v1beta1.ServiceBroker{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "b"}}
	local.Spec.AuthInfo = &v1beta1.ServiceBrokerAuthInfo{Bearer: &v1beta1.BearerTokenAuthConfig{SecretRef: &v1beta1.LocalObjectReference{Name: "token"}}}
	c := newCache(t, cluster, local)
	for _, tc := range []struct {
		scope             catalog.Scope
		basic, bearer     string
		key, brokerKindIs string
	}{
		{catalog.ClusterScope, "catalog/auth", "", "b", "ClusterServiceBroker"},
		{catalog.NamespaceScope, "", "team-a/token", "team-a/b", "ServiceBroker"},
	} {
		b, err := c.Broker(tc.scope, "team-a", "b")
		if err != nil {
			t.Fatal(err)
		}
		name := func(n interface{ String() string }, set bool) string {
			if !set {
				return ""
			}
			return n.String()
		}
		got := [4]string{name(b.BasicSecret, b.BasicSecret != nil), name(b.BearerSecret, b.BearerSecret != nil), b.Key(), b.Scope.BrokerKind()}
		if want := [4]string{tc.basic, tc.bearer, tc.key, tc.brokerKindIs}; got != want {
			t.Errorf("%v broker: secrets, key, kind = %v, want %v", tc.scope, got, want)
		}
	}
}
