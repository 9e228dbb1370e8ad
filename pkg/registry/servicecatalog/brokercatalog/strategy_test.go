package brokercatalog

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/diff"
	"k8s.io/apiserver/pkg/registry/rest"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/scopetest"
	"github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/internal/registry"
	"github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/internal/registrytest"
)

// kindTest is one kind's row in the tests of the strategy the six kinds share.
type kindTest struct {
	name     string
	strategy registry.Strategy
	status   registry.StatusStrategy
	// stored returns an object as the server stored it.
	stored func() runtime.Object
	// changeSpec changes what a user may change in the spec; changeStatus the status.
	changeSpec, changeStatus func(runtime.Object)
}

// row returns the row of kind k.
func row[T runtime.Object](k *registry.CatalogKind[T], stored func() T, changeSpec, changeStatus func(T)) kindTest {
	return kindTest{
		name: reflect.TypeFor[T]().Elem().Name(), strategy: k.Strategy(scheme), status: k.StatusStrategy(scheme),
		stored:     func() runtime.Object { return stored() },
		changeSpec: func(o runtime.Object) { changeSpec(o.(T)) }, changeStatus: func(o runtime.Object) { changeStatus(o.(T)) },
	}
}

// kindTests are the rows of the six kinds, the namespaced ones on the twins of the
// cluster fixtures.
var kindTests = []kindTest{
	row(ClusterServiceBrokers, storedBroker, func(b *sc.ClusterServiceBroker) { b.Spec.URL += "/v2" }, func(b *sc.ClusterServiceBroker) { b.Status.ServiceClassCount++ }),
	row(ServiceBrokers, func() *sc.ServiceBroker { return scopetest.Broker(storedBroker()) }, func(b *sc.ServiceBroker) { b.Spec.URL += "/v2" }, func(b *sc.ServiceBroker) { b.Status.ServicePlanCount++ }),
	row(ClusterServiceClasses, storedClass, func(c *sc.ClusterServiceClass) { c.Spec.Description += "!" }, func(c *sc.ClusterServiceClass) { c.Status.RemovedFromBrokerCatalog = true }),
	row(ServiceClasses, func() *sc.ServiceClass { return scopetest.Class(storedClass()) }, func(c *sc.ServiceClass) { c.Spec.Bindable = false }, func(c *sc.ServiceClass) { c.Status.CatalogDigest = "sha256:00" }),
	row(ClusterServicePlans, storedPlan, func(p *sc.ClusterServicePlan) { p.Spec.Free = false }, func(p *sc.ClusterServicePlan) { p.Status.RemovedFromBrokerCatalog = true }),
	row(ServicePlans, func() *sc.ServicePlan { return scopetest.Plan(storedPlan()) }, func(p *sc.ServicePlan) { p.Spec.ExternalName = "tiny" }, func(p *sc.ServicePlan) { p.Status.CatalogDigest = "sha256:01" }),
}

// The metadata, spec and status of an object of any kind.
var (
	accessor = registrytest.Accessor
	part     = registrytest.Field
)

// TestStrategyBasics checks the scope of each kind (a kind whose name does not start with
// Cluster lives in namespaces), and what every kind answers the same.
func TestStrategyBasics(t *testing.T) {
	for _, k := range kindTests {
		t.Run(k.name, func(t *testing.T) {
			namespaced := !strings.HasPrefix(k.name, "Cluster")
			if k.strategy.NamespaceScoped() != namespaced || k.status.NamespaceScoped() != namespaced {
				t.Errorf("NamespaceScoped() = %v and %v, want %v", k.strategy.NamespaceScoped(), k.status.NamespaceScoped(), namespaced)
			}
			ctx := registrytest.Context("", nil)
			if k.strategy.AllowCreateOnUpdate(ctx) || !k.strategy.AllowUnconditionalUpdate(ctx) {
				t.Errorf("AllowCreateOnUpdate, AllowUnconditionalUpdate = %v, %v; want false, true", k.strategy.AllowCreateOnUpdate(ctx), k.strategy.AllowUnconditionalUpdate(ctx))
			}
			// Brokers, classes and plans record no user, so deleting one has nothing to stamp.
			if _, ok := k.strategy.(rest.RESTGracefulDeleteStrategy); ok {
				t.Errorf("the strategy implements CheckGracefulDelete")
			}
			registrytest.CheckResetFields(t, k.strategy.GetResetFields(), "status")
			registrytest.CheckResetFields(t, k.status.GetResetFields(),
				"spec", "metadata.labels", "metadata.annotations", "metadata.finalizers", "metadata.ownerReferences")
		})
	}
}

