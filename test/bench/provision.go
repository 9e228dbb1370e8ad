package main

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/test/framework/catalogstack"
)

// Section 2: instances created at once against the
// test broker's synchronous plan, until all are Ready.

// Section 2 and 3 targets.
const (
	targetPerSecond   = 150.0
	targetReadyP99Ms  = 2000.0
	provisionNS       = "bench-provision"
	benchBrokerName   = "bench-broker"
	catalogGroupLabel = catalogstack.Group
)

// registerBroker registers the stack's test broker and waits until its
// catalog is published with the demo plan.
func (f *flowEnv) registerBroker(ctx context.Context) error {
	sc := f.catalog.ServicecatalogV1beta1()
	b := &v1beta1.ClusterServiceBroker{
		ObjectMeta: metav1.ObjectMeta{Name: benchBrokerName},
		Spec: v1beta1.ClusterServiceBrokerSpec{CommonServiceBrokerSpec: v1beta1.CommonServiceBrokerSpec{
			URL:            f.e.stack.BrokerURL,
			RelistBehavior: v1beta1.ServiceBrokerRelistBehaviorManual,
		}},
	}
	if _, err := sc.ClusterServiceBrokers().Create(ctx, b, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("registering the test broker: %w", err)
	}
	var last string
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		b, err := sc.ClusterServiceBrokers().Get(ctx, benchBrokerName, metav1.GetOptions{})
		if err != nil {
			last = err.Error()
			return false, nil
		}
		if !meta.IsStatusConditionTrue(b.Status.Conditions, v1beta1.ConditionReady) {
			last = fmt.Sprintf("broker conditions %v", b.Status.Conditions)
			return false, nil
		}
		plans, err := sc.ClusterServicePlans().List(ctx, metav1.ListOptions{})
		if err != nil {
			last = err.Error()
			return false, nil
		}
		for _, p := range plans.Items {
			if p.Spec.ExternalName == demoPlan && p.Spec.ClusterServiceBrokerName == benchBrokerName {
				return true, nil
			}
		}
		last = "no plan " + demoPlan + " yet"
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("the test broker's catalog was not published: %w (last: %s)", err, last)
	}
	return nil
}

// section2 provisions opts.instances instances of the demo catalog's
// synchronous plan at once, with the controller manager and the test broker
// running, and waits until all are Ready.
func section2(ctx context.Context, f *flowEnv) *flowResult {
	opts := f.opts
	r := &flowResult{Status: "ok", Objects: opts.instances, Concurrency: opts.flowConcurrency, Namespace: provisionNS,
		Done: "Ready condition True (client-side watch)", Setup: f.setup()}
	if err := createNamespaces(ctx, f.e.cluster.Clientset(adminUser), provisionNS); err != nil {
		r.fail(err)
		return r
	}
	if err := f.registerBroker(ctx); err != nil {
		r.fail(err)
		return r
	}
	names := make([]string, opts.instances)
	for i := range names {
		names[i] = fmt.Sprintf("si-%04d", i)
	}
	instances := f.catalog.ServicecatalogV1beta1().ServiceInstances(provisionNS)
	ready := func(obj runtime.Object) (string, bool) {
		si, ok := obj.(*v1beta1.ServiceInstance)
		if !ok {
			return "", false
		}
		return si.Name, meta.IsStatusConditionTrue(si.Status.Conditions, v1beta1.ConditionReady)
	}
	template := &v1beta1.ServiceInstance{Spec: v1beta1.ServiceInstanceSpec{
		PlanReference: v1beta1.PlanReference{ClusterServiceClassExternalName: demoClass, ClusterServicePlanExternalName: demoPlan},
		Parameters:    &runtime.RawExtension{Raw: mustJSON(benchParameters())},
	}}
	create := func(ctx context.Context, name string) error {
		si := template.DeepCopy()
		si.Name = name
		_, err := instances.Create(ctx, si, metav1.CreateOptions{})
		return err
	}
	watchFn := func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
		return instances.Watch(ctx, o)
	}
	listRV := func(ctx context.Context) (string, error) {
		l, err := instances.List(ctx, metav1.ListOptions{Limit: 1})
		if err != nil {
			return "", err
		}
		return l.ResourceVersion, nil
	}
	f.run(ctx, r, flowSpec{
		section: "section2", names: names, create: create,
		currentRV: listRV, watch: watchFn, finished: ready,
		brokerKind: "instance", resource: "serviceinstances", loop: "serviceinstance",
	})
	r.Verdicts = []verdict{
		{Section: 2, Subject: "provisioning", Goal: fmt.Sprintf("at least %.0f instances/s", targetPerSecond),
			Status: check(r.PerSecond > 0, r.PerSecond >= targetPerSecond),
			Detail: fmt.Sprintf("%.1f instances/s (%d Ready in %.2fs)", r.PerSecond, r.Finished, r.AllDoneSeconds)},
		{Section: 2, Subject: "provisioning", Goal: "p99 create-to-Ready under 2 s",
			Status: check(r.CreateToDone.Count == r.Objects, r.CreateToDone.P99 < targetReadyP99Ms),
			Detail: fmt.Sprintf("p99 %.0f ms (p50 %.0f ms, max %.0f ms)", r.CreateToDone.P99, r.CreateToDone.P50, r.CreateToDone.Max)},
		{Section: 2, Subject: "provisioning", Goal: "exactly one broker PUT per instance",
			Status: check(r.Broker.Objects > 0, r.Broker.ExactlyOnePUT == r.Objects && r.Broker.ObjectsWithPUT == r.Objects),
			Detail: fmt.Sprintf("%d of %d instances got exactly one PUT, %d got a PUT, at most %d", r.Broker.ExactlyOnePUT, r.Objects, r.Broker.ObjectsWithPUT, r.Broker.MaxPUTs)},
	}
	return r
}
