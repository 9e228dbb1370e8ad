package controller

import (
	"context"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/osb"
)

func TestOriginatingIdentityIsTheUserOfEachChange(t *testing.T) {
	e := newEnv(t, envOptions{catalog: defaultCatalog})
	ctx := context.Background()
	for _, user := range []string{"alice", "bob"} {
		e.grantEdit(user)
	}
	alice := e.userClient("alice").ServicecatalogV1beta1().ServiceInstances(e.namespace)
	bob := e.userClient("bob").ServicecatalogV1beta1().ServiceInstances(e.namespace)

	created, err := alice.Create(ctx, e.instance("db", "db-{id}", "small", `{"size":"1Gi"}`), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e.waitInstanceReady(created.Name)
	i := e.getInstance(created.Name)
	i.Spec.Parameters = rawJSON(`{"size":"2Gi"}`)
	if _, err := bob.Update(ctx, i, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.waitInstanceReady(created.Name)
	if err := e.catalog.ServicecatalogV1beta1().ServiceInstances(e.namespace).Delete(ctx, created.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.waitInstanceGone(created.Name)

	var got []string
	for _, r := range e.recorded(created.Spec.ExternalID) {
		platform, who, err := osb.ParseOriginatingIdentity(r.Header.Get("X-Broker-API-Originating-Identity"))
		if err != nil || platform != "kubernetes" {
			t.Fatalf("%s %s: originating identity %q: %v", r.Method, r.Path, r.Header.Get("X-Broker-API-Originating-Identity"), err)
		}
		got = append(got, r.Method+" "+who.Username)
		if r.Method == "PUT" && (who.UID == "" && len(who.Groups) == 0) {
			t.Errorf("the identity carries no groups: %+v", who)
		}
	}
	admin := stack.Cluster.UserInfo("admin").CommonName
	want := []string{"PUT alice", "PATCH bob", "DELETE " + admin}
	if !slices.Equal(got, want) {
		t.Errorf("the broker saw %v, want %v", got, want)
	}
}
