package controller

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
	componentbaseconfig "k8s.io/component-base/config"

	"github.com/kube-service-catalog/catalog/cmd/controller-manager/app"
	"github.com/kube-service-catalog/catalog/cmd/controller-manager/app/config"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/broker"
	clientset "github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned"
	"github.com/kube-service-catalog/catalog/pkg/osb"
	"github.com/kube-service-catalog/catalog/test/framework/catalogstack"
)

// env is one test's world: its namespace, its broker (in-process, over HTTP) registered
// as a ClusterServiceBroker, and the controllers.
type env struct {
	t          *testing.T
	id         string
	namespace  string
	brokerName string
	broker     *broker.Broker
	brokerURL  string
	catalog    clientset.Interface
	kube       kubernetes.Interface

	controllerCfg  *config.Config
	stopController func()
}

// envOptions tune a test's world.
type envOptions struct {
	// catalog is the catalog document (YAML); offering and plan names may use {id}, replaced
	// by the env's id so that tests never share class names.
	catalog string
	// tweak changes the controller configuration before it starts.
	tweak func(*config.Config)
	// noBrokerObject leaves the ClusterServiceBroker to the test.
	noBrokerObject bool
	// serve wraps the broker's handler, e.g. to serve a malformed catalog.
	serve func(next http.Handler) http.Handler
}

func newEnv(t *testing.T, opts envOptions) *env {
	t.Helper()
	if testing.Short() {
		t.Skip("controller integration tests need a real cluster")
	}
	e := &env{t: t, id: randomID()}
	e.namespace = "test-" + e.id
	e.brokerName = "broker-" + e.id
	admin := stack.Cluster.Config("admin")
	e.catalog = clientset.NewForConfigOrDie(admin)
	e.kube = kubernetes.NewForConfigOrDie(admin)

	ctx := context.Background()
	if _, err := e.kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: e.namespace}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	catalog, err := broker.ParseCatalog([]byte(strings.ReplaceAll(opts.catalog, "{id}", e.id)))
	if err != nil {
		t.Fatalf("test catalog: %v", err)
	}
	e.broker, err = broker.New(broker.Options{Catalog: catalog})
	if err != nil {
		t.Fatal(err)
	}
	var handler http.Handler = e.broker
	if opts.serve != nil {
		handler = opts.serve(handler)
	}
	server := httptest.NewServer(handler)
	e.brokerURL = server.URL

	e.controllerCfg = controllerConfig()
	if opts.tweak != nil {
		opts.tweak(e.controllerCfg)
	}
	e.startController()

	t.Cleanup(func() {
		e.cleanup()
		e.stopController()
		e.broker.Close()
		server.Close()
	})
	if !opts.noBrokerObject {
		e.createBroker(nil)
		e.waitBrokerReady()
	}
	return e
}

// controllerConfig is the controller-manager configuration of the tests: the loops run
// as the controller-manager's ServiceAccount, with short waits.
func controllerConfig() *config.Config {
	identity := stack.Cluster.Config(catalogstack.ControllerManagerIdentity)
	identity.QPS, identity.Burst = -1, 0
	return &config.Config{
		CatalogConfig:         identity,
		CoreConfig:            rest.CopyConfig(identity),
		Controllers:           config.AllControllers,
		Workers:               map[string]int{config.BrokerController: 2, config.InstanceController: 4, config.BindingController: 4},
		ResyncPeriod:          time.Hour,
		OSB:                   config.OSBConfig{APIVersion: osb.DefaultAPIVersion, Timeout: 5 * time.Second},
		RetryBackoffBase:      time.Hour,
		RetryBackoffMax:       time.Hour,
		PollIntervalMin:       100 * time.Millisecond,
		PollIntervalMax:       time.Second,
		MaxPollingDuration:    time.Hour,
		DefaultRelistDuration: time.Hour,
		ClusterIDNamespace:    "service-catalog",
		ClusterIDConfigMap:    "cluster-info",
		LeaderElection:        componentbaseconfig.LeaderElectionConfiguration{LeaderElect: false},
	}
}

// startController runs the controller-manager in-process until stopController.
func (e *env) startController() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx, e.controllerCfg) }()
	var once sync.Once
	e.stopController = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil && !errors.Is(err, context.Canceled) {
					e.t.Errorf("controller-manager: %v", err)
				}
			case <-time.After(time.Minute):
				e.t.Errorf("controller-manager did not stop within a minute")
			}
		})
	}
}

