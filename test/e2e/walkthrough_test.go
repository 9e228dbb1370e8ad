package e2e

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/broker"
	"github.com/kube-service-catalog/catalog/test/framework/catalogstack"
	"github.com/kube-service-catalog/catalog/test/framework/kubecluster"
)

// The historic service catalog's namespaced walkthrough
// (contrib/examples/walkthrough/test-broker/): the manifests below are those files, with
// only their comments left out and the broker's URL pointed at a broker this test runs.
const (
	historicNamespace     = "test-broker"
	historicBrokerURL     = "http://test-broker-test-broker.test-broker.svc.cluster.local"
	historicServiceBroker = `apiVersion: servicecatalog.k8s.io/v1beta1
kind: ServiceBroker
metadata:
  name: test-broker
  namespace: test-broker
spec:
  url: ` + historicBrokerURL + `
`
	historicInstance = `apiVersion: servicecatalog.k8s.io/v1beta1
kind: ServiceInstance
metadata:
  name: test-instance-ns
  namespace: test-broker
spec:
  serviceClassExternalName: test-service
  servicePlanExternalName: default
  parameters:
    param-1: value-1
    param-2: value-2
`
	historicBinding = `apiVersion: servicecatalog.k8s.io/v1beta1
kind: ServiceBinding
metadata:
  name: test-binding-ns
  namespace: test-broker
spec:
  instanceRef:
    name: test-instance-ns
`
	// historicCatalog is what the historic test broker offered, as far as the walkthrough
	// uses it.
	historicCatalog = `services:
- name: test-service
  id: 2f2e85b5-0a2b-4f1c-9a70-ff0a6b0d1c01
  description: The walkthrough's test service
  bindable: true
  plans:
  - name: default
    id: 2f2e85b5-0a2b-4f1c-9a70-ff0a6b0d1c02
    description: The default plan
    free: true
  - name: premium
    id: 2f2e85b5-0a2b-4f1c-9a70-ff0a6b0d1c03
    description: A plan that costs
    free: false
`
)

