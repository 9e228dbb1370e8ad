package controller

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/klog/v2"

	"github.com/kube-service-catalog/catalog/cmd/controller-manager/app"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/broker"
)

// bindingCatalog has a bindings_retrievable offering with a plan per way a bind can go,
// and an offering whose bindings cannot be fetched.
const bindingCatalog = `
services:
- name: kv-{id}
  id: kv-{id}-service
  description: A key-value store
  bindable: true
  bindings_retrievable: true
  tags: [redis, cache]
  plans:
  - {name: sync, id: kv-{id}-sync, description: "synchronous binds"}
  - name: async
    id: kv-{id}-async
    description: asynchronous binds and unbinds
    metadata: {testBroker: {bind: {mode: async, asyncPolls: 2}, unbind: {mode: async, asyncPolls: 1}}}
  - {name: nobind, id: kv-{id}-nobind, description: "not bindable", bindable: false}
  - name: async-slow
    id: kv-{id}-async-slow
    description: asynchronous binds that take a few seconds
    metadata: {testBroker: {bind: {mode: async, asyncPolls: 4, retryAfterSeconds: 1}}}
  - name: slow
    id: kv-{id}-slow
    description: provisioned asynchronously
    metadata: {testBroker: {provision: {mode: async, asyncPolls: 5}}}
  - {name: bind-500, id: kv-{id}-500, description: "5xx", metadata: {testBroker: {bind: {failStatus: 500, failDescription: "credential store unavailable"}}}}
  - {name: bind-timeout, id: kv-{id}-timeout, description: "hangs", metadata: {testBroker: {bind: {hang: true}}}}
  - {name: bind-malformed-201, id: kv-{id}-m201, description: "bad 201", metadata: {testBroker: {bind: {malformedBody: true}}}}
  - {name: bind-204, id: kv-{id}-204, description: "other 2xx", metadata: {testBroker: {bind: {status204: true}}}}
  - {name: bind-400, id: kv-{id}-400, description: "400", metadata: {testBroker: {bind: {failStatus: 400, failDescription: "role must be reader or writer"}}}}
  - {name: bind-409, id: kv-{id}-409, description: "409", metadata: {testBroker: {bind: {failStatus: 409}}}}
  - {name: bind-busy, id: kv-{id}-busy, description: "422 ConcurrencyError", metadata: {testBroker: {bind: {failStatus: 422, failError: ConcurrencyError}}}}
  - {name: bind-async-failed, id: kv-{id}-afailed, description: "async bind fails", metadata: {testBroker: {bind: {mode: async, asyncState: failed, asyncDescription: "quota exceeded"}}}}
  - name: leaky
    id: kv-{id}-leaky
    description: "answers the first bind with its credentials cut short"
    metadata: {testBroker: {bind: {malformedBody: true, failTimes: 1}, credentials: {password: leaky-CREDENTIAL-77c1, uri: "redis://u:leaky-CREDENTIAL-77c1@h:6379"}}}
- name: plain-{id}
  id: plain-{id}-service
  description: Bindings that cannot be fetched
  bindable: true
  plans:
  - {name: sync, id: plain-{id}-sync, description: "synchronous binds"}
`

// binding returns a new binding of the env's namespace.
func (e *env) binding(name, instance string) *v1beta1.ServiceBinding {
	return &v1beta1.ServiceBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: e.namespace, Name: name},
		Spec:       v1beta1.ServiceBindingSpec{InstanceRef: v1beta1.ServiceInstanceReference{Name: instance}},
	}
}

