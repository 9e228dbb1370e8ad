package apiserver

import (
	"context"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	scapply "github.com/kube-service-catalog/catalog/pkg/generated/applyconfiguration/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/test/integration/framework"
)

func TestServerSideApply(t *testing.T) {
	s := framework.StartServer(t, framework.ServerOptions{EtcdServers: framework.SharedEtcd(t)})
	instances := s.AdminClient(t).ServicecatalogV1beta1().ServiceInstances("team-a")
	ctx := context.Background()

	// The first manager creates the instance with its plan and parameters.
	first := scapply.ServiceInstance("db", "team-a").WithSpec(scapply.ServiceInstanceSpec().
		WithClusterServiceClassExternalName("postgresql").
		WithClusterServicePlanExternalName("small").
		WithParameters(runtime.RawExtension{Raw: []byte(`{"size":"10Gi"}`)}))
	created, err := instances.Apply(ctx, first, metav1.ApplyOptions{FieldManager: "gitops"})
	if err != nil {
		t.Fatal(err)
	}
	if created.Generation != 1 || created.Spec.ExternalID == "" || created.Spec.UserInfo == nil {
		t.Fatalf("apply did not create the instance as a create would: %+v", created.Spec)
	}
	if !ownedBy(created.ManagedFields, "gitops") {
		t.Fatalf("managedFields do not record the gitops manager: %+v", created.ManagedFields)
	}

	// A second manager that changes the plan conflicts with the first.
	second := scapply.ServiceInstance("db", "team-a").WithSpec(scapply.ServiceInstanceSpec().
		WithClusterServiceClassExternalName("postgresql").
		WithClusterServicePlanExternalName("large"))
	_, err = instances.Apply(ctx, second, metav1.ApplyOptions{FieldManager: "operator"})
	if !apierrors.IsConflict(err) {
		t.Fatalf("conflicting apply returned %v, want a conflict", err)
	}
	status := err.(apierrors.APIStatus).Status()
	if status.Details == nil || len(status.Details.Causes) == 0 || status.Details.Causes[0].Field != ".spec.clusterServicePlanExternalName" {
		t.Errorf("the conflict does not name the plan field: %+v", status.Details)
	}

	// Forcing takes the field over.
	forced, err := instances.Apply(ctx, second, metav1.ApplyOptions{FieldManager: "operator", Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if forced.Spec.ClusterServicePlanExternalName != "large" || forced.Generation != 2 {
		t.Errorf("forced apply: plan %q generation %d, want large and 2", forced.Spec.ClusterServicePlanExternalName, forced.Generation)
	}
	if string(forced.Spec.Parameters.Raw) != `{"size":"10Gi"}` {
		t.Errorf("forced apply dropped the first manager's parameters: %s", forced.Spec.Parameters.Raw)
	}
	if !ownedBy(forced.ManagedFields, "gitops") || !ownedBy(forced.ManagedFields, "operator") {
		t.Errorf("both managers should own fields: %+v", forced.ManagedFields)
	}

	// A status apply by the controller does not touch the spec and is owned separately.
	statusApply := scapply.ServiceInstance("db", "team-a").WithStatus(scapply.ServiceInstanceStatus().WithDashboardURL("https://dash/db"))
	withStatus, err := instances.ApplyStatus(ctx, statusApply, metav1.ApplyOptions{FieldManager: "controller", Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if withStatus.Status.DashboardURL != "https://dash/db" || withStatus.Generation != 2 {
		t.Errorf("status apply: dashboard %q generation %d", withStatus.Status.DashboardURL, withStatus.Generation)
	}
}

func TestDryRunPersistsNothing(t *testing.T) {
	s := framework.StartServer(t, framework.ServerOptions{EtcdServers: framework.SharedEtcd(t)})
	c := s.AdminClient(t).ServicecatalogV1beta1()
	ctx := context.Background()
	dryRun := []string{metav1.DryRunAll}

	// Create: the response is what would be stored, but nothing is.
	preview, err := c.ServiceInstances("team-a").Create(ctx, framework.Instance("team-a", "db", "postgresql", "small"), metav1.CreateOptions{DryRun: dryRun})
	if err != nil {
		t.Fatal(err)
	}
	if preview.Spec.ExternalID == "" || preview.Generation != 1 {
		t.Errorf("dry-run create did not run the strategy: %+v", preview)
	}
	if _, err := c.ServiceInstances("team-a").Get(ctx, "db", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("dry-run create stored the instance: %v", err)
	}
	applied, err := c.ServiceInstances("team-a").Apply(ctx, scapply.ServiceInstance("db", "team-a").WithSpec(scapply.ServiceInstanceSpec().
		WithClusterServiceClassExternalName("postgresql").WithClusterServicePlanExternalName("small")),
		metav1.ApplyOptions{FieldManager: "kubectl", DryRun: dryRun})
	if err != nil || applied.Name != "db" {
		t.Fatalf("dry-run apply: %v", err)
	}
	if _, err := c.ServiceInstances("team-a").Get(ctx, "db", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("dry-run apply stored the instance: %v", err)
	}

	// Update and delete: the stored object is unchanged.
	stored, err := c.ClusterServiceBrokers().Create(ctx, framework.Broker("demo"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	changed := stored.DeepCopy()
	changed.Spec.URL = "https://elsewhere.example.com"
	if _, err := c.ClusterServiceBrokers().Update(ctx, changed, metav1.UpdateOptions{DryRun: dryRun}); err != nil {
		t.Fatal(err)
	}
	if err := c.ClusterServiceBrokers().Delete(ctx, "demo", metav1.DeleteOptions{DryRun: dryRun}); err != nil {
		t.Fatal(err)
	}
	after, err := c.ClusterServiceBrokers().Get(ctx, "demo", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if after.ResourceVersion != stored.ResourceVersion || after.Spec.URL != stored.Spec.URL || after.DeletionTimestamp != nil {
		t.Errorf("dry-run update or delete changed the broker: %+v", after)
	}
}

func ownedBy(fields []metav1.ManagedFieldsEntry, manager string) bool {
	for _, f := range fields {
		if f.Manager == manager {
			return true
		}
	}
	return false
}