// TestHistoricNamespacedWalkthrough: a user who is admin of the namespace test-broker,
// and of nothing else but a second namespace, registers the historic ServiceBroker there,
// sees its classes and plans there, provisions and binds with the historic manifests
// unchanged, gets the credentials Secret, and tears it all down; the classes cannot be
// seen nor used from the second namespace, nor seen in a namespace the user does not
// administer.
func TestHistoricNamespacedWalkthrough(t *testing.T) {
	requireStack(t)
	if !instanceLoop() || !bindingLoop(t) {
		t.Skip("the walkthrough needs the controller manager's loops")
	}
	elsewhere, forbidden := "walkthrough-elsewhere", "walkthrough-forbidden"
	for _, ns := range []string{historicNamespace, elsewhere, forbidden} {
		createNamespace(t, ns)
	}
	url := serveHistoricBroker(t)
	carol := newCertificateUser(t, t.TempDir(), "walkthrough-carol")
	for _, ns := range []string{historicNamespace, elsewhere} {
		bindNamespaceAdmin(t, carol, ns)
	}

	apply := func(manifest string) { runAs(t, carol, manifest, "apply", "-f", "-") }
	apply(strings.Replace(historicServiceBroker, historicBrokerURL, url, 1))
	eventually(t, pollTimeout, "the broker's classes and plans published in "+historicNamespace, func() (bool, string) {
		out, errOut, err := tryAs(t, carol, "", "get", "nsc,nsp", "-n", historicNamespace, "-o", "custom-columns=KIND:.kind,NAME:.spec.externalName", "--no-headers")
		rows := strings.Join(strings.Fields(out), " ")
		return err == nil && strings.Contains(rows, "ServiceClass test-service") && strings.Contains(rows, "ServicePlan default") &&
			strings.Contains(rows, "ServicePlan premium"), out + errOut
	})
	runAs(t, carol, "", "wait", "--for=condition=Ready", "servicebroker/test-broker", "-n", historicNamespace, "--timeout=2m")

	apply(historicInstance)
	runAs(t, carol, "", "wait", "--for=condition=Ready", "serviceinstance/test-instance-ns", "-n", historicNamespace, "--timeout=2m")
	if out := runAs(t, carol, "", "get", "serviceinstance", "test-instance-ns", "-n", historicNamespace,
		"-o", "jsonpath={.status.serviceClassRef.name}/{.status.servicePlanRef.name}/{.status.serviceBrokerName}"); out != "test-service/test-service-default/test-broker" {
		t.Errorf("the instance resolved to %q, want the namespace's class, plan and broker", out)
	}
	apply(historicBinding)
	runAs(t, carol, "", "wait", "--for=condition=Ready", "servicebinding/test-binding-ns", "-n", historicNamespace, "--timeout=2m")
	if keys := runAs(t, carol, "", "get", "secret", "test-binding-ns", "-n", historicNamespace, "-o", "go-template={{range $k, $v := .data}}{{$k}} {{end}}"); strings.TrimSpace(keys) == "" {
		t.Error("the binding's Secret holds no credentials")
	}

	t.Run("another namespace cannot see or use the classes", func(t *testing.T) {
		if out := runAs(t, carol, "", "get", "serviceclasses,serviceplans", "-n", elsewhere, "-o", "name"); strings.TrimSpace(out) != "" {
			t.Errorf("namespace %s lists %q; the classes of %s must not show there", elsewhere, out, historicNamespace)
		}
		elsewhereInstance := strings.Replace(historicInstance, "namespace: test-broker", "namespace: "+elsewhere, 1)
		apply(elsewhereInstance)
		eventually(t, pollTimeout, "the instance in "+elsewhere+" failing to resolve", func() (bool, string) {
			out, _, _ := tryAs(t, carol, "", "get", "serviceinstance", "test-instance-ns", "-n", elsewhere, "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].reason}")
			return out == "ReferencesNonexistentServiceClass", out
		})
		if _, errOut, err := tryAs(t, carol, "", "get", "serviceclasses", "-n", forbidden); err == nil || !isForbidden(errOut) {
			t.Errorf("listing the classes of %s, where the user has no role: %v %s; want Forbidden", forbidden, err, errOut)
		}
	})

	t.Run("teardown", func(t *testing.T) {
		for _, obj := range []string{"servicebinding/test-binding-ns", "serviceinstance/test-instance-ns", "servicebroker/test-broker"} {
			runAs(t, carol, "", "delete", obj, "-n", historicNamespace, "--timeout=2m")
		}
		if out := runAs(t, carol, "", "get", "nsc,nsp", "-n", historicNamespace, "-o", "name"); strings.TrimSpace(out) != "" {
			t.Errorf("the deleted broker left %q", out)
		}
	})
}

// serveHistoricBroker runs a test broker with the walkthrough's catalog on 127.0.0.1 for
// the test and returns its URL.
func serveHistoricBroker(t *testing.T) string {
	t.Helper()
	catalog, err := broker.ParseCatalog([]byte(historicCatalog))
	if err != nil {
		t.Fatal(err)
	}
	b, err := broker.New(broker.Options{Catalog: catalog})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: b}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + l.Addr().String()
}

// bindNamespaceAdmin gives user the built-in admin ClusterRole in namespace ns and waits
// until kube-apiserver's authorizer knows it.
func bindNamespaceAdmin(t *testing.T, user *identity, ns string) {
	t.Helper()
	rb := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "walkthrough-admin", Namespace: ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "admin"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user.name}},
	}
	if _, err := stack.Cluster.Clientset(admin).RbacV1().RoleBindings(ns).Create(context.Background(), rb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, pollTimeout, user.name+"'s admin role in "+ns+" taking effect", func() (bool, string) {
		out, _, _ := tryAs(t, user, "", "auth", "can-i", "create", "servicebrokers."+catalogstack.Group, "-n", ns)
		return strings.TrimSpace(out) == "yes", out
	})
}

// tryAs runs kubectl with the user's kubeconfig, with stdin if not empty.
func tryAs(t *testing.T, user *identity, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	path, err := kubecluster.FindKubectl()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), pollTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, append([]string{"--kubeconfig=" + user.kubeconfig}, args...)...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// runAs is tryAs that fails the test when kubectl fails, and returns its stdout.
func runAs(t *testing.T, user *identity, stdin string, args ...string) string {
	t.Helper()
	out, errOut, err := tryAs(t, user, stdin, args...)
	if err != nil {
		t.Fatalf("kubectl %s (as %s): %v\n%s%s", strings.Join(args, " "), user.name, err, out, errOut)
	}
	return out
}
