package controller

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2/textlogger"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/broker"
)

// TestNoSecretsInStatusEventsOrLogs runs a whole lifecycle against a broker that needs
// credentials from a Secret (basic auth, then a bearer token), with parameters from
// Secrets and a binding with credentials, and then looks for every secret value in every
// status, every event and the controller's log output at verbosity 10.
func TestNoSecretsInStatusEventsOrLogs(t *testing.T) {
	const (
		username       = "catalog"
		password       = "broker-PASSWORD-3b9c1f"
		token          = "broker-TOKEN-8d2e4a77"
		instanceSecret = "instance-PARAM-5c1e09"
		bindingSecret  = "binding-PARAM-a4f7d2"
	)
	e := newEnv(t, envOptions{catalog: bindingCatalog, noBrokerObject: true})
	ctx := context.Background()

	// The broker needs basic auth or the bearer token.
	b, err := broker.New(broker.Options{Catalog: e.broker.Catalog(), Username: username, Password: password, BearerToken: token})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	e.broker = b
	e.brokerURL = newServer(t, b)
	e.createSecret("broker-auth", map[string]string{"username": username, "password": password})
	e.createSecret("broker-token", map[string]string{"token": token})
	e.createBroker(func(cb *v1beta1.ClusterServiceBroker) {
		cb.Spec.AuthInfo = &v1beta1.ClusterServiceBrokerAuthInfo{Basic: &v1beta1.ClusterBasicAuthConfig{
			SecretRef: &v1beta1.ObjectReference{Namespace: e.namespace, Name: "broker-auth"}}}
	})
	e.waitBrokerReady()

	// From here on, the controller logs everything, at verbosity 10, through the logger
	// of its context, which every loop uses. (klog.SetLogger would capture klog's globals
	// too, but it must not be called while other goroutines log.) The controller started
	// by newEnv is running (the broker is Ready), so it stops cleanly.
	var logs syncBuffer
	logger := textlogger.NewLogger(textlogger.NewConfig(textlogger.Verbosity(10), textlogger.Output(&logs)))
	e.restartControllerLogging(logger)
	e.relist() // a catalog fetch with basic auth

	// Parameters from Secrets, for the instance and the binding.
	e.createSecret("instance-params", map[string]string{"params": fmt.Sprintf(`{"adminPassword":%q}`, instanceSecret)})
	e.createSecret("binding-params", map[string]string{"params": fmt.Sprintf(`{"token":%q}`, bindingSecret)})
	i := e.instance("kv", "kv-{id}", "async", `{"size":"small"}`)
	i.Spec.ParametersFrom = []v1beta1.ParametersFromSource{{SecretKeyRef: &v1beta1.SecretKeyReference{Name: "instance-params", Key: "params"}}}
	e.createInstance(i)
	e.waitInstanceReady("kv")
	bd := e.binding("creds", "kv")
	bd.Spec.Parameters = rawJSON(`{"role":"reader"}`)
	bd.Spec.ParametersFrom = []v1beta1.ParametersFromSource{{SecretKeyRef: &v1beta1.SecretKeyReference{Name: "binding-params", Key: "params"}}}
	created := e.createBinding(bd)
	bound := e.waitBindingReady(created.Name)
	held := e.brokerBinding(created.Spec.ExternalID)
	if held == nil {
		t.Fatal("the broker holds no binding")
	}
	if held.Parameters["token"] != bindingSecret || held.Parameters["role"] != "reader" {
		t.Errorf("the broker got the binding parameters %v", held.Parameters)
	}
	var recorded map[string]any
	if err := json.Unmarshal(bound.Status.ExternalProperties.Parameters.Raw, &recorded); err != nil || recorded["token"] != "<redacted>" || recorded["role"] != "reader" {
		t.Errorf("the binding's recorded parameters are not redacted: %s", bound.Status.ExternalProperties.Parameters.Raw)
	}
	if s := e.secret(created.Name); s == nil || string(s.Data["password"]) != held.Credentials["password"] {
		t.Fatalf("the credentials are not in the Secret")
	}

	// A bind answered with a malformed body, which holds the credentials cut short: the
	// binding is orphan-mitigated and nothing quotes the body.
	e.createInstance(e.instance("leaky", "kv-{id}", "leaky", ""))
	e.waitInstanceReady("leaky")
	leaky := e.createBinding(e.binding("leaky", "leaky"))
	e.waitBinding(leaky.Name, "orphan-mitigated", func(b *v1beta1.ServiceBinding) bool {
		return bindingHasReason(v1beta1.ConditionOrphanMitigation, "OrphanMitigationSuccessful")(b) && !b.Status.OrphanMitigationInProgress
	})

	secrets := map[string]string{
		"malformed bind answer":     "leaky-CREDENTIAL-77c1",
		"broker password":           password,
		"broker basic auth header":  base64.StdEncoding.EncodeToString([]byte(username + ":" + password)),
		"broker bearer token":       token,
		"instance secret parameter": instanceSecret,
		"binding secret parameter":  bindingSecret,
	}
	for k, v := range held.Credentials {
		// The test broker derives the user name from the binding's id, which is no secret.
		if s, ok := v.(string); ok && len(s) >= 8 && k != "username" {
			secrets["binding credential "+k] = s
		}
	}

	// Statuses while everything exists.
	statuses := collectStatuses(t, e)

	// The broker moves to bearer-token auth; the binding and the instance are deleted
	// through it.
	brokers := e.catalog.ServicecatalogV1beta1().ClusterServiceBrokers()
	err = retryConflict(func() error {
		cb, err := brokers.Get(ctx, e.brokerName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		cb.Spec.AuthInfo = &v1beta1.ClusterServiceBrokerAuthInfo{Bearer: &v1beta1.ClusterBearerTokenAuthConfig{
			SecretRef: &v1beta1.ObjectReference{Namespace: e.namespace, Name: "broker-token"}}}
		_, err = brokers.Update(ctx, cb, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	e.waitBroker("Ready with the token", func(cb *v1beta1.ClusterServiceBroker) bool {
		return cb.Status.ObservedGeneration == cb.Generation && meta.IsStatusConditionTrue(cb.Status.Conditions, v1beta1.ConditionReady)
	})
	e.deleteBinding(created.Name)
	e.waitBindingGone(created.Name)
	e.deleteBinding(leaky.Name)
	e.waitBindingGone(leaky.Name)
	e.deleteInstance("kv")
	e.deleteInstance("leaky")
	e.waitInstanceGone("kv")
	e.waitInstanceGone("leaky")
	if last := b.Requests()[len(b.Requests())-1]; last.Header.Get("Authorization") != "Bearer "+token {
		t.Errorf("the last request was not sent with the bearer token")
	}
	if n, m := len(b.Instances()), len(b.Bindings()); n != 0 || m != 0 {
		t.Errorf("the broker still holds %d instances and %d bindings", n, m)
	}
	statuses += collectStatuses(t, e)

	var events strings.Builder
	for _, ns := range []string{e.namespace, metav1.NamespaceDefault} {
		list, err := e.kube.CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range list.Items {
			fmt.Fprintf(&events, "%s %s %s/%s: %s\n", ev.Type, ev.Reason, ev.InvolvedObject.Kind, ev.InvolvedObject.Name, ev.Message)
		}
	}
	if !strings.Contains(events.String(), "InjectedBindResult") || !strings.Contains(events.String(), "UnboundSuccessfully") {
		t.Errorf("the binding's events were not found:\n%s", events.String())
	}
	if l := logs.String(); !strings.Contains(l, "OSB request") || !strings.Contains(l, `controller="servicebinding"`) {
		t.Errorf("the controller's logs were not captured at verbosity 10")
	}

	for what, text := range map[string]string{"statuses": statuses, "events": events.String(), "logs": logs.String()} {
		if found := leaks(text, secrets); len(found) > 0 {
			t.Errorf("%s reveal %s", what, strings.Join(found, ", "))
		}
	}
	t.Logf("checked %d bytes of status, %d of events and %d of logs", len(statuses), events.Len(), len(logs.String()))
}

// collectStatuses renders the status of every broker, instance and binding of the env as
// JSON.
func collectStatuses(t *testing.T, e *env) string {
	t.Helper()
	ctx := context.Background()
	sc := e.catalog.ServicecatalogV1beta1()
	var out []any
	brokers, err := sc.ClusterServiceBrokers().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range brokers.Items {
		out = append(out, b.Status)
	}
	instances, err := sc.ServiceInstances(e.namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range instances.Items {
		out = append(out, i.Status)
	}
	bindings, err := sc.ServiceBindings(e.namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bindings.Items {
		out = append(out, b.Status)
	}
	data, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
