package e2e

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	clientset "github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned"
	"github.com/kube-service-catalog/catalog/test/framework/catalogstack"
	"github.com/kube-service-catalog/catalog/test/framework/kubecluster"
)

// readyzDeadline is how soon the API server must report not ready once its etcd is gone.
const readyzDeadline = 10 * time.Second

// TestAPIServerKilledWhileAnAdminCreates kills the API server with SIGKILL while an admin
// creates instances through kube-apiserver, one after another, and starts it again. No
// request is refused as unauthenticated or forbidden around the restart (the server
// answers nothing before it can authenticate its callers), no acknowledged create is
// lost, and the broker is asked to provision each instance exactly once.
func TestAPIServerKilledWhileAnAdminCreates(t *testing.T) {
	if stack == nil {
		t.Skip("needs the stack (not in -short mode)")
	}
	const ns = "e2e-apiserver-kill"
	createNamespace(t, ns)
	ensureDemoBroker(t)
	client := clientset.NewForConfigOrDie(stack.Cluster.Config(admin)).ServicecatalogV1beta1().ServiceInstances(ns)

	var (
		mu       sync.Mutex
		acked    []string
		refusals []error
		created  = make(chan struct{}, 1000)
	)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			_, err := client.Create(ctx, demoInstance(fmt.Sprintf("db-%03d", i)), metav1.CreateOptions{})
			cancel()
			mu.Lock()
			switch {
			case err == nil:
				acked = append(acked, fmt.Sprintf("db-%03d", i))
				created <- struct{}{}
			case apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err):
				refusals = append(refusals, err)
			}
			mu.Unlock()
			if err != nil {
				time.Sleep(50 * time.Millisecond) // pace the attempts while the API is down
			}
		}
	}()
	waitCreates := func(n int) {
		t.Helper()
		for range n {
			select {
			case <-created:
			case <-time.After(pollTimeout):
				t.Fatalf("no acknowledged create for %s", pollTimeout)
			}
		}
	}
	waitCreates(3)
	if err := stack.KillComponent(catalogstack.APIServer); err != nil {
		t.Fatal(err)
	}
	if err := stack.StartComponent(t.Context(), catalogstack.APIServer); err != nil {
		t.Fatal(err)
	}
	waitCreates(3)
	close(stop)
	<-done

	mu.Lock()
	defer mu.Unlock()
	for _, err := range refusals {
		t.Errorf("a create around the restart was refused as unauthenticated or forbidden, which no client retries: %v", err)
	}
	for _, name := range acked {
		if _, err := client.Get(t.Context(), name, metav1.GetOptions{}); err != nil {
			t.Errorf("acknowledged instance %s: %v", name, err)
		}
	}
	if instanceLoop() && stack.BrokerURL != "" {
		checkOneProvisionEach(t, client, acked)
	}
}

// demoInstance returns an instance of the demo class and plan.
func demoInstance(name string) *v1beta1.ServiceInstance {
	return &v1beta1.ServiceInstance{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1beta1.ServiceInstanceSpec{PlanReference: v1beta1.PlanReference{
			ClusterServiceClassExternalName: demoClass, ClusterServicePlanExternalName: demoPlan,
		}},
	}
}

// checkOneProvisionEach waits until the named instances are provisioned, then checks
// that the broker got one provision request for each.
func checkOneProvisionEach(t *testing.T, client interface {
	Get(context.Context, string, metav1.GetOptions) (*v1beta1.ServiceInstance, error)
}, names []string) {
	t.Helper()
	ids := map[string]string{}
	for _, name := range names {
		eventually(t, pollTimeout, "instance "+name+" provisioned", func() (bool, string) {
			i, err := client.Get(t.Context(), name, metav1.GetOptions{})
			if err != nil {
				return false, err.Error()
			}
			ids[name] = i.Spec.ExternalID
			return i.Status.ProvisionStatus == v1beta1.ServiceInstanceProvisionStatusProvisioned, fmt.Sprint(i.Status.Conditions)
		})
	}
	puts := map[string]int{}
	for _, r := range brokerRequests(t) {
		if r.Method == http.MethodPut {
			puts[r.Path]++
		}
	}
	for name, id := range ids {
		if n := puts["/v2/service_instances/"+id]; n != 1 {
			t.Errorf("instance %s: the broker got %d provision requests, want 1", name, n)
		}
	}
}

