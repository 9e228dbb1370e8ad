package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
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

// bind creates one binding for each of fr's keys, of the instance
// instanceOf(key) in the same namespace, through kube-apiserver, and waits
// until each binding's Secret exists (its name defaults to the binding's).
func bind(ctx context.Context, f *flowEnv, fr flowRun, instanceOf func(key string) string) *flowResult {
	r := fr.newResult(f, "Secret exists (client-side watch)")
	kube, err := kubernetes.NewForConfig(unlimited(f.e.adminConfig()))
	if err != nil {
		r.fail(err)
		return r
	}
	sc := f.catalog.ServicecatalogV1beta1()
	create := func(ctx context.Context, key string) error {
		ns, name := splitKey(key)
		_, err := sc.ServiceBindings(ns).Create(ctx, newBinding(name, instanceOf(key)), metav1.CreateOptions{})
		return err
	}
	secrets := kube.CoreV1().Secrets(fr.watchNS)
	exists := func(obj runtime.Object) (string, bool) {
		s, ok := obj.(*corev1.Secret)
		if !ok {
			return "", false
		}
		return objectKey(s.Namespace, s.Name), true
	}
	f.run(ctx, r, flowSpec{flowRun: fr, kind: bindingFlow, create: create,
		currentRV: resourceVersion(secrets.List), watch: secrets.Watch, finished: exists})
	return r
}

// newBinding returns the binding name of instance.
func newBinding(name, instance string) *v1beta1.ServiceBinding {
	return &v1beta1.ServiceBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       v1beta1.ServiceBindingSpec{InstanceRef: v1beta1.ServiceInstanceReference{Name: instance}},
	}
}

// bindingKey is the key of the binding of the instance with key k: the
// instance's name with the prefix "sb" instead of "si".
func bindingKey(k string) string {
	ns, name := splitKey(k)
	return objectKey(ns, "sb"+strings.TrimPrefix(name, "si"))
}

// instanceOfBinding is the name of the instance the binding with key k binds
// (see bindingKey).
func instanceOfBinding(k string) string {
	_, name := splitKey(k)
	return "si" + strings.TrimPrefix(name, "sb")
}

// section3 binds every instance of section 2 (keys instances) at once and
// waits until every binding's Secret exists, once a probe binding showed
// that a binding controller runs.
func section3(ctx context.Context, f *flowEnv, instances []string) *flowResult {
	fr := flowRun{section: "section3", watchNS: provisionNS, concurrency: f.opts.flowConcurrency}
	for _, k := range instances {
		fr.keys = append(fr.keys, bindingKey(k))
	}
	kube := f.e.cluster.Clientset(adminUser)
	bindings := f.catalog.ServicecatalogV1beta1().ServiceBindings(provisionNS)
	_, first := splitKey(instances[0])
	skip, err := probeBindingController(ctx, f, bindings.Create, kube.CoreV1().Secrets(provisionNS).Get, bindings.Get, newBinding(probeBinding, first))
	if err != nil {
		r := fr.newResult(f, "")
		r.fail(err)
		return r
	}
	if skip {
		r := fr.newResult(f, "")
		r.Status, r.Skipped = "skipped", noBindingController
		r.Verdicts = []verdict{{Section: 3, Subject: "binding", Name: "bindings/s end to end",
			Figure: noBindingController, Goal: fmt.Sprintf(">= %.0f/s", targetPerSecond), Status: statusSkipped}}
		return r
	}
	r := bind(ctx, f, fr, instanceOfBinding)
	r.Verdicts = []verdict{
		rateVerdict(3, "binding", "bindings", r),
		onePUTVerdict(3, "binding", "binding", r),
	}
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
