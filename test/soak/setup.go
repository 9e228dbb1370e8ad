package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

// catalogNamespace holds the brokers' credentials Secrets.
const catalogNamespace = "service-catalog"

// paramsSecret is the Secret of every soak namespace that instances and
// bindings take parameters from; its keys hold secret values.
const (
	paramsSecret      = "soak-params"
	instanceParamsKey = "instance"
	bindingParamsKey  = "binding"
)

// registerBroker stores b's credentials in a Secret, registers it as a
// ClusterServiceBroker and waits until its plans are published.
func (e *env) registerBroker(ctx context.Context, b *testBroker) error {
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: b.name + "-auth", Namespace: catalogNamespace},
		StringData: map[string]string{"username": b.username, "password": b.password},
	}
	if _, err := e.kube.CoreV1().Secrets(catalogNamespace).Create(ctx, secret, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating %s's credentials: %w", b.name, err)
	}
	csb := &v1beta1.ClusterServiceBroker{
		ObjectMeta: metav1.ObjectMeta{Name: b.name},
		Spec: v1beta1.ClusterServiceBrokerSpec{
			CommonServiceBrokerSpec: v1beta1.CommonServiceBrokerSpec{URL: b.url, RelistBehavior: v1beta1.ServiceBrokerRelistBehaviorManual},
			AuthInfo: &v1beta1.ClusterServiceBrokerAuthInfo{Basic: &v1beta1.ClusterBasicAuthConfig{
				SecretRef: &v1beta1.ObjectReference{Namespace: catalogNamespace, Name: secret.Name},
			}},
		},
	}
	if _, err := e.catalog.ServicecatalogV1beta1().ClusterServiceBrokers().Create(ctx, csb, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("registering %s: %w", b.name, err)
	}
	return e.waitPublished(ctx, b)
}

// waitPublished waits until broker b is Ready and its plans exist.
func (e *env) waitPublished(ctx context.Context, b *testBroker) error {
	sc := e.catalog.ServicecatalogV1beta1()
	var last string
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 3*time.Minute, true, func(ctx context.Context) (bool, error) {
		csb, err := sc.ClusterServiceBrokers().Get(ctx, b.name, metav1.GetOptions{})
		if err != nil || !meta.IsStatusConditionTrue(csb.Status.Conditions, v1beta1.ConditionReady) {
			last = fmt.Sprintf("broker not Ready (%v)", err)
			return false, nil
		}
		plans, err := sc.ClusterServicePlans().List(ctx, metav1.ListOptions{})
		if err != nil {
			last = err.Error()
			return false, nil
		}
		n := 0
		for _, p := range plans.Items {
			if p.Spec.ClusterServiceBrokerName == b.name {
				n++
			}
		}
		last = fmt.Sprintf("%d of %d plans published", n, len(b.planIDs))
		return n == len(b.planIDs), nil
	})
	if err != nil {
		return fmt.Errorf("%s's catalog was not published: %w (last: %s)", b.name, err, last)
	}
	e.logf("%s registered (%s)", b.name, b.url)
	return nil
}

// createNamespaces creates the soak's namespaces, each with the parameters
// Secret, and returns the secret values the Secrets hold.
func (e *env) createNamespaces(ctx context.Context, names []string) ([]string, error) {
	var values []string
	for _, n := range names {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n}}
		if _, err := e.kube.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("creating namespace %s: %w", n, err)
		}
		admin, token := "soak-param-"+randomHex(12), "soak-param-"+randomHex(12)
		secret := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: paramsSecret, Namespace: n},
			StringData: map[string]string{
				instanceParamsKey: mustJSON(map[string]any{"adminPassword": admin}),
				bindingParamsKey:  mustJSON(map[string]any{"bindToken": token}),
			},
		}
		if _, err := e.kube.CoreV1().Secrets(n).Create(ctx, secret, metav1.CreateOptions{}); err != nil {
			return nil, fmt.Errorf("creating %s/%s: %w", n, paramsSecret, err)
		}
		values = append(values, admin, token)
	}
	return values, nil
}

// mustJSON encodes v, which cannot fail for the soak's own values.
func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
