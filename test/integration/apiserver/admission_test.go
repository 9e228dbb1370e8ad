package apiserver

import (
	"context"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	clientset "github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned/typed/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/test/integration/framework"
)

// afterCachesCatchUp sends request as a dry run until the answer satisfies want, then
// for real, and returns that answer. The admission plugins read informer caches, which
// lag a little behind the writes a test just made.
func afterCachesCatchUp(t testing.TB, want func(error) bool, request func(dryRun []string) error) error {
	t.Helper()
	var last error
	err := wait.PollUntilContextTimeout(t.Context(), 50*time.Millisecond, 15*time.Second, true, func(context.Context) (bool, error) {
		last = request([]string{metav1.DryRunAll})
		return want(last), nil
	})
	if err != nil {
		t.Fatalf("the dry run never answered as wanted; last answer: %v", last)
	}
	return request(nil)
}

func allowed(err error) bool { return err == nil }

// checkInvalid asserts that err is a 422 with one cause, on field, whose message holds msg.
func checkInvalid(t *testing.T, err error, field, msg string) {
	t.Helper()
	if !apierrors.IsInvalid(err) {
		t.Fatalf("got %v, want 422 Invalid", err)
	}
	causes := err.(apierrors.APIStatus).Status().Details.Causes
	if len(causes) != 1 || causes[0].Field != field || !strings.Contains(causes[0].Message, msg) {
		t.Errorf("causes %+v, want one on %s saying %q", causes, field, msg)
	}
}