// TestCatalogEtcdOutageFailsClosed runs a catalog whose API server stores in an etcd of
// its own, and kills that etcd: /readyz fails within 10 seconds, reads and writes
// through kube-apiserver fail with 5xx (never an empty list), the APIService turns
// unavailable, and everything comes back, with the objects stored before, once etcd
// returns, without restarting the API server.
func TestCatalogEtcdOutageFailsClosed(t *testing.T) {
	if stack == nil {
		t.Skip("needs the stack (not in -short mode)")
	}
	etcd := startRestartableEtcd(t)
	s := catalogstack.Start(t, catalogstack.Options{
		Components:    []catalogstack.Component{catalogstack.APIServer},
		APIServerArgs: []string{"--etcd-servers=" + etcd.endpoint},
	})
	ctx := t.Context()
	const ns = "outage"
	if _, err := s.Cluster.Clientset(admin).CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	instances := clientset.NewForConfigOrDie(s.Cluster.Config(admin)).ServicecatalogV1beta1().ServiceInstances(ns)
	before, err := instances.Create(ctx, demoInstance("kept"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}

	etcd.kill(t)
	waitReadyz(t, s, false, readyzDeadline)
	eventually(t, pollTimeout, "the APIService unavailable", func() (bool, string) {
		ok, cond, err := s.APIServiceAvailable(ctx)
		return err == nil && !ok, cond
	})
	list, err := instances.List(ctx, metav1.ListOptions{})
	checkServerError(t, "list", err)
	if err == nil {
		t.Errorf("list with etcd down answered %d instances", len(list.Items))
	}
	_, err = instances.Get(ctx, "kept", metav1.GetOptions{})
	checkServerError(t, "get", err)
	_, err = instances.Create(ctx, demoInstance("during"), metav1.CreateOptions{})
	checkServerError(t, "create", err)

	etcd.start(t)
	waitReadyz(t, s, true, pollTimeout)
	eventually(t, pollTimeout, "the APIService available again", func() (bool, string) {
		ok, cond, err := s.APIServiceAvailable(ctx)
		return err == nil && ok, cond
	})
	eventually(t, pollTimeout, "the instance stored before the outage", func() (bool, string) {
		got, err := instances.Get(ctx, "kept", metav1.GetOptions{})
		return err == nil && got.UID == before.UID, fmt.Sprint(err)
	})
	if _, err := instances.Create(ctx, demoInstance("after"), metav1.CreateOptions{}); err != nil {
		t.Errorf("create after etcd returned: %v", err)
	}
}

// checkServerError fails the test unless err is a 5xx.
func checkServerError(t *testing.T, what string, err error) {
	t.Helper()
	var status apierrors.APIStatus
	if !errors.As(err, &status) || status.Status().Code < 500 {
		t.Errorf("%s with etcd down: %v, want a 5xx", what, err)
	}
}

// waitReadyz waits at most timeout until the API server's /readyz answers ok (ready) or
// fails (not ready).
func waitReadyz(t *testing.T, s *catalogstack.Stack, ready bool, timeout time.Duration) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // only /readyz is read
	defer client.CloseIdleConnections()
	url := "https://127.0.0.1:" + strconv.Itoa(s.APIServerPort) + "/readyz"
	start := time.Now()
	err := wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return false, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return !ready, nil
		}
		resp.Body.Close()
		return (resp.StatusCode == http.StatusOK) == ready, nil
	})
	if err != nil {
		t.Fatalf("/readyz did not turn ready=%v within %s", ready, timeout)
	}
	t.Logf("/readyz ready=%v after %s", ready, time.Since(start).Round(100*time.Millisecond))
}

// restartableEtcd is an etcd the test kills and starts again on the same ports and data.
type restartableEtcd struct {
	endpoint string
	args     []string
	dir, bin string
	child    *kubecluster.Child
}

// startRestartableEtcd starts an etcd that syncs its writes, as in production, and
// stops it when the test ends.
func startRestartableEtcd(t *testing.T) *restartableEtcd {
	t.Helper()
	bin, err := kubecluster.LocateEtcd()
	if err != nil {
		t.Fatal(err)
	}
	ports, err := kubecluster.FreePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	client, peer := "http://127.0.0.1:"+strconv.Itoa(ports[0]), "http://127.0.0.1:"+strconv.Itoa(ports[1])
	dir := t.TempDir()
	e := &restartableEtcd{endpoint: client, dir: dir, bin: bin, args: []string{
		"--name=catalog", "--data-dir=" + filepath.Join(dir, "data"),
		"--listen-client-urls=" + client, "--advertise-client-urls=" + client,
		"--listen-peer-urls=" + peer, "--initial-advertise-peer-urls=" + peer,
		"--initial-cluster=catalog=" + peer, "--initial-cluster-state=new",
		"--logger=zap", "--log-level=warn",
	}}
	e.start(t)
	t.Cleanup(func() {
		if e.child != nil {
			_ = e.child.Stop()
		}
	})
	return e
}

