package apiserver

import (
	"context"
	"testing"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/test/integration/framework"
)

func TestStatusAndSpecAreWrittenSeparately(t *testing.T) {
	s := framework.StartServer(t, framework.ServerOptions{EtcdServers: framework.SharedEtcd(t)})
	instances := s.AdminClient(t).ServicecatalogV1beta1().ServiceInstances("team-a")
	ctx := context.Background()

	created, err := instances.Create(ctx, framework.Instance("team-a", "db", "postgresql", "small"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	originalSpec := created.Spec.DeepCopy()

	// A status write that also tries to change the spec changes only the status.
	sneaky := created.DeepCopy()
	sneaky.Spec.ClusterServicePlanExternalName = "large"
	sneaky.Labels = map[string]string{"sneaky": "label"}
	meta.SetStatusCondition(&sneaky.Status.Conditions, metav1.Condition{Type: "Ready", Status: metav1.ConditionFalse, Reason: "Provisioning", Message: "in progress"})
	sneaky.Status.DashboardURL = "https://dashboard.example.com/db"
	afterStatus, err := instances.UpdateStatus(ctx, sneaky, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !apiequality.Semantic.DeepEqual(afterStatus.Spec, *originalSpec) {
		t.Errorf("status update changed the spec: %+v", afterStatus.Spec)
	}
	if afterStatus.Labels["sneaky"] != "" {
		t.Errorf("status update changed the labels")
	}
	if afterStatus.Status.DashboardURL != "https://dashboard.example.com/db" || !meta.IsStatusConditionFalse(afterStatus.Status.Conditions, "Ready") {
		t.Errorf("status update did not store the status: %+v", afterStatus.Status)
	}
	if afterStatus.Generation != 1 {
		t.Errorf("status update changed the generation to %d", afterStatus.Generation)
	}

	// A spec write that also tries to change the status changes only the spec.
	change := afterStatus.DeepCopy()
	change.Spec.ClusterServicePlanExternalName = "large"
	change.Status.DashboardURL = "https://elsewhere.example.com"
	change.Status.Conditions = nil
	afterSpec, err := instances.Update(ctx, change, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if afterSpec.Spec.ClusterServicePlanExternalName != "large" {
		t.Errorf("spec update did not store the plan")
	}
	if !apiequality.Semantic.DeepEqual(afterSpec.Status, afterStatus.Status) {
		t.Errorf("spec update changed the status: %+v", afterSpec.Status)
	}
	if afterSpec.Generation != 2 {
		t.Errorf("spec update left the generation at %d, want 2", afterSpec.Generation)
	}

	// A metadata-only write leaves the generation alone.
	relabel := afterSpec.DeepCopy()
	relabel.Labels = map[string]string{"team": "a"}
	afterLabels, err := instances.Update(ctx, relabel, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if afterLabels.Generation != 2 {
		t.Errorf("label update changed the generation to %d", afterLabels.Generation)
	}
}
