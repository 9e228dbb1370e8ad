package controller

import (
	"context"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/servicebinding"
)

// TestADeletedCredentialsSecretIsWrittenAgain deletes the Secret of a Ready binding by
// hand: the controller, which watches the Secrets it labelled, writes it again within
// seconds, from the broker's GET of the binding where the offering allows it and
// otherwise by binding again after unbinding the lost credentials.
func TestADeletedCredentialsSecretIsWrittenAgain(t *testing.T) {
	e := newEnv(t, envOptions{catalog: bindingCatalog})
	for _, tc := range []struct {
		name, class string
		// after are the broker's requests for the binding after the Secret is gone.
		after []string
		// sameCredentials is whether the Secret holds what it held before.
		sameCredentials bool
	}{
		{"retrievable", "kv-{id}", []string{"GET get-binding 200"}, true},
		{"not retrievable", "plain-{id}", []string{"DELETE unbind 200", "PUT bind 201"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			instance := e.provisioned("restore-"+tc.name[:3], tc.class, "sync")
			created := e.createBinding(e.binding("restore-"+tc.name[:3], instance.Name))
			e.waitBindingReady(created.Name)
			before := e.secret(created.Name)
			if before == nil || before.Labels[servicebinding.SecretLabel] != string(created.UID) {
				t.Fatalf("the Secret %+v does not carry the label %s=%s", before, servicebinding.SecretLabel, created.UID)
			}
			sent := len(e.bindingRequests(created.Spec.ExternalID))

			if err := e.kube.CoreV1().Secrets(e.namespace).Delete(context.Background(), created.Name, metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
			after := e.waitSecretBack(created.Name, before.UID)
			if got := e.bindingRequests(created.Spec.ExternalID)[sent:]; !slices.Equal(got, tc.after) {
				t.Errorf("the broker saw %v after the Secret was deleted, want %v", got, tc.after)
			}
			if same := string(after.Data["password"]) == string(before.Data["password"]); same != tc.sameCredentials || len(after.Data["password"]) == 0 {
				t.Errorf("password after %q, before %q: want the same ones: %v", after.Data["password"], before.Data["password"], tc.sameCredentials)
			}
			if after.Labels[servicebinding.SecretLabel] != string(created.UID) {
				t.Errorf("the new Secret has labels %v", after.Labels)
			}
			e.waitBindingReady(created.Name)
			e.waitEvent(created.Name, conditions.SecretMissing)
		})
	}
}

// waitSecretBack waits until a Secret named name, other than the one with UID old, exists.
func (e *env) waitSecretBack(name string, old types.UID) *corev1.Secret {
	e.t.Helper()
	var found *corev1.Secret
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		s, err := e.kube.CoreV1().Secrets(e.namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil || s.UID == old {
			return false, nil
		}
		found = s
		return true, nil
	})
	if err != nil {
		e.t.Fatalf("the Secret %s was not written again after it was deleted", name)
	}
	return found
}