// createBinding creates a binding as the admin.
func (e *env) createBinding(b *v1beta1.ServiceBinding) *v1beta1.ServiceBinding {
	e.t.Helper()
	created, err := e.catalog.ServicecatalogV1beta1().ServiceBindings(e.namespace).Create(context.Background(), b, metav1.CreateOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return created
}

// getBinding reads a binding.
func (e *env) getBinding(name string) *v1beta1.ServiceBinding {
	e.t.Helper()
	b, err := e.catalog.ServicecatalogV1beta1().ServiceBindings(e.namespace).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

// deleteBinding deletes a binding as the admin.
func (e *env) deleteBinding(name string) {
	e.t.Helper()
	if err := e.catalog.ServicecatalogV1beta1().ServiceBindings(e.namespace).Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil {
		e.t.Fatal(err)
	}
}

// waitBinding waits until a binding satisfies a condition.
func (e *env) waitBinding(name, what string, ok func(*v1beta1.ServiceBinding) bool) *v1beta1.ServiceBinding {
	e.t.Helper()
	var last *v1beta1.ServiceBinding
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		b, err := e.catalog.ServicecatalogV1beta1().ServiceBindings(e.namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		last = b
		return ok(b), nil
	})
	if err != nil {
		e.t.Fatalf("binding %s never became %s; last status: %+v", name, what, bindingStatus(last))
	}
	return last
}

// waitBindingReady waits until a binding is Ready.
func (e *env) waitBindingReady(name string) *v1beta1.ServiceBinding {
	e.t.Helper()
	return e.waitBinding(name, "Ready", func(b *v1beta1.ServiceBinding) bool {
		return meta.IsStatusConditionTrue(b.Status.Conditions, v1beta1.ConditionReady)
	})
}

// bindingHasReason tells whether a condition of the binding has a reason.
func bindingHasReason(conditionType, reason string) func(*v1beta1.ServiceBinding) bool {
	return func(b *v1beta1.ServiceBinding) bool {
		c := meta.FindStatusCondition(b.Status.Conditions, conditionType)
		return c != nil && c.Reason == reason
	}
}

// waitBindingGone waits until a binding no longer exists.
func (e *env) waitBindingGone(name string) {
	e.t.Helper()
	var last *v1beta1.ServiceBinding
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		b, err := e.catalog.ServicecatalogV1beta1().ServiceBindings(e.namespace).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		last = b
		return false, nil
	})
	if err != nil {
		e.t.Fatalf("binding %s was never deleted; last status: %+v", name, bindingStatus(last))
	}
}

func bindingStatus(b *v1beta1.ServiceBinding) any {
	if b == nil {
		return nil
	}
	return b.Status
}

// provisioned creates an instance of a plan of the kv offering and waits until it is Ready.
func (e *env) provisioned(name, class, plan string) *v1beta1.ServiceInstance {
	e.t.Helper()
	created := e.createInstance(e.instance(name, class, plan, ""))
	return e.waitInstanceReady(created.Name)
}

// bindingRequests returns the OSB requests the broker received for one binding, as
// "METHOD kind status" strings in order, e.g. "PUT bind 201", "DELETE unbind 410".
func (e *env) bindingRequests(bindingID string) []string {
	var out []string
	for _, r := range e.bindingRecorded(bindingID) {
		out = append(out, describeRequest(r))
	}
	return out
}

// bindingRecorded returns the broker's recorded requests for one binding.
func (e *env) bindingRecorded(bindingID string) []broker.RecordedRequest {
	var out []broker.RecordedRequest
	for _, r := range e.broker.Requests() {
		if strings.Contains(r.Path, "/service_bindings/"+bindingID) {
			out = append(out, r)
		}
	}
	return out
}

// brokerBinding returns the broker's record of a binding, or nil.
func (e *env) brokerBinding(bindingID string) *broker.Binding {
	for _, b := range e.broker.Bindings() {
		if b.ID == bindingID {
			return &b
		}
	}
	return nil
}

// createSecret creates a Secret in the env's namespace.
func (e *env) createSecret(name string, data map[string]string) *corev1.Secret {
	e.t.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: e.namespace, Name: name}, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	created, err := e.kube.CoreV1().Secrets(e.namespace).Create(context.Background(), s, metav1.CreateOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return created
}

// secret reads a Secret of the env's namespace; nil when it does not exist.
func (e *env) secret(name string) *corev1.Secret {
	e.t.Helper()
	s, err := e.kube.CoreV1().Secrets(e.namespace).Get(context.Background(), name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// restartControllerLogging stops the controller-manager and runs a new one whose
// context carries logger, so that the loops log through it.
func (e *env) restartControllerLogging(logger klog.Logger) {
	e.stopController()
	ctx, cancel := context.WithCancel(klog.NewContext(context.Background(), logger))
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

// syncBuffer is a bytes.Buffer safe for concurrent writers, for captured logs.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// leaks returns the secrets that occur in text, described by name.
func leaks(text string, secrets map[string]string) []string {
	var found []string
	for name, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			found = append(found, fmt.Sprintf("%s (%q)", name, s))
		}
	}
	return found
}
