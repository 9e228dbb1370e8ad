package initializer

import (
	"context"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
)

// storage is a rest.Getter over a map of namespace/name to object that records the
// options of each read.
type storage struct {
	objects map[string]runtime.Object
	reads   []metav1.GetOptions
}

func (s *storage) Get(ctx context.Context, name string, options *metav1.GetOptions) (runtime.Object, error) {
	s.reads = append(s.reads, *options)
	namespace, _ := genericapirequest.NamespaceFrom(ctx)
	if obj, ok := s.objects[namespace+"/"+name]; ok {
		return obj, nil
	}
	return nil, apierrors.NewNotFound(sc.Resource("serviceinstances"), name)
}

func TestStoredInstances(t *testing.T) {
	ctx := context.Background()
	var instances StoredInstances
	if _, err := instances.GetServiceInstance(ctx, "team-a", "db"); err == nil || !strings.Contains(err.Error(), "not set up yet") {
		t.Fatalf("before SetStorage: got %v, want an error saying the storage is not set up", err)
	}

	db := &sc.ServiceInstance{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "db"}}
	s := &storage{objects: map[string]runtime.Object{
		"team-a/db":    db,
		"team-a/wrong": &sc.ServiceBinding{},
	}}
	instances.SetStorage(s)

	got, err := instances.GetServiceInstance(ctx, "team-a", "db")
	if err != nil || got != db {
		t.Errorf("team-a/db: got %v, %v; want the stored instance", got, err)
	}
	if len(s.reads) != 1 || s.reads[0].ResourceVersion != "0" {
		t.Errorf("reads %+v, want one with resourceVersion 0 (the watch cache)", s.reads)
	}
	if _, err := instances.GetServiceInstance(ctx, "team-b", "db"); !apierrors.IsNotFound(err) {
		t.Errorf("team-b/db: got %v, want NotFound", err)
	}
	if _, err := instances.GetServiceInstance(ctx, "team-a", "wrong"); err == nil || !strings.Contains(err.Error(), "ServiceBinding") {
		t.Errorf("a stored object of another type: got %v, want an error naming it", err)
	}
}