// TestPrepareForCreate checks that a create clears the status, starts the generation,
// adds the finalizer to brokers only and keeps the spec.
func TestPrepareForCreate(t *testing.T) {
	for _, k := range kindTests {
		t.Run(k.name, func(t *testing.T) {
			ctx := registrytest.Context("", registrytest.Alice)
			obj := k.stored()
			m := accessor(t, obj)
			m.SetGeneration(9)
			m.SetFinalizers([]string{"example.com/keep"})
			m.SetResourceVersion("")
			wantSpec := part(obj, "Spec")
			k.strategy.PrepareForCreate(ctx, obj)

			if status := reflect.ValueOf(obj).Elem().FieldByName("Status"); !status.IsZero() {
				t.Errorf("status not cleared: %+v", status.Interface())
			}
			if m.GetGeneration() != 1 {
				t.Errorf("generation = %d, want 1", m.GetGeneration())
			}
			want := []string{"example.com/keep"}
			if strings.HasSuffix(k.name, "Broker") {
				want = append(want, sc.FinalizerServiceCatalog)
			}
			if !slices.Equal(m.GetFinalizers(), want) {
				t.Errorf("finalizers = %v, want %v", m.GetFinalizers(), want)
			}
			if !reflect.DeepEqual(part(obj, "Spec"), wantSpec) {
				t.Errorf("spec changed:\n%s", diff.Diff(wantSpec, part(obj, "Spec")))
			}
			if errs := k.strategy.Validate(ctx, obj); len(errs) != 0 {
				t.Errorf("a prepared object does not validate: %v", errs)
			}
		})
	}
}

// TestPrepareForUpdate checks that an update keeps the stored status and bumps the
// generation exactly when the spec changes.
func TestPrepareForUpdate(t *testing.T) {
	for _, k := range kindTests {
		for _, tc := range []struct {
			name           string
			update         func(runtime.Object)
			wantGeneration int64
		}{
			{"no change", func(runtime.Object) {}, 2},
			{"labels only", func(o runtime.Object) { accessor(t, o).SetLabels(map[string]string{"tier": "silver"}) }, 2},
			{"status sent by the client is ignored", k.changeStatus, 2},
			{"spec changed", k.changeSpec, 3},
		} {
			t.Run(k.name+"/"+tc.name, func(t *testing.T) {
				ctx := registrytest.Context("", registrytest.Alice)
				old, obj := k.stored(), k.stored()
				tc.update(obj)
				wantSpec, wantLabels := part(obj, "Spec"), accessor(t, obj).GetLabels()
				k.strategy.PrepareForUpdate(ctx, obj, old)

				if !reflect.DeepEqual(part(obj, "Status"), part(old, "Status")) {
					t.Errorf("status not kept:\n%s", diff.Diff(part(old, "Status"), part(obj, "Status")))
				}
				if got := accessor(t, obj).GetGeneration(); got != tc.wantGeneration {
					t.Errorf("generation = %d, want %d", got, tc.wantGeneration)
				}
				if !reflect.DeepEqual(part(obj, "Spec"), wantSpec) || !reflect.DeepEqual(accessor(t, obj).GetLabels(), wantLabels) {
					t.Errorf("spec or labels changed:\n%s", diff.Diff(wantSpec, part(obj, "Spec")))
				}
				if errs := k.strategy.ValidateUpdate(ctx, obj, old); len(errs) != 0 {
					t.Errorf("the prepared update does not validate: %v", errs)
				}
			})
		}
	}
}

// TestStatusStrategyPrepareForUpdate checks that a status write takes the status sent and
// keeps the stored spec and metadata.
func TestStatusStrategyPrepareForUpdate(t *testing.T) {
	for _, k := range kindTests {
		t.Run(k.name, func(t *testing.T) {
			ctx := registrytest.Context("", registrytest.Alice)
			old, obj := k.stored(), k.stored()
			accessor(t, old).SetAnnotations(map[string]string{"note": "kept"})
			k.changeSpec(obj)
			k.changeStatus(obj)
			m := accessor(t, obj)
			m.SetGeneration(10)
			m.SetLabels(map[string]string{"tier": "changed"})
			m.SetFinalizers(nil)
			wantStatus := part(obj, "Status")
			k.status.PrepareForUpdate(ctx, obj, old)

			if !reflect.DeepEqual(part(obj, "Spec"), part(old, "Spec")) {
				t.Errorf("spec not kept:\n%s", diff.Diff(part(old, "Spec"), part(obj, "Spec")))
			}
			if !reflect.DeepEqual(part(obj, "ObjectMeta"), part(old, "ObjectMeta")) {
				t.Errorf("metadata not kept:\n%s", diff.Diff(part(old, "ObjectMeta"), part(obj, "ObjectMeta")))
			}
			if !reflect.DeepEqual(part(obj, "Status"), wantStatus) {
				t.Errorf("status not taken from the request:\n%s", diff.Diff(wantStatus, part(obj, "Status")))
			}
			if errs := k.status.ValidateUpdate(ctx, obj, old); len(errs) != 0 {
				t.Errorf("the prepared status update does not validate: %v", errs)
			}
		})
	}
}
