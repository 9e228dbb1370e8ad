package main

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

// Section 3: one binding per instance of section 2,
// created at once, until every binding's Secret exists.

// probeBinding is the binding that finds out whether a binding controller
// runs; it binds the first instance and is not counted.
const probeBinding = "bench-probe"

// noBindingController is the reason section 3 is skipped when nothing acts on
// bindings.
const noBindingController = "no binding controller"

// section3 binds every instance of section 2 (named instances) at once and
// waits until every binding's Secret exists.
func section3(ctx context.Context, f *flowEnv, instances []string) *flowResult {
	opts := f.opts
	r := &flowResult{Status: "ok", Objects: len(instances), Concurrency: opts.flowConcurrency, Namespace: provisionNS,
		Done: "Secret exists (client-side watch)", Setup: f.setup()}
	kube, err := kubernetes.NewForConfig(unlimited(f.e.adminConfig()))
	if err != nil {
		r.fail(err)
		return r
	}
	bindings := f.catalog.ServicecatalogV1beta1().ServiceBindings(provisionNS)
	secrets := kube.CoreV1().Secrets(provisionNS)
	newBinding := func(name, instance string) *v1beta1.ServiceBinding {
		return &v1beta1.ServiceBinding{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec:       v1beta1.ServiceBindingSpec{InstanceRef: v1beta1.ServiceInstanceReference{Name: instance}},
		}
	}

	skip, err := probeBindingController(ctx, f, bindings.Create, secrets.Get, bindings.Get, newBinding(probeBinding, instances[0]))
	if err != nil {
		r.fail(err)
		return r
	}
	goal := fmt.Sprintf("at least %.0f bindings/s", targetPerSecond)
	if skip {
		r.Status, r.Skipped = "skipped", noBindingController
		r.Verdicts = []verdict{{Section: 3, Subject: "binding", Goal: goal, Status: statusSkipped, Detail: noBindingController}}
		return r
	}

	names := make([]string, len(instances))
	for i := range names {
		names[i] = fmt.Sprintf("sb-%04d", i)
	}
	instanceOf := map[string]string{}
	for i, n := range names {
		instanceOf[n] = instances[i]
	}
	create := func(ctx context.Context, name string) error {
		_, err := bindings.Create(ctx, newBinding(name, instanceOf[name]), metav1.CreateOptions{})
		return err
	}
	listRV := func(ctx context.Context) (string, error) {
		l, err := secrets.List(ctx, metav1.ListOptions{Limit: 1})
		if err != nil {
			return "", err
		}
		return l.ResourceVersion, nil
	}
	watchFn := func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) { return secrets.Watch(ctx, o) }
	exists := func(obj runtime.Object) (string, bool) {
		s, ok := obj.(*corev1.Secret)
		if !ok {
			return "", false
		}
		return s.Name, true // the secret name defaults to the binding's
	}
	f.run(ctx, r, flowSpec{
		section: "section3", names: names, create: create,
		currentRV: listRV, watch: watchFn, finished: exists,
		brokerKind: "binding", resource: "servicebindings", loop: "servicebinding",
	})
	r.Verdicts = []verdict{{
		Section: 3, Subject: "binding", Goal: goal,
		Status: check(r.PerSecond > 0, r.PerSecond >= targetPerSecond),
		Detail: fmt.Sprintf("%.1f bindings/s (%d Secrets in %.2fs)", r.PerSecond, r.Finished, r.AllDoneSeconds),
	}}
	return r
}

// probeBindingController creates probe and waits up to -binding-probe-timeout
// for its Secret. It returns skip=true when the Secret does not appear and
// nothing touched the binding's status (no binding controller runs), and an
// error when a controller acted on it but no Secret came (a broken binding
// loop must not look like a missing one).
func probeBindingController(ctx context.Context, f *flowEnv,
	create func(context.Context, *v1beta1.ServiceBinding, metav1.CreateOptions) (*v1beta1.ServiceBinding, error),
	getSecret func(context.Context, string, metav1.GetOptions) (*corev1.Secret, error),
	getBinding func(context.Context, string, metav1.GetOptions) (*v1beta1.ServiceBinding, error),
	probe *v1beta1.ServiceBinding,
) (skip bool, err error) {
	if _, err := create(ctx, probe, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return false, fmt.Errorf("creating the probe binding: %w", err)
	}
	start := time.Now()
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, f.opts.probeTimeout, true, func(ctx context.Context) (bool, error) {
		_, err := getSecret(ctx, probe.Name, metav1.GetOptions{})
		return err == nil, nil
	})
	if err == nil {
		f.logf("section3: the probe binding's Secret appeared after %s", time.Since(start).Round(time.Millisecond))
		return false, nil
	}
	b, getErr := getBinding(ctx, probe.Name, metav1.GetOptions{})
	if getErr != nil {
		return false, fmt.Errorf("no Secret for the probe binding within %s, and reading it failed: %w", f.opts.probeTimeout, getErr)
	}
	if len(b.Status.Conditions) == 0 && b.Status.ObservedGeneration == 0 {
		f.logf("section3: SKIPPED: %s (the probe binding got no Secret and no status within %s)", noBindingController, f.opts.probeTimeout)
		return true, nil
	}
	return false, fmt.Errorf("a binding controller acted on the probe binding but no Secret appeared within %s; status: %+v", f.opts.probeTimeout, b.Status.Conditions)
}