// restartController stops the controller-manager and starts a new one, as a crash would.
func (e *env) restartController() {
	e.stopController()
	e.startController()
}

// createBroker registers the env's broker.
func (e *env) createBroker(tweak func(*v1beta1.ClusterServiceBroker)) *v1beta1.ClusterServiceBroker {
	e.t.Helper()
	b := &v1beta1.ClusterServiceBroker{
		ObjectMeta: metav1.ObjectMeta{Name: e.brokerName},
		Spec: v1beta1.ClusterServiceBrokerSpec{CommonServiceBrokerSpec: v1beta1.CommonServiceBrokerSpec{
			URL:            e.brokerURL,
			RelistBehavior: v1beta1.ServiceBrokerRelistBehaviorManual,
		}},
	}
	if tweak != nil {
		tweak(b)
	}
	created, err := e.catalog.ServicecatalogV1beta1().ClusterServiceBrokers().Create(context.Background(), b, metav1.CreateOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return created
}

// waitBrokerReady waits until the broker's catalog was published.
func (e *env) waitBrokerReady() *v1beta1.ClusterServiceBroker {
	e.t.Helper()
	return e.waitBroker("Ready", func(b *v1beta1.ClusterServiceBroker) bool {
		return meta.IsStatusConditionTrue(b.Status.Conditions, v1beta1.ConditionReady) && b.Status.ObservedGeneration == b.Generation
	})
}

// waitBroker waits until the broker satisfies a condition.
func (e *env) waitBroker(what string, ok func(*v1beta1.ClusterServiceBroker) bool) *v1beta1.ClusterServiceBroker {
	e.t.Helper()
	var last *v1beta1.ClusterServiceBroker
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		b, err := e.catalog.ServicecatalogV1beta1().ClusterServiceBrokers().Get(ctx, e.brokerName, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		last = b
		return ok(b), nil
	})
	if err != nil {
		e.t.Fatalf("broker %s never became %s; last status: %+v", e.brokerName, what, statusOf(last))
	}
	return last
}

// instance returns a new instance of the env's namespace.
func (e *env) instance(name, class, plan string, params string) *v1beta1.ServiceInstance {
	i := &v1beta1.ServiceInstance{
		ObjectMeta: metav1.ObjectMeta{Namespace: e.namespace, Name: name},
		Spec: v1beta1.ServiceInstanceSpec{PlanReference: v1beta1.PlanReference{
			ClusterServiceClassExternalName: strings.ReplaceAll(class, "{id}", e.id),
			ClusterServicePlanExternalName:  plan,
		}},
	}
	if params != "" {
		i.Spec.Parameters = rawJSON(params)
	}
	return i
}

// createInstance creates an instance as the admin.
func (e *env) createInstance(i *v1beta1.ServiceInstance) *v1beta1.ServiceInstance {
	e.t.Helper()
	created, err := e.catalog.ServicecatalogV1beta1().ServiceInstances(e.namespace).Create(context.Background(), i, metav1.CreateOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return created
}

// getInstance reads an instance.
func (e *env) getInstance(name string) *v1beta1.ServiceInstance {
	e.t.Helper()
	i, err := e.catalog.ServicecatalogV1beta1().ServiceInstances(e.namespace).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return i
}

// waitInstance waits until an instance satisfies a condition.
func (e *env) waitInstance(name, what string, ok func(*v1beta1.ServiceInstance) bool) *v1beta1.ServiceInstance {
	e.t.Helper()
	var last *v1beta1.ServiceInstance
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		i, err := e.catalog.ServicecatalogV1beta1().ServiceInstances(e.namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		last = i
		return ok(i), nil
	})
	if err != nil {
		e.t.Fatalf("instance %s never became %s; last status: %+v", name, what, statusOf(last))
	}
	return last
}

// waitInstanceReady waits until an instance is Ready at its current generation.
func (e *env) waitInstanceReady(name string) *v1beta1.ServiceInstance {
	e.t.Helper()
	return e.waitInstance(name, "Ready", readyAtGeneration)
}

func readyAtGeneration(i *v1beta1.ServiceInstance) bool {
	c := meta.FindStatusCondition(i.Status.Conditions, v1beta1.ConditionReady)
	return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == i.Generation && i.Status.ObservedGeneration == i.Generation
}