func TestServicePlanChangeValidator(t *testing.T) {
	s := framework.StartServer(t, framework.ServerOptions{EtcdServers: framework.SharedEtcd(t)})
	c := s.AdminClient(t).ServicecatalogV1beta1()
	ctx := t.Context()
	const ns = "team-a"

	// Class "fixed" does not let instances change plans; its plans "large" and "small"
	// inherit that, "flex" overrides it. Created by the admin, as the controller would.
	class := framework.Class("fixed", "broker")
	class.Spec.PlanUpdatable = false
	if _, err := c.ClusterServiceClasses().Create(ctx, class, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// "small" last: once the plugin sees it, it sees the plans created before.
	for _, name := range []string{"fixed-flex", "fixed-large", "fixed-small"} {
		plan := framework.Plan(name, "fixed", "broker")
		if name == "fixed-flex" {
			plan.Spec.PlanUpdatable = ptr.To(true)
		}
		if _, err := c.ClusterServicePlans().Create(ctx, plan, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	// newInstance creates an instance of class fixed on plan (an external name) and, if
	// resolved is set, records it as the plan the controller resolved.
	newInstance := func(t *testing.T, name, plan, resolved string) *v1beta1.ServiceInstance {
		t.Helper()
		instance, err := c.ServiceInstances(ns).Create(ctx, framework.Instance(ns, name, "fixed-offering", plan), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if resolved != "" {
			instance.Status.ClusterServicePlanRef = &v1beta1.ClusterObjectReference{Name: resolved}
			if instance, err = c.ServiceInstances(ns).UpdateStatus(ctx, instance, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		return instance
	}
	changePlan := func(instance *v1beta1.ServiceInstance, plan string) func([]string) error {
		return func(dryRun []string) error {
			changed := instance.DeepCopy()
			changed.Spec.ClusterServicePlanExternalName = plan
			_, err := c.ServiceInstances(ns).Update(ctx, changed, metav1.UpdateOptions{DryRun: dryRun})
			return err
		}
	}
	const field, msg = "spec.clusterServicePlanExternalName", "the plan cannot be changed"

	t.Run("from a plan that is not updatable", func(t *testing.T) {
		instance := newInstance(t, "small-to-large", "fixed-small-plan", "")
		err := afterCachesCatchUp(t, apierrors.IsInvalid, changePlan(instance, "fixed-large-plan"))
		checkInvalid(t, err, field, msg)
	})

	t.Run("to a plan that is not updatable, and back", func(t *testing.T) {
		instance := newInstance(t, "flex-to-small", "fixed-flex-plan", "")
		if err := afterCachesCatchUp(t, allowed, changePlan(instance, "fixed-small-plan")); err != nil {
			t.Fatalf("leaving the updatable plan: %v", err)
		}
		instance, err := c.ServiceInstances(ns).Get(ctx, instance.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		err = afterCachesCatchUp(t, apierrors.IsInvalid, changePlan(instance, "fixed-flex-plan"))
		checkInvalid(t, err, field, msg)
	})

	t.Run("the resolved plan counts, not the old spec", func(t *testing.T) {
		// The spec names the updatable plan but the instance is still on "small".
		instance := newInstance(t, "resolved-small", "fixed-flex-plan", "fixed-small")
		err := afterCachesCatchUp(t, apierrors.IsInvalid, changePlan(instance, "fixed-large-plan"))
		checkInvalid(t, err, field, msg)
		// Going back to the plan it is on is no change of plan.
		if err := afterCachesCatchUp(t, allowed, changePlan(instance, "fixed-small-plan")); err != nil {
			t.Errorf("back to the resolved plan: %v", err)
		}

		// The spec names "small" but the instance is on the updatable plan.
		instance = newInstance(t, "resolved-flex", "fixed-small-plan", "fixed-flex")
		if err := afterCachesCatchUp(t, allowed, changePlan(instance, "fixed-large-plan")); err != nil {
			t.Errorf("leaving the resolved updatable plan: %v", err)
		}
	})

	t.Run("by Kubernetes name", func(t *testing.T) {
		instance := framework.Instance(ns, "by-name", "", "")
		instance.Spec.PlanReference = v1beta1.PlanReference{ClusterServiceClassName: "fixed", ClusterServicePlanName: "fixed-small"}
		instance, err := c.ServiceInstances(ns).Create(ctx, instance, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		err = afterCachesCatchUp(t, apierrors.IsInvalid, func(dryRun []string) error {
			changed := instance.DeepCopy()
			changed.Spec.ClusterServicePlanName = "fixed-large"
			_, err := c.ServiceInstances(ns).Update(ctx, changed, metav1.UpdateOptions{DryRun: dryRun})
			return err
		})
		checkInvalid(t, err, "spec.clusterServicePlanName", msg)
	})

	t.Run("unknown class", func(t *testing.T) {
		instance, err := c.ServiceInstances(ns).Create(ctx, framework.Instance(ns, "unknown", "nosuch", "small"), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := changePlan(instance, "large")(nil); err != nil {
			t.Errorf("the controller reports unknown classes, admission lets them pass: %v", err)
		}
	})
}

func TestServiceBindingsLifecycle(t *testing.T) {
	s := framework.StartServer(t, framework.ServerOptions{EtcdServers: framework.SharedEtcd(t)})
	c := s.AdminClient(t).ServicecatalogV1beta1()
	ctx := t.Context()
	const ns = "team-a"

	if _, err := c.ServiceInstances(ns).Create(ctx, framework.Instance(ns, "db", "postgresql", "small"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ServiceBindings(ns).Create(ctx, framework.Binding(ns, "before", "db"), metav1.CreateOptions{}); err != nil {
		t.Fatalf("binding to a live instance: %v", err)
	}
	// The finalizer keeps the instance, being deleted, until a controller deprovisions it.
	if err := c.ServiceInstances(ns).Delete(ctx, "db", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if deleting, err := c.ServiceInstances(ns).Get(ctx, "db", metav1.GetOptions{}); err != nil || deleting.DeletionTimestamp == nil {
		t.Fatalf("instance after delete: %v, %v; want it kept by its finalizer", deleting, err)
	}

	err := afterCachesCatchUp(t, apierrors.IsForbidden, func(dryRun []string) error {
		_, err := c.ServiceBindings(ns).Create(ctx, framework.Binding(ns, "after", "db"), metav1.CreateOptions{DryRun: dryRun})
		return err
	})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "instance db is being deleted") {
		t.Errorf("got %v, want 403: instance db is being deleted", err)
	}
	if _, err := c.ServiceBindings(ns).Create(ctx, framework.Binding(ns, "early", "not-yet"), metav1.CreateOptions{}); err != nil {
		t.Errorf("binding to an instance that does not exist yet: %v", err)
	}
}

func TestExternalIDUniqueness(t *testing.T) {
	s := framework.StartServer(t, framework.ServerOptions{EtcdServers: framework.SharedEtcd(t)})
	c := s.AdminClient(t).ServicecatalogV1beta1()
	ctx := t.Context()

	instance := func(ns, name, id string) *v1beta1.ServiceInstance {
		i := framework.Instance(ns, name, "postgresql", "small")
		i.Spec.ExternalID = id
		return i
	}
	binding := func(ns, name, id string) *v1beta1.ServiceBinding {
		b := framework.Binding(ns, name, "db")
		b.Spec.ExternalID = id
		return b
	}
	checkHidesVictim := func(t *testing.T, err error) {
		t.Helper()
		if strings.Contains(err.Error(), "victim") {
			t.Errorf("error %q reveals the other object's namespace or name", err)
		}
	}

	t.Run("ServiceInstance", func(t *testing.T) {
		instances := func(ns string) clientset.ServiceInstanceInterface { return c.ServiceInstances(ns) }
		if _, err := instances("victim-ns").Create(ctx, instance("victim-ns", "victim-db", "shared-instance-id"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		err := afterCachesCatchUp(t, apierrors.IsInvalid, func(dryRun []string) error {
			_, err := instances("attacker").Create(ctx, instance("attacker", "copy", "shared-instance-id"), metav1.CreateOptions{DryRun: dryRun})
			return err
		})
		checkInvalid(t, err, "spec.externalID", "is already used by another ServiceInstance")
		checkHidesVictim(t, err)

		if _, err := instances("attacker").Create(ctx, instance("attacker", "own", "unique-instance-id"), metav1.CreateOptions{}); err != nil {
			t.Errorf("unique ID: %v", err)
		}
		if created, err := instances("attacker").Create(ctx, instance("attacker", "generated", ""), metav1.CreateOptions{}); err != nil || created.Spec.ExternalID == "" {
			t.Errorf("no ID: %v, %v; want a generated one", created, err)
		}
		// Creating the very object again is refused by storage, as usual.
		if _, err := instances("victim-ns").Create(ctx, instance("victim-ns", "victim-db", "shared-instance-id"), metav1.CreateOptions{}); !apierrors.IsAlreadyExists(err) {
			t.Errorf("creating an existing instance again: %v, want AlreadyExists", err)
		}
	})

	t.Run("ServiceBinding", func(t *testing.T) {
		if _, err := c.ServiceBindings("victim-ns").Create(ctx, binding("victim-ns", "victim-creds", "shared-binding-id"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		err := afterCachesCatchUp(t, apierrors.IsInvalid, func(dryRun []string) error {
			_, err := c.ServiceBindings("attacker").Create(ctx, binding("attacker", "copy", "shared-binding-id"), metav1.CreateOptions{DryRun: dryRun})
			return err
		})
		checkInvalid(t, err, "spec.externalID", "is already used by another ServiceBinding")
		checkHidesVictim(t, err)

		if _, err := c.ServiceBindings("attacker").Create(ctx, binding("attacker", "own", "unique-binding-id"), metav1.CreateOptions{}); err != nil {
			t.Errorf("unique ID: %v", err)
		}
	})
}

// The server is ready only once the admission plugins' informers have synced, so that
// they do not refuse requests as not ready.
func TestReadyzCoversAdmissionInformers(t *testing.T) {
	s := framework.StartServer(t, framework.ServerOptions{EtcdServers: framework.SharedEtcd(t)})
	client, err := rest.UnversionedRESTClientFor(framework.WithCodecs(s.AdminConfig()))
	if err != nil {
		t.Fatal(err)
	}
	body, err := client.Get().AbsPath("/readyz").Param("verbose", "true").DoRaw(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), "[+]catalog-admission-informer-sync ok") {
		t.Errorf("/readyz does not check the admission informers:\n%s", body)
	}
}

// An instance that names a class with one plan, and no plan, gets that plan; one that
// names a class with several is refused with the list.
func TestDefaultServicePlan(t *testing.T) {
	s := framework.StartServer(t, framework.ServerOptions{EtcdServers: framework.SharedEtcd(t)})
	c := s.AdminClient(t).ServicecatalogV1beta1()
	ctx := t.Context()
	const ns = "team-a"
	for _, class := range []string{"single", "several"} {
		if _, err := c.ClusterServiceClasses().Create(ctx, framework.Class(class, "broker"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, plan := range []struct{ name, class string }{{"several-a", "several"}, {"several-b", "several"}, {"single-only", "single"}} {
		if _, err := c.ClusterServicePlans().Create(ctx, framework.Plan(plan.name, plan.class, "broker"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	create := func(name, class string) func([]string) error {
		return func(dryRun []string) error {
			_, err := c.ServiceInstances(ns).Create(ctx, framework.Instance(ns, name, class, ""), metav1.CreateOptions{DryRun: dryRun})
			return err
		}
	}
	if err := afterCachesCatchUp(t, allowed, create("defaulted", "single-offering")); err != nil {
		t.Fatal(err)
	}
	got, err := c.ServiceInstances(ns).Get(ctx, "defaulted", metav1.GetOptions{})
	if err != nil || got.Spec.ClusterServicePlanExternalName != "single-only-plan" {
		t.Fatalf("plan of the instance: %q (%v), want single-only-plan", got.Spec.ClusterServicePlanExternalName, err)
	}
	err = afterCachesCatchUp(t, apierrors.IsInvalid, create("ambiguous", "several-offering"))
	checkInvalid(t, err, "spec.clusterServicePlanExternalName", `class "several-offering" has 2 plans; name one of: several-a-plan, several-b-plan`)
}
