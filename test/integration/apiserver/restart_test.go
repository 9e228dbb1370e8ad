package apiserver

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"

	"github.com/kube-service-catalog/catalog/pkg/embeddedetcd"
	"github.com/kube-service-catalog/catalog/test/integration/framework"
)

func TestRestartKeepsEveryObject(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "etcd")
	ctx := context.Background()
	const ns = "team-a"

	first := framework.StartServer(t, framework.ServerOptions{DataDir: dataDir, EtcdPrefix: "/registry"})
	c := first.AdminClient(t).ServicecatalogV1beta1()
	type identity struct{ uid, rv string }
	before := map[string]identity{}
	record := func(kind string, m metav1.Object, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		before[kind] = identity{string(m.GetUID()), m.GetResourceVersion()}
	}
	b, err := c.ClusterServiceBrokers().Create(ctx, framework.Broker("demo"), metav1.CreateOptions{})
	record("broker", b, err)
	cl, err := c.ClusterServiceClasses().Create(ctx, framework.Class("pg", "demo"), metav1.CreateOptions{})
	record("class", cl, err)
	p, err := c.ClusterServicePlans().Create(ctx, framework.Plan("pg-small", "pg", "demo"), metav1.CreateOptions{})
	record("plan", p, err)
	i, err := c.ServiceInstances(ns).Create(ctx, framework.Instance(ns, "db", "postgresql", "small"), metav1.CreateOptions{})
	record("instance", i, err)
	sb, err := c.ServiceBindings(ns).Create(ctx, framework.Binding(ns, "db-creds", "db"), metav1.CreateOptions{})
	record("binding", sb, err)
	first.Stop()

	second := framework.StartServer(t, framework.ServerOptions{DataDir: dataDir, EtcdPrefix: "/registry"})
	c = second.AdminClient(t).ServicecatalogV1beta1()
	check := func(kind string, m metav1.Object, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s after restart: %v", kind, err)
		}
		if got := (identity{string(m.GetUID()), m.GetResourceVersion()}); got != before[kind] {
			t.Errorf("%s after restart: uid/resourceVersion %v, want %v", kind, got, before[kind])
		}
	}
	b, err = c.ClusterServiceBrokers().Get(ctx, "demo", metav1.GetOptions{})
	check("broker", b, err)
	cl, err = c.ClusterServiceClasses().Get(ctx, "pg", metav1.GetOptions{})
	check("class", cl, err)
	p, err = c.ClusterServicePlans().Get(ctx, "pg-small", metav1.GetOptions{})
	check("plan", p, err)
	i, err = c.ServiceInstances(ns).Get(ctx, "db", metav1.GetOptions{})
	check("instance", i, err)
	sb, err = c.ServiceBindings(ns).Get(ctx, "db-creds", metav1.GetOptions{})
	check("binding", sb, err)
}

func TestReadyzFailsWhileEtcdIsUnreachable(t *testing.T) {
	etcd, err := embeddedetcd.Start(context.Background(), embeddedetcd.Options{DataDir: t.TempDir(), UnsafeNoFsync: true, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			etcd.Stop()
		}
	})
	s := framework.StartServer(t, framework.ServerOptions{EtcdServers: []string{etcd.ClientURL}})
	client, err := rest.UnversionedRESTClientFor(framework.WithCodecs(s.AdminConfig()))
	if err != nil {
		t.Fatal(err)
	}
	if body, err := client.Get().AbsPath("/readyz").DoRaw(context.Background()); err != nil || string(body) != "ok" {
		t.Fatalf("/readyz before etcd stops: %q %v", body, err)
	}

	etcd.Stop()
	stopped = true
	err = wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := client.Get().AbsPath("/readyz").DoRaw(ctx)
		return err != nil, nil
	})
	if err != nil {
		t.Fatalf("/readyz kept answering ok with etcd down")
	}
	body, _ := client.Get().AbsPath("/readyz").Param("verbose", "true").DoRaw(context.Background())
	t.Logf("/readyz with etcd down:\n%s", body)
}
