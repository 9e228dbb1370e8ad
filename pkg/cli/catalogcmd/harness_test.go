package catalogcmd_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	kubefake "k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/cli/catalogcmd"
	"github.com/kube-service-catalog/catalog/pkg/cli/clients"
	"github.com/kube-service-catalog/catalog/pkg/cli/internal/fixtures"
	"github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned/fake"
)

// world is the cluster a test runs kubectl catalog against: fake clientsets holding the
// fixtures.
type world struct {
	catalog *fake.Clientset
	kube    *kubefake.Clientset
}

func newWorld() *world {
	w := &world{catalog: fake.NewSimpleClientset(fixtures.Catalog()...), kube: kubefake.NewSimpleClientset(fixtures.Kube()...)}
	// The fake tracker does not serve the retry and abandon subresources; answer as the
	// API server does, with a Status.
	w.catalog.PrependReactor("create", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() == "" {
			return false, nil, nil
		}
		name := a.(k8stesting.CreateActionImpl).Name
		return true, &metav1.Status{Status: metav1.StatusSuccess, Code: 201,
			Message: fmt.Sprintf("%s of %s %s accepted.", a.GetSubresource(), a.GetResource().Resource, name)}, nil
	})
	return w
}

// run runs kubectl catalog args in fixtures.Namespace at fixtures.Now and returns what
// a golden file holds: the command line, what it printed, its exit code and the
// writes it sent to the API. It fails the test if the output shows a Secret's value.
func (w *world) run(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &catalogcmd.Env{
		IOStreams: genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut},
		Clients: &clients.Static{
			Set: &clients.Set{Catalog: w.catalog, Kube: w.kube, CatalogREST: tableServer(t, w.catalog)},
			NS:  fixtures.Namespace,
		},
		Clock:        clocktesting.NewFakePassiveClock(fixtures.Now),
		PollInterval: time.Millisecond,
	}
	before := len(w.catalog.Actions())
	code := catalogcmd.Run(catalogcmd.NewRoot(env), args, &errOut)
	var b strings.Builder
	fmt.Fprintf(&b, "$ kubectl catalog %s\n%s", commandLine(args), out.String())
	if errOut.Len() > 0 {
		fmt.Fprintf(&b, "--- stderr\n%s", errOut.String())
	}
	fmt.Fprintf(&b, "--- exit %d\n", code)
	if sent := writes(t, w.catalog.Actions()[before:]); len(sent) > 0 {
		fmt.Fprintf(&b, "--- sent\n%s\n", strings.Join(sent, "\n"))
	}
	if strings.Contains(b.String(), fixtures.SecretValue) {
		t.Errorf("kubectl catalog %s shows a Secret's value", strings.Join(args, " "))
	}
	return b.String()
}

// commandLine is args as a shell would take them.
func commandLine(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = a
		if a == "" || strings.ContainsAny(a, " \"{}[]") {
			quoted[i] = "'" + a + "'"
		}
	}
	return strings.Join(quoted, " ")
}

// writes describes the requests among actions that write.
func writes(t *testing.T, actions []k8stesting.Action) []string {
	var lines []string
	for _, a := range actions {
		resource := a.GetResource().Resource
		if a.GetSubresource() != "" {
			resource += "/" + a.GetSubresource()
		}
		where := a.GetNamespace() + "/"
		switch a := a.(type) {
		case k8stesting.CreateActionImpl:
			name := a.Name
			if m, err := meta.Accessor(a.Object); name == "" && err == nil {
				name = m.GetName()
			}
			lines = append(lines, fmt.Sprintf("create %s %s%s dryRun=%v fieldManager=%s %s", resource, where, name,
				a.CreateOptions.DryRun, a.CreateOptions.FieldManager, body(t, a.Object)))
		case k8stesting.PatchActionImpl:
			lines = append(lines, fmt.Sprintf("patch %s %s%s %s dryRun=%v fieldManager=%s %s", resource, where, a.Name,
				a.PatchType, a.PatchOptions.DryRun, a.PatchOptions.FieldManager, a.Patch))
		case k8stesting.DeleteActionImpl:
			lines = append(lines, fmt.Sprintf("delete %s %s%s dryRun=%v", resource, where, a.Name, a.DeleteOptions.DryRun))
		}
	}
	return lines
}

// body is an object as JSON, without its metadata and status.
func body(t *testing.T, obj runtime.Object) string {
	raw, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatal(err)
	}
	delete(fields, "metadata")
	delete(fields, "status")
	raw, err = json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// evolve shows the controller at work: the n-th read of the object name of resource
// returns it as the n-th step changes it (the last step repeats); a step that returns
// nil makes the object gone. An object deleted from the fake stays as it was last seen,
// as a real one does until the controller removes its finalizer.
func (w *world) evolve(resource, name string, steps ...func(runtime.Object) runtime.Object) {
	n := 0
	gvr := v1beta1.SchemeGroupVersion.WithResource(resource)
	last, _ := w.catalog.Tracker().Get(gvr, fixtures.Namespace, name)
	w.catalog.PrependReactor("get", resource, func(action k8stesting.Action) (bool, runtime.Object, error) {
		get := action.(k8stesting.GetAction)
		if get.GetName() != name {
			return false, nil, nil
		}
		current, err := w.catalog.Tracker().Get(gvr, action.GetNamespace(), name)
		switch {
		case err == nil:
			last = current
		case last == nil:
			return true, nil, err
		}
		current = last
		step := steps[min(n, len(steps)-1)]
		n++
		if changed := step(current.DeepCopyObject()); changed != nil {
			return true, changed, nil
		}
		return true, nil, apierrors.NewNotFound(schema.GroupResource{Group: "servicecatalog.k8s.io", Resource: resource}, name)
	})
}

// refuse makes the API server refuse verb on resource with err.
func (w *world) refuse(verb, resource string, err error) {
	w.catalog.PrependReactor(verb, resource, func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, err
	})
}
