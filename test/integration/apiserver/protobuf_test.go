package apiserver

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/apiserver"
	clientset "github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned"
	typed "github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned/typed/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/test/framework/protowire"
	"github.com/kube-service-catalog/catalog/test/integration/framework"
)

// protobufPrefix starts every object Kubernetes stores or sends in protobuf.
var protobufPrefix = []byte("k8s\x00")

// TestProtobufEveryKind writes one object of every kind with a client that sends and
// accepts only protobuf, reads every kind back (list, get, watch), and checks that every
// answer was protobuf and that etcd holds every object in protobuf.
func TestProtobufEveryKind(t *testing.T) {
	etcdEndpoints := framework.SharedEtcd(t)
	s := framework.StartServer(t, framework.ServerOptions{EtcdServers: etcdEndpoints})
	var rec protowire.Recorder
	client, err := clientset.NewForConfig(rec.Config(s.AdminConfig()))
	if err != nil {
		t.Fatal(err)
	}
	c := client.ServicecatalogV1beta1()
	ctx := t.Context()
	for _, obj := range namespacedCatalog(t, c, "team-a") {
		createCluster(t, c, obj)
	}
	if _, err := c.ServiceInstances("team-a").Create(ctx, framework.Instance("team-a", "db", "pg-offering", "pg-small-plan"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ServiceBindings("team-a").Create(ctx, framework.Binding("team-a", "db", "db"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := protowire.ReadEveryKind(ctx, c.RESTClient(), "team-a"); err != nil {
		t.Fatal(err)
	}
	others, all := rec.NotProtobuf()
	if len(others) > 0 || all < 3*len(protowire.Resources) {
		t.Errorf("%d of %d answers were not protobuf:\n%s", len(others), all, strings.Join(others, "\n"))
	}

	stored := storedValues(t, etcdEndpoints, s.EtcdPrefix+"/servicecatalog.k8s.io/")
	for _, r := range protowire.Resources {
		n := 0
		for key, value := range stored {
			if !strings.HasPrefix(key, r.Name+"/") {
				continue
			}
			n++
			if !bytes.HasPrefix(value, protobufPrefix) {
				t.Errorf("etcd holds %s not in protobuf: %.40q", key, value)
			}
		}
		if n == 0 {
			t.Errorf("etcd holds no %s", r.Name)
		}
	}
}

// createCluster creates one of the cluster-scoped catalog objects.
func createCluster(t *testing.T, c typed.ServicecatalogV1beta1Interface, obj runtime.Object) {
	t.Helper()
	var err error
	switch o := obj.(type) {
	case *v1beta1.ClusterServiceBroker:
		_, err = c.ClusterServiceBrokers().Create(t.Context(), o, metav1.CreateOptions{})
	case *v1beta1.ClusterServiceClass:
		_, err = c.ClusterServiceClasses().Create(t.Context(), o, metav1.CreateOptions{})
	case *v1beta1.ClusterServicePlan:
		_, err = c.ClusterServicePlans().Create(t.Context(), o, metav1.CreateOptions{})
	default:
		t.Fatalf("not a cluster catalog object: %T", obj)
	}
	if err != nil {
		t.Fatalf("creating %T: %v", obj, err)
	}
}

// storedValues returns the values of etcd's keys under prefix, by key without it.
func storedValues(t *testing.T, endpoints []string, prefix string) map[string][]byte {
	t.Helper()
	etcd, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = etcd.Close() }()
	resp, err := etcd.Get(t.Context(), prefix, clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, kv := range resp.Kvs {
		out[strings.TrimPrefix(string(kv.Key), prefix)] = kv.Value
	}
	return out
}

// TestJSONStoredObjectsStillRead rewrites a stored instance in JSON, as a server that
// stored JSON left it, and checks that it still reads (in protobuf and in JSON) and that
// the next write stores it in protobuf.
func TestJSONStoredObjectsStillRead(t *testing.T) {
	etcdEndpoints := framework.SharedEtcd(t)
	s := framework.StartServer(t, framework.ServerOptions{EtcdServers: etcdEndpoints})
	c := s.AdminClient(t).ServicecatalogV1beta1()
	ctx := t.Context()
	created, err := c.ServiceInstances("team-a").Create(ctx, framework.Instance("team-a", "old", "pg-offering", "pg-small-plan"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	key := s.EtcdPrefix + "/servicecatalog.k8s.io/serviceinstances/team-a/old"
	putAsJSON(t, etcdEndpoints, key)

	for _, contentType := range []string{runtime.ContentTypeProtobuf, runtime.ContentTypeJSON} {
		cfg := s.AdminConfig()
		cfg.ContentType, cfg.AcceptContentTypes = contentType, contentType
		read, err := clientset.NewForConfigOrDie(cfg).ServicecatalogV1beta1().ServiceInstances("team-a").Get(ctx, "old", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("reading the instance stored in JSON, in %s: %v", contentType, err)
		}
		if read.UID != created.UID || read.Spec.ClusterServiceClassExternalName != "pg-offering" || string(read.Spec.Parameters.Raw) != `{"size":"small"}` {
			t.Errorf("the instance stored in JSON reads, in %s, as %+v", contentType, read)
		}
	}

	if _, err := c.ServiceInstances("team-a").Patch(ctx, "old", "application/merge-patch+json", []byte(`{"metadata":{"labels":{"touched":"yes"}}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if value := storedValues(t, etcdEndpoints, key)[""]; !bytes.HasPrefix(value, protobufPrefix) {
		t.Errorf("after a write etcd holds the instance not in protobuf: %.40q", value)
	}
}

// putAsJSON rewrites the object stored at key in JSON, leaving everything else as it is.
func putAsJSON(t *testing.T, endpoints []string, key string) {
	t.Helper()
	value := storedValues(t, endpoints, key)[""]
	obj, _, err := apiserver.Codecs.UniversalDeserializer().Decode(value, nil, nil)
	if err != nil {
		t.Fatalf("decoding %s: %v", key, err)
	}
	data, err := runtime.Encode(apiserver.Codecs.LegacyCodec(v1beta1.SchemeGroupVersion), obj)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("{")) {
		t.Fatalf("not JSON: %.40q", data)
	}
	etcd, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = etcd.Close() }()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := etcd.Put(ctx, key, string(data)); err != nil {
		t.Fatal(err)
	}
}