// start starts etcd and waits until it answers.
func (e *restartableEtcd) start(t *testing.T) {
	t.Helper()
	ch, err := kubecluster.StartChild("catalog-etcd", filepath.Join(e.dir, "etcd.log"), e.dir, e.bin, e.args...)
	if err != nil {
		t.Fatal(err)
	}
	e.child = ch
	client := &http.Client{Timeout: 2 * time.Second}
	err = wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, pollTimeout, true, func(ctx context.Context) (bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.endpoint+"/health", nil)
		if err != nil {
			return false, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
	if err != nil {
		t.Fatalf("etcd did not start: %v\n%s", err, kubecluster.TailFile(filepath.Join(e.dir, "etcd.log"), 20))
	}
}

// kill SIGKILLs etcd.
func (e *restartableEtcd) kill(t *testing.T) {
	t.Helper()
	if err := catalogstack.KillChild(e.child); err != nil {
		t.Fatal(err)
	}
}

// TestNamespaceDeletedWhileTheCatalogAPIServerIsDown deletes a namespace holding an
// instance and a binding while the catalog's API server is down. Meanwhile the rest of
// the cluster works: discovery of the other groups, and the garbage collector. The
// namespace waits for the catalog (kube-controller-manager's namespace controller waits
// for every API's discovery, kubernetes#60807), and once the API server is back it goes,
// after the controller unbound and deprovisioned at the broker: nothing is left there.
func TestNamespaceDeletedWhileTheCatalogAPIServerIsDown(t *testing.T) {
	requireStack(t)
	if !instanceLoop() || !bindingLoop(t) || stack.BrokerURL == "" {
		t.Skip("needs the controller manager and the test broker")
	}
	const ns = "e2e-deleted-while-down"
	createNamespace(t, ns)
	ensureDemoBroker(t)
	kubectlIn(t, admin, instanceManifest("db", "{}"), "apply", "-n", ns, "-f", "-")
	kubectlIn(t, admin, bindingManifest("db-credentials", "db"), "apply", "-n", ns, "-f", "-")
	kubectl(t, admin, "wait", "--for=condition=Ready", "servicebinding/db-credentials", "-n", ns, "--timeout="+pollTimeout.String())
	instanceID := kubectl(t, admin, "get", "serviceinstance/db", "-n", ns, "-o", "jsonpath={.spec.externalID}")

	if err := stack.KillComponent(catalogstack.APIServer); err != nil {
		t.Fatal(err)
	}
	restarted := false
	t.Cleanup(func() {
		if !restarted {
			_ = stack.StartComponent(context.Background(), catalogstack.APIServer)
		}
	})
	kubectl(t, admin, "delete", "namespace", ns, "--wait=false")
	checkOtherGroupsDiscovered(t)
	checkGarbageCollection(t)

	if err := stack.StartComponent(t.Context(), catalogstack.APIServer); err != nil {
		t.Fatal(err)
	}
	restarted = true
	waitNamespaceGone(t, ns, nil)
	if brokerHolds(t, instanceID) {
		t.Errorf("the broker still holds instance %s of the deleted namespace", instanceID)
	}
}

// checkOtherGroupsDiscovered checks that discovery lists the other groups' resources
// and reports the catalog's group alone as failed.
func checkOtherGroupsDiscovered(t *testing.T) {
	t.Helper()
	eventually(t, pollTimeout, "discovery reporting the catalog's group as failed", func() (bool, string) {
		_, lists, err := stack.Cluster.Clientset(admin).Discovery().ServerGroupsAndResources()
		var failed *discovery.ErrGroupDiscoveryFailed
		if !errors.As(err, &failed) {
			return false, fmt.Sprintf("discovery error %v", err)
		}
		var others []string
		for gv := range failed.Groups {
			if gv.Group != catalogstack.Group {
				others = append(others, gv.String())
			}
		}
		apps := slices.ContainsFunc(lists, func(l *metav1.APIResourceList) bool { return l.GroupVersion == "apps/v1" && len(l.APIResources) > 0 })
		return len(others) == 0 && apps, fmt.Sprintf("other failed groups %v, apps/v1 listed %v", others, apps)
	})
}

// checkGarbageCollection deletes a ConfigMap that owns another and waits for the garbage
// collector to delete the dependent.
func checkGarbageCollection(t *testing.T) {
	t.Helper()
	ctx := t.Context()
	configMaps := stack.Cluster.Clientset(admin).CoreV1().ConfigMaps("default")
	owner, err := configMaps.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{GenerateName: "gc-owner-"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dependent, err := configMaps.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
		GenerateName:    "gc-dependent-",
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: owner.Name, UID: owner.UID}},
	}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := configMaps.Delete(ctx, owner.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, pollTimeout, "the garbage collector deleting "+dependent.Name, func() (bool, string) {
		_, err := configMaps.Get(ctx, dependent.Name, metav1.GetOptions{})
		return apierrors.IsNotFound(err), fmt.Sprint(err)
	})
}
