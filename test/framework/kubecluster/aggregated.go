package kubecluster

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

// fieldManager owns the objects this package applies.
const fieldManager = "kubecluster"

// apiServiceResource is apiregistration.k8s.io/v1 apiservices; the dynamic
// client keeps k8s.io/kube-aggregator out of our module graph.
var apiServiceResource = schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"}

// APIServiceName returns the name of the APIService for group/version:
// <version>.<group>.
func APIServiceName(group, version string) string {
	return version + "." + group
}

// RegisterAggregatedAPI makes kube-apiserver's aggregator serve group at the
// given versions from an aggregated API server listening on
// 127.0.0.1:localPort (or localhost:localPort) with the serving certificate
// AggregatedCertFile. It applies (server-side, so it can be called again,
// e.g. when the server moved to another port):
//   - the Namespace AggregatedServiceNamespace;
//   - the Service AggregatedServiceName in it, of type ExternalName with
//     externalName localhost, which kube-apiserver, run with
//     --enable-aggregator-routing=false, resolves to https://localhost:<port>;
//   - one APIService <version>.<group> per version, with service.port =
//     localPort, caBundle = AggregatedCAFile, groupPriorityMinimum 1000 and
//     versionPriority falling in the order the versions are given.
//
// It does not wait: see WaitAPIServiceAvailable.
func (c *Cluster) RegisterAggregatedAPI(ctx context.Context, group string, versions []string, localPort int) error {
	if group == "" || len(versions) == 0 {
		return errors.New("kubecluster: RegisterAggregatedAPI needs a group and at least one version")
	}
	if localPort <= 0 || localPort > 65535 {
		return fmt.Errorf("kubecluster: invalid port %d", localPort)
	}
	caBundle, err := os.ReadFile(c.AggregatedCAFile)
	if err != nil {
		return err
	}
	cfg := c.superuserConfig()
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	apply := metav1.ApplyOptions{FieldManager: fieldManager, Force: true}

	ns := c.AggregatedServiceNamespace
	if _, err := cs.CoreV1().Namespaces().Apply(ctx, corev1ac.Namespace(ns), apply); err != nil {
		return fmt.Errorf("applying namespace %s: %w", ns, err)
	}
	svc := corev1ac.Service(c.AggregatedServiceName, ns).WithSpec(corev1ac.ServiceSpec().
		WithType(corev1.ServiceTypeExternalName).
		WithExternalName("localhost"))
	if _, err := cs.CoreV1().Services(ns).Apply(ctx, svc, apply); err != nil {
		return fmt.Errorf("applying service %s/%s: %w", ns, c.AggregatedServiceName, err)
	}
	for i, v := range versions {
		name := APIServiceName(group, v)
		obj := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "apiregistration.k8s.io/v1",
			"kind":       "APIService",
			"metadata":   map[string]any{"name": name},
			"spec": map[string]any{
				"group":                group,
				"version":              v,
				"groupPriorityMinimum": int64(1000),
				"versionPriority":      int64(10 * (len(versions) - i)),
				"service": map[string]any{
					"namespace": ns,
					"name":      c.AggregatedServiceName,
					"port":      int64(localPort),
				},
				"caBundle": base64.StdEncoding.EncodeToString(caBundle),
			},
		}}
		if _, err := dyn.Resource(apiServiceResource).Apply(ctx, name, obj, apply); err != nil {
			return fmt.Errorf("applying APIService %s: %w", name, err)
		}
	}
	return nil
}

// WaitAPIServiceAvailable polls the APIService name (e.g.
// "v1beta1.servicecatalog.k8s.io") until its Available condition is True,
// ctx is done, or timeout passes. The error carries the last condition seen.
func (c *Cluster) WaitAPIServiceAvailable(ctx context.Context, name string, timeout time.Duration) error {
	dyn, err := dynamic.NewForConfig(c.superuserConfig())
	if err != nil {
		return err
	}
	last := "not found"
	err = wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		obj, err := dyn.Resource(apiServiceResource).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			last = "not found"
			return false, nil
		}
		if err != nil {
			last = err.Error()
			return false, nil
		}
		conds, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
		last = "no Available condition"
		for _, raw := range conds {
			cond, ok := raw.(map[string]any)
			if !ok || cond["type"] != "Available" {
				continue
			}
			last = fmt.Sprintf("Available=%v reason=%v message=%v", cond["status"], cond["reason"], cond["message"])
			return cond["status"] == "True", nil
		}
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("APIService %s not available: %w (last: %s)", name, err, last)
	}
	return nil
}

// UnregisterAggregatedAPI deletes the APIServices <version>.<group> (missing
// ones are fine) and leaves the Service and Namespace alone. Call it before
// stopping an aggregated API server for good while the cluster keeps running:
// while an APIService is unavailable, discovery is incomplete, and the
// namespace controller and garbage collector of kube-controller-manager stall
// (namespaces stay Terminating).
func (c *Cluster) UnregisterAggregatedAPI(ctx context.Context, group string, versions []string) error {
	dyn, err := dynamic.NewForConfig(c.superuserConfig())
	if err != nil {
		return err
	}
	var errs []error
	for _, v := range versions {
		err := dyn.Resource(apiServiceResource).Delete(ctx, APIServiceName(group, v), metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("deleting APIService %s: %w", APIServiceName(group, v), err))
		}
	}
	return errors.Join(errs...)
}
