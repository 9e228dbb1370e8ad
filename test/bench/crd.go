package main

import (
	"context"
	_ "embed"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/kube-service-catalog/catalog/test/framework/catalogstack"
)

// crdYAML is the CRD of the "just use CRDs" target.
//
//go:embed crd.yaml
var crdYAML []byte

// crdGroup is the CRD's API group.
const crdGroup = "bench.servicecatalog.example.com"

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// The ServiceInstances of our API server and of the CRD.
var (
	catalogInstances = schema.GroupVersionResource{Group: catalogstack.Group, Version: catalogstack.Version, Resource: "serviceinstances"}
	crdInstances     = schema.GroupVersionResource{Group: crdGroup, Version: "v1beta1", Resource: "serviceinstances"}
)

// crdName is the CRD's name (crd.yaml).
const crdName = "serviceinstances." + crdGroup

// installCRD creates the CRD (or keeps an existing one) and waits until it is
// Established.
func installCRD(ctx context.Context, cfg *rest.Config) error {
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(crdYAML, &obj.Object); err != nil {
		return fmt.Errorf("crd.yaml: %w", err)
	}
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	crds := client.Resource(crdResource)
	if _, err := crds.Create(ctx, obj, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating the CRD: %w", err)
	}
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		got, err := crds.Get(ctx, obj.GetName(), metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		conds, _, _ := unstructured.NestedSlice(got.Object, "status", "conditions")
		for _, c := range conds {
			if m, ok := c.(map[string]any); ok && m["type"] == "Established" && m["status"] == "True" {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("the CRD did not become Established: %w", err)
	}
	// An Established CRD answers 429 "storage is (re)initializing" for a
	// moment, until its watch cache is ready.
	instances := client.Resource(crdInstances)
	var last error
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, last = instances.List(ctx, metav1.ListOptions{Limit: 1})
		return last == nil, nil
	})
	if err != nil {
		return fmt.Errorf("the CRD is not served: %w (last: %w)", err, last)
	}
	return nil
}

// deleteCRD deletes the CRD, if it exists, with every object it stores, and
// waits until it is gone.
func deleteCRD(ctx context.Context, cfg *rest.Config) error {
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	crds := client.Resource(crdResource)
	if err := crds.Delete(ctx, crdName, metav1.DeleteOptions{}); apierrors.IsNotFound(err) {
		return nil
	} else if err != nil {
		return fmt.Errorf("deleting the CRD: %w", err)
	}
	err = wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, 10*time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := crds.Get(ctx, crdName, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if err != nil {
		return fmt.Errorf("the CRD was not deleted: %w", err)
	}
	return nil
}
