package controller

import (
	"context"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// requiresCatalog has an offering that needs a syslog drain, which the catalog does not
// serve, and one that needs only a feature it does not know.
const requiresCatalog = `
services:
- name: logs-{id}
  id: logs-{id}-service
  description: Needs a syslog drain
  bindable: true
  requires: [syslog_drain]
  plans:
  - {name: sync, id: logs-{id}-sync, description: "synchronous"}
- name: later-{id}
  id: later-{id}-service
  description: Needs a feature of a later API version
  bindable: true
  requires: [teleport]
  plans:
  - {name: sync, id: later-{id}-sync, description: "synchronous"}
`

func TestOfferingsThatNeedAnUnservedFeatureAreRefused(t *testing.T) {
	e := newEnv(t, envOptions{catalog: requiresCatalog})
	ctx := context.Background()
	err := refused(t, func(opts metav1.CreateOptions) error {
		_, err := e.catalog.ServicecatalogV1beta1().ServiceInstances(e.namespace).Create(ctx, e.instance("logs", "logs-{id}", "sync", ""), opts)
		return err
	})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "requires syslog_drain") ||
		!strings.Contains(err.Error(), "does not serve") || !strings.Contains(err.Error(), "spec.clusterServiceClassExternalName") {
		t.Errorf("creating an instance of a class that requires syslog_drain: %v", err)
	}
	if requests := e.broker.Requests(); len(requests) != 1 { // the catalog fetch
		t.Errorf("the broker got %d requests, want only the catalog fetch", len(requests))
	}

	// An unknown requirement is left to the broker; an instance made before the offering
	// asked for a syslog drain stays, but cannot be bound any more.
	instance := e.provisioned("later", "later-{id}", "sync")
	e.setCatalog(strings.Replace(requiresCatalog, "requires: [teleport]", "requires: [teleport, syslog_drain]", 1))
	e.relist()
	err = refused(t, func(opts metav1.CreateOptions) error {
		_, err := e.catalog.ServicecatalogV1beta1().ServiceBindings(e.namespace).Create(ctx, e.binding("later", instance.Name), opts)
		return err
	})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), `the instance "later" cannot be bound`) ||
		!strings.Contains(err.Error(), "requires syslog_drain") || strings.Contains(err.Error(), "teleport") {
		t.Errorf("creating a binding to an instance whose class now requires syslog_drain: %v", err)
	}
}

// refused returns the error of a create that admission refuses. The API server's
// admission reads classes from its own informers, which may lag behind the catalog the
// test just saw published: the create is tried as a dry run until it is refused, then
// for real.
func refused(t *testing.T, create func(metav1.CreateOptions) error) error {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
		return create(metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}) != nil, nil
	})
	if err != nil {
		t.Fatalf("the create was never refused")
	}
	return create(metav1.CreateOptions{})
}