// hasReason tells whether a condition of the instance has a reason.
func hasReason(conditionType, reason string) func(*v1beta1.ServiceInstance) bool {
	return func(i *v1beta1.ServiceInstance) bool {
		c := meta.FindStatusCondition(i.Status.Conditions, conditionType)
		return c != nil && c.Reason == reason
	}
}

// waitInstanceGone waits until an instance no longer exists.
func (e *env) waitInstanceGone(name string) {
	e.t.Helper()
	var last *v1beta1.ServiceInstance
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		i, err := e.catalog.ServicecatalogV1beta1().ServiceInstances(e.namespace).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		last = i
		return false, nil
	})
	if err != nil {
		e.t.Fatalf("instance %s was never deleted; last status: %+v", name, statusOf(last))
	}
}

// deleteInstance deletes an instance as the admin.
func (e *env) deleteInstance(name string) {
	e.t.Helper()
	if err := e.catalog.ServicecatalogV1beta1().ServiceInstances(e.namespace).Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil {
		e.t.Fatal(err)
	}
}

// requests returns the OSB requests the broker received for one instance, as
// "METHOD kind" strings in order, e.g. "PUT provision", "GET poll", "DELETE deprovision".
func (e *env) requests(instanceID string) []string {
	var out []string
	for _, r := range e.broker.Requests() {
		if !strings.Contains(r.Path, "/service_instances/"+instanceID) {
			continue
		}
		out = append(out, describeRequest(r))
	}
	return out
}

// recorded returns the broker's recorded requests for one instance.
func (e *env) recorded(instanceID string) []broker.RecordedRequest {
	var out []broker.RecordedRequest
	for _, r := range e.broker.Requests() {
		if strings.Contains(r.Path, "/service_instances/"+instanceID) {
			out = append(out, r)
		}
	}
	return out
}

func describeRequest(r broker.RecordedRequest) string {
	kind := ""
	switch {
	case strings.HasSuffix(r.Path, "/last_operation") && strings.Contains(r.Path, "/service_bindings/"):
		kind = "binding-poll"
	case strings.HasSuffix(r.Path, "/last_operation"):
		kind = "poll"
	case strings.Contains(r.Path, "/service_bindings/"):
		kind = map[string]string{"PUT": "bind", "DELETE": "unbind", "GET": "get-binding"}[r.Method]
	default:
		kind = map[string]string{"PUT": "provision", "PATCH": "update", "DELETE": "deprovision", "GET": "get-instance"}[r.Method]
	}
	return fmt.Sprintf("%s %s %d", r.Method, kind, r.Status)
}

// cleanup deletes the env's catalog objects so that nothing outlives the test, and checks
// that the broker holds nothing afterwards.
func (e *env) cleanup() {
	ctx := context.Background()
	sc := e.catalog.ServicecatalogV1beta1()
	_ = sc.ServiceBindings(e.namespace).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{})
	_ = sc.ServiceInstances(e.namespace).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{})
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		is, err := sc.ServiceInstances(e.namespace).List(ctx, metav1.ListOptions{})
		return err == nil && len(is.Items) == 0, nil
	})
	if err != nil {
		e.t.Errorf("cleanup: instances of %s were not deleted; removing their finalizers", e.namespace)
		forceRemoveInstances(ctx, e)
	}
	_ = sc.ClusterServiceBrokers().Delete(ctx, e.brokerName, metav1.DeleteOptions{})
	_ = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := sc.ClusterServiceBrokers().Get(ctx, e.brokerName, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	_ = e.kube.CoreV1().Namespaces().Delete(ctx, e.namespace, metav1.DeleteOptions{})
}

func forceRemoveInstances(ctx context.Context, e *env) {
	sc := e.catalog.ServicecatalogV1beta1()
	is, err := sc.ServiceInstances(e.namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return
	}
	for _, i := range is.Items {
		i.Finalizers = nil
		_, _ = sc.ServiceInstances(e.namespace).Update(ctx, &i, metav1.UpdateOptions{})
	}
}

// grantEdit lets a user edit catalog instances and bindings in the env's namespace through
// the built-in edit role, which the catalog's ClusterRoles aggregate to.
func (e *env) grantEdit(user string) {
	e.t.Helper()
	_, err := e.kube.RbacV1().RoleBindings(e.namespace).Create(context.Background(), &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: user + "-edit"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "edit"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}},
	}, metav1.CreateOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
}

// userClient returns a catalog client acting as a cluster user.
func (e *env) userClient(user string) clientset.Interface {
	return clientset.NewForConfigOrDie(stack.Cluster.Config(user))
}

