package apiserver

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/scopetest"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/test/integration/framework"
)

// typedClient is what the generated client of every kind offers.
type typedClient[T runtime.Object, L runtime.Object] interface {
	Create(ctx context.Context, obj T, opts metav1.CreateOptions) (T, error)
	Update(ctx context.Context, obj T, opts metav1.UpdateOptions) (T, error)
	UpdateStatus(ctx context.Context, obj T, opts metav1.UpdateOptions) (T, error)
	Delete(ctx context.Context, name string, opts metav1.DeleteOptions) error
	Get(ctx context.Context, name string, opts metav1.GetOptions) (T, error)
	List(ctx context.Context, opts metav1.ListOptions) (L, error)
	Watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error)
}

// lifecycle describes how to exercise one kind.
type lifecycle[T runtime.Object, L runtime.Object] struct {
	client typedClient[T, L]
	// newObject returns a valid object whose status is set, which the server must clear.
	newObject func(name string) T
	// changeSpec changes the spec in a way validation accepts.
	changeSpec func(T)
	// setStatus sets a status the status subresource accepts.
	setStatus func(T)
	// statusSet tells whether the status set by setStatus is present.
	statusSet func(T) bool
	// finalized tells whether the server adds the catalog finalizer.
	finalized bool
}

func TestLifecycleOfEveryKind(t *testing.T) {
	s := framework.StartServer(t, framework.ServerOptions{EtcdServers: framework.SharedEtcd(t)})
	c := s.AdminClient(t).ServicecatalogV1beta1()
	const ns = "team-a"
	ready := metav1.Condition{Type: "Ready", Status: metav1.ConditionTrue, Reason: "Tested", Message: "set by the test", LastTransitionTime: metav1.Now()}

	t.Run("ClusterServiceBroker", func(t *testing.T) {
		runLifecycle(t, lifecycle[*v1beta1.ClusterServiceBroker, *v1beta1.ClusterServiceBrokerList]{
			client: c.ClusterServiceBrokers(),
			newObject: func(name string) *v1beta1.ClusterServiceBroker {
				b := framework.Broker(name)
				b.Status.ServiceClassCount = 7
				return b
			},
			changeSpec: func(b *v1beta1.ClusterServiceBroker) { b.Spec.RelistRequests++ },
			setStatus:  func(b *v1beta1.ClusterServiceBroker) { b.Status.Conditions = []metav1.Condition{ready} },
			statusSet: func(b *v1beta1.ClusterServiceBroker) bool {
				return meta.IsStatusConditionTrue(b.Status.Conditions, "Ready")
			},
			finalized: true,
		})
	})
	t.Run("ClusterServiceClass", func(t *testing.T) {
		runLifecycle(t, lifecycle[*v1beta1.ClusterServiceClass, *v1beta1.ClusterServiceClassList]{
			client: c.ClusterServiceClasses(),
			newObject: func(name string) *v1beta1.ClusterServiceClass {
				cl := framework.Class(name, "broker")
				cl.Status.RemovedFromBrokerCatalog = true
				return cl
			},
			changeSpec: func(cl *v1beta1.ClusterServiceClass) { cl.Spec.Description = "changed" },
			setStatus:  func(cl *v1beta1.ClusterServiceClass) { cl.Status.RemovedFromBrokerCatalog = true },
			statusSet:  func(cl *v1beta1.ClusterServiceClass) bool { return cl.Status.RemovedFromBrokerCatalog },
		})
	})
	t.Run("ClusterServicePlan", func(t *testing.T) {
		runLifecycle(t, lifecycle[*v1beta1.ClusterServicePlan, *v1beta1.ClusterServicePlanList]{
			client: c.ClusterServicePlans(),
			newObject: func(name string) *v1beta1.ClusterServicePlan {
				p := framework.Plan(name, "class", "broker")
				p.Status.RemovedFromBrokerCatalog = true
				return p
			},
			changeSpec: func(p *v1beta1.ClusterServicePlan) { p.Spec.Free = false },
			setStatus:  func(p *v1beta1.ClusterServicePlan) { p.Status.RemovedFromBrokerCatalog = true },
			statusSet:  func(p *v1beta1.ClusterServicePlan) bool { return p.Status.RemovedFromBrokerCatalog },
		})
	})
	// The namespaced brokers, classes and plans, on the twins of the cluster fixtures.
	t.Run("ServiceBroker", func(t *testing.T) {
		setStatus := func(b *v1beta1.ServiceBroker) { b.Status.ServicePlanCount = 3 }
		runLifecycle(t, lifecycle[*v1beta1.ServiceBroker, *v1beta1.ServiceBrokerList]{
			client: c.ServiceBrokers(ns), newObject: twin(framework.Broker, setStatus), setStatus: setStatus,
			statusSet:  func(b *v1beta1.ServiceBroker) bool { return b.Status.ServicePlanCount == 3 },
			changeSpec: func(b *v1beta1.ServiceBroker) { b.Spec.URL += "/v2" }, finalized: true,
		})
	})
	t.Run("ServiceClass", func(t *testing.T) {
		setStatus := func(cl *v1beta1.ServiceClass) { cl.Status.CatalogDigest = "sha256:00" }
		class := func(name string) *v1beta1.ClusterServiceClass { return framework.Class(name, "broker") }
		runLifecycle(t, lifecycle[*v1beta1.ServiceClass, *v1beta1.ServiceClassList]{
			client: c.ServiceClasses(ns), newObject: twin(class, setStatus), setStatus: setStatus,
			statusSet:  func(cl *v1beta1.ServiceClass) bool { return cl.Status.CatalogDigest != "" },
			changeSpec: func(cl *v1beta1.ServiceClass) { cl.Spec.Tags = []string{"changed"} },
		})
	})
	t.Run("ServicePlan", func(t *testing.T) {
		setStatus := func(p *v1beta1.ServicePlan) { p.Status.RemovedFromBrokerCatalog = true }
		plan := func(name string) *v1beta1.ClusterServicePlan { return framework.Plan(name, "class", "broker") }
		runLifecycle(t, lifecycle[*v1beta1.ServicePlan, *v1beta1.ServicePlanList]{
			client: c.ServicePlans(ns), newObject: twin(plan, setStatus), setStatus: setStatus,
			statusSet:  func(p *v1beta1.ServicePlan) bool { return p.Status.RemovedFromBrokerCatalog },
			changeSpec: func(p *v1beta1.ServicePlan) { p.Spec.Bindable = ptr.To(false) },
		})
	})
	t.Run("ServiceInstance", func(t *testing.T) {
		runLifecycle(t, lifecycle[*v1beta1.ServiceInstance, *v1beta1.ServiceInstanceList]{
			client: c.ServiceInstances(ns),
			newObject: func(name string) *v1beta1.ServiceInstance {
				i := framework.Instance(ns, name, "postgresql", "small")
				i.Status.DashboardURL = "https://set-by-client"
				return i
			},
			changeSpec: func(i *v1beta1.ServiceInstance) { i.Spec.ClusterServicePlanExternalName = "large" },
			setStatus:  func(i *v1beta1.ServiceInstance) { i.Status.Conditions = []metav1.Condition{ready} },
			statusSet:  func(i *v1beta1.ServiceInstance) bool { return meta.IsStatusConditionTrue(i.Status.Conditions, "Ready") },
			finalized:  true,
		})
	})
	t.Run("ServiceBinding", func(t *testing.T) {
		runLifecycle(t, lifecycle[*v1beta1.ServiceBinding, *v1beta1.ServiceBindingList]{
			client: c.ServiceBindings(ns),
			newObject: func(name string) *v1beta1.ServiceBinding {
				b := framework.Binding(ns, name, "db")
				b.Status.Binding = &v1beta1.LocalObjectReference{Name: "set-by-client"}
				return b
			},
			// A binding's spec cannot change; its labels can.
			changeSpec: nil,
			setStatus:  func(b *v1beta1.ServiceBinding) { b.Status.Conditions = []metav1.Condition{ready} },
			statusSet:  func(b *v1beta1.ServiceBinding) bool { return meta.IsStatusConditionTrue(b.Status.Conditions, "Ready") },
			finalized:  true,
		})
	})
}

