package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/test/framework/catalogstack"
)

// Section 2: instances created at once against the test broker's synchronous
// plan, until all are Ready: a small batch first, then the main one.

// Namespaces and names of sections 2 and 3.
const (
	provisionNS       = "bench-provision"
	provisionSmallNS  = "bench-provision-small"
	benchBrokerName   = "bench-broker"
	catalogGroupLabel = catalogstack.Group
)

// objectKey is namespace/name, the key of an object in a flow.
func objectKey(namespace, name string) string { return namespace + "/" + name }

// splitKey splits a key made by objectKey.
func splitKey(key string) (namespace, name string) {
	namespace, name, _ = strings.Cut(key, "/")
	return namespace, name
}

// flowKeys returns the keys of n objects called prefix-<i> (i from first, at
// least digits wide) in namespace.
func flowKeys(namespace, prefix string, first, n, digits int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = objectKey(namespace, fmt.Sprintf("%s-%0*d", prefix, digits, first+i))
	}
	return keys
}

// namespacesOf returns the namespaces of keys, in order, once each (keys
// come grouped by namespace).
func namespacesOf(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i], _ = splitKey(k)
	}
	return slices.Compact(out)
}

// describeNamespaces names the namespaces of keys for the report: the only
// one, or the first and the last.
func describeNamespaces(keys []string) string {
	ns := namespacesOf(keys)
	switch len(ns) {
	case 0:
		return ""
	case 1:
		return ns[0]
	}
	return fmt.Sprintf("%s..%s (%d)", ns[0], ns[len(ns)-1], len(ns))
}

// resourceVersion returns a function reading the current resource version
// of a collection from a LIST of at most one object.
func resourceVersion[L interface{ GetResourceVersion() string }](list func(context.Context, metav1.ListOptions) (L, error)) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		l, err := list(ctx, metav1.ListOptions{Limit: 1})
		if err != nil {
			return "", err
		}
		return l.GetResourceVersion(), nil
	}
}

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

// flowRun describes one flow to measure: objects named by keys, created at
// concurrency, finished as seen by a watch of watchNS ("" for every
// namespace).
type flowRun struct {
	section     string
	keys        []string
	watchNS     string
	concurrency int
	doneTimeout time.Duration
}

// newResult returns the flow's result before it runs, done saying what
// finishes an object.
func (fr flowRun) newResult(f *flowEnv, done string) *flowResult {
	return &flowResult{Status: "ok", Objects: len(fr.keys), Concurrency: fr.concurrency,
		Namespace: describeNamespaces(fr.keys), Done: done, Setup: f.setup()}
}

// provision creates fr's instances of the demo catalog's synchronous plan
// through kube-apiserver, as users do, in their namespaces (created first),
// and waits until each is Ready.
func provision(ctx context.Context, f *flowEnv, fr flowRun) *flowResult {
	r := fr.newResult(f, "Ready condition True (client-side watch)")
	if err := createNamespaces(ctx, f.e.cluster.Clientset(adminUser), namespacesOf(fr.keys)...); err != nil {
		r.fail(err)
		return r
	}
	sc := f.catalog.ServicecatalogV1beta1()
	template := &v1beta1.ServiceInstance{Spec: v1beta1.ServiceInstanceSpec{
		PlanReference: v1beta1.PlanReference{ClusterServiceClassExternalName: demoClass, ClusterServicePlanExternalName: demoPlan},
		Parameters:    &runtime.RawExtension{Raw: mustJSON(benchParameters())},
	}}
	create := func(ctx context.Context, key string) error {
		si := template.DeepCopy()
		si.Namespace, si.Name = splitKey(key)
		_, err := sc.ServiceInstances(si.Namespace).Create(ctx, si, metav1.CreateOptions{})
		return err
	}
	watched := sc.ServiceInstances(fr.watchNS)
	ready := func(obj runtime.Object) (string, bool) {
		si, ok := obj.(*v1beta1.ServiceInstance)
		if !ok {
			return "", false
		}
		return objectKey(si.Namespace, si.Name), meta.IsStatusConditionTrue(si.Status.Conditions, v1beta1.ConditionReady)
	}
	f.run(ctx, r, flowSpec{flowRun: fr, kind: instanceFlow, create: create,
		currentRV: resourceVersion(watched.List), watch: watched.Watch, finished: ready})
	return r
}

// section2 provisions, once the test broker is registered, a small first
// batch of -small-instances instances in a namespace of their own, then
// -instances instances, each batch created at once and measured on its own.
// small is nil without a small batch.
func section2(ctx context.Context, f *flowEnv) (small, main *flowResult) {
	opts := f.opts
	if opts.smallInstances > 0 {
		small = provision(ctx, f, flowRun{section: "section2-small", keys: section2SmallKeys(opts),
			watchNS: provisionSmallNS, concurrency: opts.flowConcurrency})
		small.Verdicts = []verdict{readyP99Verdict(2, "provisioning", small, targetReadyP99Small, targetSmallObjects)}
	}
	main = provision(ctx, f, flowRun{section: "section2", keys: section2Keys(opts),
		watchNS: provisionNS, concurrency: opts.flowConcurrency})
	main.Verdicts = []verdict{
		rateVerdict(2, "provisioning", "instances", main),
		readyP99Verdict(2, "provisioning", main, targetReadyP99, targetFlowObjects),
		onePUTVerdict(2, "provisioning", "instance", main),
	}
	return small, main
}

// section2Keys are the keys of section 2's main batch, which section 3 binds.
func section2Keys(opts *options) []string {
	return flowKeys(provisionNS, "si", 0, opts.instances, 4)
}

// section2SmallKeys are the keys of section 2's small batch.
func section2SmallKeys(opts *options) []string {
	return flowKeys(provisionSmallNS, "si", 0, opts.smallInstances, 4)
}