func randomID() string {
	b := make([]byte, 3)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// statusOf renders an object's status for failure messages.
func statusOf(obj any) any {
	switch o := obj.(type) {
	case *v1beta1.ServiceInstance:
		if o != nil {
			return o.Status
		}
	case *v1beta1.ClusterServiceBroker:
		if o != nil {
			return o.Status
		}
	}
	return nil
}

// classByExternalName waits for the class with an external name and returns it.
func (e *env) classByExternalName(name string) *v1beta1.ClusterServiceClass {
	e.t.Helper()
	var found *v1beta1.ClusterServiceClass
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		list, err := e.catalog.ServicecatalogV1beta1().ClusterServiceClasses().List(ctx, metav1.ListOptions{FieldSelector: "spec.externalName=" + name})
		if err != nil || len(list.Items) != 1 {
			return false, nil
		}
		found = &list.Items[0]
		return true, nil
	})
	if err != nil {
		e.t.Fatalf("no class with external name %q", name)
	}
	return found
}

// plan waits for a plan and returns it.
func (e *env) plan(name string) *v1beta1.ClusterServicePlan {
	e.t.Helper()
	var found *v1beta1.ClusterServicePlan
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		p, err := e.catalog.ServicecatalogV1beta1().ClusterServicePlans().Get(ctx, name, metav1.GetOptions{})
		found = p
		return err == nil, nil
	})
	if err != nil {
		e.t.Fatalf("no plan %q", name)
	}
	return found
}

// waitPlanGone waits until a plan is deleted.
func (e *env) waitPlanGone(name string) {
	e.t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := e.catalog.ServicecatalogV1beta1().ClusterServicePlans().Get(ctx, name, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if err != nil {
		e.t.Fatalf("plan %q was not deleted", name)
	}
}

// setCatalog replaces the broker's catalog.
func (e *env) setCatalog(doc string) {
	e.t.Helper()
	catalog, err := broker.ParseCatalog([]byte(strings.ReplaceAll(doc, "{id}", e.id)))
	if err != nil {
		e.t.Fatal(err)
	}
	e.broker.SetCatalog(catalog)
}

// relist bumps the broker's relistRequests and waits until the catalog was fetched again.
func (e *env) relist() {
	e.t.Helper()
	ctx := context.Background()
	brokers := e.catalog.ServicecatalogV1beta1().ClusterServiceBrokers()
	var want int64
	err := retryConflict(func() error {
		b, err := brokers.Get(ctx, e.brokerName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		b.Spec.RelistRequests++
		want = b.Spec.RelistRequests
		_, err = brokers.Update(ctx, b, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	e.waitBroker("relisted", func(b *v1beta1.ClusterServiceBroker) bool {
		return b.Status.ObservedRelistRequests == want && meta.IsStatusConditionTrue(b.Status.Conditions, v1beta1.ConditionReady)
	})
}

// waitEvent waits for an event with a reason about an object of the env.
func (e *env) waitEvent(objectName, reason string) *corev1.Event {
	e.t.Helper()
	var found *corev1.Event
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		events, err := e.kube.CoreV1().Events("").List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=" + objectName + ",reason=" + reason})
		if err != nil || len(events.Items) == 0 {
			return false, nil
		}
		found = &events.Items[0]
		return true, nil
	})
	if err != nil {
		e.t.Fatalf("no %s event for %s", reason, objectName)
	}
	return found
}

func retryConflict(fn func() error) error {
	return retry.RetryOnConflict(retry.DefaultRetry, fn)
}

// newServer serves a broker over HTTP for the rest of the test.
func newServer(t *testing.T, h http.Handler) string {
	server := httptest.NewServer(h)
	t.Cleanup(server.Close)
	return server.URL
}

// countCatalogRequests counts GET /v2/catalog requests a broker received.
func countCatalogRequests(b *broker.Broker) int {
	n := 0
	for _, r := range b.Requests() {
		if r.Path == "/v2/catalog" {
			n++
		}
	}
	return n
}

// captureWriter records a handler's answer.
type captureWriter struct {
	header http.Header
	body   []byte
	status int
}

func (c *captureWriter) Header() http.Header { return c.header }

func (c *captureWriter) Write(b []byte) (int, error) {
	c.body = append(c.body, b...)
	return len(b), nil
}

func (c *captureWriter) WriteHeader(status int) { c.status = status }