func runLifecycle[T runtime.Object, L runtime.Object](t *testing.T, l lifecycle[T, L]) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	list, err := l.client.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	listMeta, _ := meta.ListAccessor(list)
	w, err := l.client.Watch(ctx, metav1.ListOptions{ResourceVersion: listMeta.GetResourceVersion()})
	if err != nil {
		t.Fatalf("watch: %v", err)
	}
	defer w.Stop()

	// Create: status cleared, generation 1, finalizer added.
	created, err := l.client.Create(ctx, l.newObject("lifecycle"), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	m := accessor(t, created)
	if m.GetGeneration() != 1 {
		t.Errorf("generation after create = %d, want 1", m.GetGeneration())
	}
	if l.statusSet(created) {
		t.Errorf("create kept the status the client sent")
	}
	if has := slices.Contains(m.GetFinalizers(), v1beta1.FinalizerServiceCatalog); has != l.finalized {
		t.Errorf("finalizer present = %v, want %v", has, l.finalized)
	}
	if m.GetUID() == "" || m.GetResourceVersion() == "" {
		t.Errorf("create returned no UID or resourceVersion")
	}

	got, err := l.client.Get(ctx, "lifecycle", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if accessor(t, got).GetUID() != m.GetUID() {
		t.Errorf("get returned another object")
	}
	list, err = l.client.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	items, _ := meta.ExtractList(list)
	if len(items) != 1 || accessor(t, items[0]).GetName() != "lifecycle" {
		t.Errorf("list returned %d items, want the created one", len(items))
	}

	// Update: the generation follows the spec only.
	wantGeneration := int64(1)
	if l.changeSpec != nil {
		l.changeSpec(got)
		wantGeneration = 2
	} else {
		accessor(t, got).SetLabels(map[string]string{"changed": "labels"})
	}
	updated, err := l.client.Update(ctx, got, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if g := accessor(t, updated).GetGeneration(); g != wantGeneration {
		t.Errorf("generation after update = %d, want %d", g, wantGeneration)
	}

	// Status update: stored, generation unchanged.
	l.setStatus(updated)
	withStatus, err := l.client.UpdateStatus(ctx, updated, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("update status: %v", err)
	}
	if !l.statusSet(withStatus) {
		t.Errorf("status update did not store the status")
	}
	if g := accessor(t, withStatus).GetGeneration(); g != wantGeneration {
		t.Errorf("generation after status update = %d, want %d", g, wantGeneration)
	}

	// Delete: a finalized object stays, marked for deletion, until the finalizer goes.
	if err := l.client.Delete(ctx, "lifecycle", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if l.finalized {
		deleting, err := l.client.Get(ctx, "lifecycle", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get after delete: %v (the finalizer should keep the object)", err)
		}
		dm := accessor(t, deleting)
		if dm.GetDeletionTimestamp() == nil {
			t.Fatalf("deletionTimestamp not set")
		}
		dm.SetFinalizers(nil)
		if _, err := l.client.Update(ctx, deleting, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("removing the finalizer: %v", err)
		}
	}
	if _, err := l.client.Get(ctx, "lifecycle", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("get after delete = %v, want NotFound", err)
	}

	// The watch saw every change, in order.
	want := []watch.EventType{watch.Added, watch.Modified, watch.Modified}
	if l.finalized {
		// Marking for deletion is a change; removing the last finalizer deletes at once.
		want = append(want, watch.Modified)
	}
	want = append(want, watch.Deleted)
	var lastRV int64
	for i, wantType := range want {
		select {
		case ev := <-w.ResultChan():
			if ev.Type != wantType {
				t.Fatalf("watch event %d = %s, want %s", i, ev.Type, wantType)
			}
			rv, err := strconv.ParseInt(accessor(t, ev.Object).GetResourceVersion(), 10, 64)
			if err != nil || rv <= lastRV {
				t.Fatalf("watch event %d has resourceVersion %d after %d", i, rv, lastRV)
			}
			lastRV = rv
		case <-ctx.Done():
			t.Fatalf("watch event %d (%s) did not arrive", i, wantType)
		}
	}
}

// twin returns a function that makes the namespaced twin (scopetest) of the object
// fixture makes, with a status set by setStatus, which the server must clear.
func twin[C, N runtime.Object](fixture func(name string) C, setStatus func(N)) func(name string) N {
	return func(name string) N {
		obj := scopetest.Versioned(fixture(name)).(N)
		setStatus(obj)
		return obj
	}
}

func accessor(t *testing.T, obj runtime.Object) metav1.Object {
	t.Helper()
	m, err := meta.Accessor(obj)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
