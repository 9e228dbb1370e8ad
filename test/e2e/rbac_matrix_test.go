package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilrand "k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/dynamic"
	"k8s.io/utils/ptr"

	"github.com/kube-service-catalog/catalog/test/framework/catalogstack"
	"github.com/kube-service-catalog/catalog/test/framework/kubecluster"
)

// The users of the RBAC matrix, as the expected table names them. Each run creates them
// afresh (see newMatrixEnv), so that no other test's bindings and no authorization cache
// of an earlier run can answer for them.
const (
	// clusterAdmin is the cluster's admin user, in system:masters.
	clusterAdmin = "cluster-admin"
	// nsAdmin holds the built-in admin ClusterRole in the own namespace.
	nsAdmin = "ns-admin"
	// nsEditor holds the built-in edit ClusterRole in the own namespace.
	nsEditor = "ns-edit"
	// nsViewer holds the built-in view ClusterRole in the own namespace.
	nsViewer = "ns-view"
	// nobody is an authenticated user without a binding of its own.
	nobody = "nobody"
	// editSA is a ServiceAccount of the own namespace holding edit there.
	editSA = "sa-edit"
	// catalogUser holds only the catalog's service-catalog:aggregate-to-edit ClusterRole in
	// the own namespace: instances and bindings, but no Secrets.
	catalogUser = "catalog-edit"
	// brokerAdmin holds the shipped service-catalog:broker-admin ClusterRole cluster-wide,
	// which reads no Secrets.
	brokerAdmin = "broker-admin"
)

// matrixUsers are the users of the table, in the order of its rows.
var matrixUsers = []string{clusterAdmin, nsAdmin, nsEditor, nsViewer, nobody, editSA, catalogUser, brokerAdmin}

// Scopes of a row of the table: the namespace where the matrix users hold their roles,
// another namespace where they hold none, every namespace at once (list and watch
// only), and no namespace (cluster-scoped resources).
const (
	ownNS     = "own"
	otherNS   = "other"
	allNS     = "all"
	clusterNS = ""
)

// The verbs of a resource and of its status subresource, and what can be asked of all
// namespaces at once.
var (
	resourceVerbs = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}
	statusVerbs   = []string{"get", "update", "patch"}
	allNSVerbs    = []string{"list", "watch"}
)

// Shorthands for the allowed verbs of a row.
const (
	allVerbs  = "get list watch create update patch delete deletecollection"
	readVerbs = "get list watch"
	noVerbs   = ""
)

// matrixRow is the expected outcome of every verb of one user on one resource (or
// subresource) in one scope: the verbs listed in allowed are allowed, every other verb
// of the resource is denied.
type matrixRow struct {
	user, resource, subresource, scope, allowed string
}

// namespacedCatalogAccess is what each user may do, in its own namespace, with the
// namespace's own brokers and with its classes and plans (the same for both kinds). In
// the other namespace, and across all namespaces, only the cluster admin may do anything.
var namespacedCatalogAccess = []struct {
	user                   string
	brokers, brokersStatus string
	entries, entriesStatus string
}{
	{clusterAdmin, allVerbs, "get update patch", allVerbs, "get update patch"},
	{nsAdmin, allVerbs, "get", readVerbs, "get"},
	{nsEditor, noVerbs, noVerbs, readVerbs, "get"},
	{nsViewer, noVerbs, noVerbs, readVerbs, "get"},
	{nobody, noVerbs, noVerbs, noVerbs, noVerbs},
	{editSA, noVerbs, noVerbs, readVerbs, "get"},
	{catalogUser, noVerbs, noVerbs, readVerbs, "get"},
	{brokerAdmin, noVerbs, noVerbs, noVerbs, noVerbs},
}

// namespacedCatalogRows expands namespacedCatalogAccess into rows of the matrix.
func namespacedCatalogRows() []matrixRow {
	var rows []matrixRow
	for _, a := range namespacedCatalogAccess {
		elsewhere, elsewhereStatus, all := noVerbs, noVerbs, noVerbs
		if a.user == clusterAdmin {
			elsewhere, elsewhereStatus, all = allVerbs, "get update patch", "list watch"
		}
		for resource, allowed := range map[string][2]string{
			"servicebrokers": {a.brokers, a.brokersStatus}, "serviceclasses": {a.entries, a.entriesStatus}, "serviceplans": {a.entries, a.entriesStatus},
		} {
			rows = append(rows,
				matrixRow{a.user, resource, "", ownNS, allowed[0]}, matrixRow{a.user, resource, "status", ownNS, allowed[1]},
				matrixRow{a.user, resource, "", otherNS, elsewhere}, matrixRow{a.user, resource, "status", otherNS, elsewhereStatus},
				matrixRow{a.user, resource, "", allNS, all})
		}
	}
	return rows
}

// rbacMatrix is the expected table: what artifacts/deploy/rbac, applied to a cluster with
// the built-in admin, edit and view roles, lets each user do. Status is written by the
// controller only; cluster brokers are for cluster admins and broker admins; the
// marketplace (cluster classes and plans) is readable by every authenticated user;
// instances and bindings follow the namespace's admin, edit and view roles; a namespace's
// own brokers are its admin's, and its classes and plans readable by admin, edit and view
// (namespacedCatalogAccess).
var rbacMatrix = append([]matrixRow{
	{clusterAdmin, "serviceinstances", "", ownNS, allVerbs},
	{clusterAdmin, "serviceinstances", "", otherNS, allVerbs},
	{clusterAdmin, "serviceinstances", "", allNS, "list watch"},
	{clusterAdmin, "serviceinstances", "status", ownNS, "get update patch"},
	{clusterAdmin, "serviceinstances", "status", otherNS, "get update patch"},
	{clusterAdmin, "servicebindings", "", ownNS, allVerbs},
	{clusterAdmin, "servicebindings", "", otherNS, allVerbs},
	{clusterAdmin, "servicebindings", "", allNS, "list watch"},
	{clusterAdmin, "servicebindings", "status", ownNS, "get update patch"},
	{clusterAdmin, "servicebindings", "status", otherNS, "get update patch"},
	{clusterAdmin, "clusterservicebrokers", "", clusterNS, allVerbs},
	{clusterAdmin, "clusterservicebrokers", "status", clusterNS, "get update patch"},
	{clusterAdmin, "clusterserviceclasses", "", clusterNS, allVerbs},
	{clusterAdmin, "clusterserviceclasses", "status", clusterNS, "get update patch"},
	{clusterAdmin, "clusterserviceplans", "", clusterNS, allVerbs},
	{clusterAdmin, "clusterserviceplans", "status", clusterNS, "get update patch"},

	{nsAdmin, "serviceinstances", "", ownNS, allVerbs},
	{nsAdmin, "serviceinstances", "", otherNS, noVerbs},
	{nsAdmin, "serviceinstances", "", allNS, noVerbs},
	{nsAdmin, "serviceinstances", "status", ownNS, "get"},
	{nsAdmin, "serviceinstances", "status", otherNS, noVerbs},
	{nsAdmin, "servicebindings", "", ownNS, allVerbs},
	{nsAdmin, "servicebindings", "", otherNS, noVerbs},
	{nsAdmin, "servicebindings", "", allNS, noVerbs},
	{nsAdmin, "servicebindings", "status", ownNS, "get"},
	{nsAdmin, "servicebindings", "status", otherNS, noVerbs},
	{nsAdmin, "clusterservicebrokers", "", clusterNS, noVerbs},
	{nsAdmin, "clusterservicebrokers", "status", clusterNS, noVerbs},
	{nsAdmin, "clusterserviceclasses", "", clusterNS, readVerbs},
	{nsAdmin, "clusterserviceclasses", "status", clusterNS, "get"},
	{nsAdmin, "clusterserviceplans", "", clusterNS, readVerbs},
	{nsAdmin, "clusterserviceplans", "status", clusterNS, "get"},

	{nsEditor, "serviceinstances", "", ownNS, allVerbs},
	{nsEditor, "serviceinstances", "", otherNS, noVerbs},
	{nsEditor, "serviceinstances", "", allNS, noVerbs},
	{nsEditor, "serviceinstances", "status", ownNS, "get"},
	{nsEditor, "serviceinstances", "status", otherNS, noVerbs},
	{nsEditor, "servicebindings", "", ownNS, allVerbs},
	{nsEditor, "servicebindings", "", otherNS, noVerbs},
	{nsEditor, "servicebindings", "", allNS, noVerbs},
	{nsEditor, "servicebindings", "status", ownNS, "get"},
	{nsEditor, "servicebindings", "status", otherNS, noVerbs},
	{nsEditor, "clusterservicebrokers", "", clusterNS, noVerbs},
	{nsEditor, "clusterservicebrokers", "status", clusterNS, noVerbs},
	{nsEditor, "clusterserviceclasses", "", clusterNS, readVerbs},
	{nsEditor, "clusterserviceclasses", "status", clusterNS, "get"},
	{nsEditor, "clusterserviceplans", "", clusterNS, readVerbs},
	{nsEditor, "clusterserviceplans", "status", clusterNS, "get"},

	{nsViewer, "serviceinstances", "", ownNS, readVerbs},
	{nsViewer, "serviceinstances", "", otherNS, noVerbs},
	{nsViewer, "serviceinstances", "", allNS, noVerbs},
	{nsViewer, "serviceinstances", "status", ownNS, "get"},
	{nsViewer, "serviceinstances", "status", otherNS, noVerbs},
	{nsViewer, "servicebindings", "", ownNS, readVerbs},
	{nsViewer, "servicebindings", "", otherNS, noVerbs},
	{nsViewer, "servicebindings", "", allNS, noVerbs},
	{nsViewer, "servicebindings", "status", ownNS, "get"},
	{nsViewer, "servicebindings", "status", otherNS, noVerbs},
	{nsViewer, "clusterservicebrokers", "", clusterNS, noVerbs},
	{nsViewer, "clusterservicebrokers", "status", clusterNS, noVerbs},
	{nsViewer, "clusterserviceclasses", "", clusterNS, readVerbs},
	{nsViewer, "clusterserviceclasses", "status", clusterNS, "get"},
	{nsViewer, "clusterserviceplans", "", clusterNS, readVerbs},
	{nsViewer, "clusterserviceplans", "status", clusterNS, "get"},

	{nobody, "serviceinstances", "", ownNS, noVerbs},
	{nobody, "serviceinstances", "", otherNS, noVerbs},
	{nobody, "serviceinstances", "", allNS, noVerbs},
	{nobody, "serviceinstances", "status", ownNS, noVerbs},
	{nobody, "serviceinstances", "status", otherNS, noVerbs},
	{nobody, "servicebindings", "", ownNS, noVerbs},
	{nobody, "servicebindings", "", otherNS, noVerbs},
	{nobody, "servicebindings", "", allNS, noVerbs},
	{nobody, "servicebindings", "status", ownNS, noVerbs},
	{nobody, "servicebindings", "status", otherNS, noVerbs},
	{nobody, "clusterservicebrokers", "", clusterNS, noVerbs},
	{nobody, "clusterservicebrokers", "status", clusterNS, noVerbs},
	{nobody, "clusterserviceclasses", "", clusterNS, readVerbs},
	{nobody, "clusterserviceclasses", "status", clusterNS, "get"},
	{nobody, "clusterserviceplans", "", clusterNS, readVerbs},
	{nobody, "clusterserviceplans", "status", clusterNS, "get"},

	{editSA, "serviceinstances", "", ownNS, allVerbs},
	{editSA, "serviceinstances", "", otherNS, noVerbs},
	{editSA, "serviceinstances", "", allNS, noVerbs},
	{editSA, "serviceinstances", "status", ownNS, "get"},
	{editSA, "serviceinstances", "status", otherNS, noVerbs},
	{editSA, "servicebindings", "", ownNS, allVerbs},
	{editSA, "servicebindings", "", otherNS, noVerbs},
	{editSA, "servicebindings", "", allNS, noVerbs},
	{editSA, "servicebindings", "status", ownNS, "get"},
	{editSA, "servicebindings", "status", otherNS, noVerbs},
	{editSA, "clusterservicebrokers", "", clusterNS, noVerbs},
	{editSA, "clusterservicebrokers", "status", clusterNS, noVerbs},
	{editSA, "clusterserviceclasses", "", clusterNS, readVerbs},
	{editSA, "clusterserviceclasses", "status", clusterNS, "get"},
	{editSA, "clusterserviceplans", "", clusterNS, readVerbs},
	{editSA, "clusterserviceplans", "status", clusterNS, "get"},

	{catalogUser, "serviceinstances", "", ownNS, allVerbs},
	{catalogUser, "serviceinstances", "", otherNS, noVerbs},
	{catalogUser, "serviceinstances", "", allNS, noVerbs},
	{catalogUser, "serviceinstances", "status", ownNS, "get"},
	{catalogUser, "serviceinstances", "status", otherNS, noVerbs},
	{catalogUser, "servicebindings", "", ownNS, allVerbs},
	{catalogUser, "servicebindings", "", otherNS, noVerbs},
	{catalogUser, "servicebindings", "", allNS, noVerbs},
	{catalogUser, "servicebindings", "status", ownNS, "get"},
	{catalogUser, "servicebindings", "status", otherNS, noVerbs},
	{catalogUser, "clusterservicebrokers", "", clusterNS, noVerbs},
	{catalogUser, "clusterservicebrokers", "status", clusterNS, noVerbs},
	{catalogUser, "clusterserviceclasses", "", clusterNS, readVerbs},
	{catalogUser, "clusterserviceclasses", "status", clusterNS, "get"},
	{catalogUser, "clusterserviceplans", "", clusterNS, readVerbs},
	{catalogUser, "clusterserviceplans", "status", clusterNS, "get"},

	{brokerAdmin, "serviceinstances", "", ownNS, noVerbs},
	{brokerAdmin, "serviceinstances", "", otherNS, noVerbs},
	{brokerAdmin, "serviceinstances", "", allNS, noVerbs},
	{brokerAdmin, "serviceinstances", "status", ownNS, noVerbs},
	{brokerAdmin, "serviceinstances", "status", otherNS, noVerbs},
	{brokerAdmin, "servicebindings", "", ownNS, noVerbs},
	{brokerAdmin, "servicebindings", "", otherNS, noVerbs},
	{brokerAdmin, "servicebindings", "", allNS, noVerbs},
	{brokerAdmin, "servicebindings", "status", ownNS, noVerbs},
	{brokerAdmin, "servicebindings", "status", otherNS, noVerbs},
	{brokerAdmin, "clusterservicebrokers", "", clusterNS, allVerbs},
	{brokerAdmin, "clusterservicebrokers", "status", clusterNS, "get"},
	{brokerAdmin, "clusterserviceclasses", "", clusterNS, readVerbs},
	{brokerAdmin, "clusterserviceclasses", "status", clusterNS, "get"},
	{brokerAdmin, "clusterserviceplans", "", clusterNS, readVerbs},
	{brokerAdmin, "clusterserviceplans", "status", clusterNS, "get"},
}, namespacedCatalogRows()...)

// matrixResources are the catalog's resources, namespaced ones first.
var matrixResources = []struct {
	resource, kind string
	namespaced     bool
}{
	{"serviceinstances", "ServiceInstance", true},
	{"servicebindings", "ServiceBinding", true},
	{"clusterservicebrokers", "ClusterServiceBroker", false},
	{"clusterserviceclasses", "ClusterServiceClass", false},
	{"clusterserviceplans", "ClusterServicePlan", false},
	{"servicebrokers", "ServiceBroker", true},
	{"serviceclasses", "ServiceClass", true},
	{"serviceplans", "ServicePlan", true},
}

// matrixCase is one line of the expanded table, or one of the indirect paths: a question
// for `kubectl auth can-i` and a request made as the user.
type matrixCase struct {
	name    string
	user    string
	canI    []string // arguments of kubectl auth can-i
	do      func(ctx context.Context, env *matrixEnv) error
	allowed bool
}

// TestRBACMatrix checks, through kube-apiserver and the shipped roles, who may do what
// with every catalog resource and its status: eight users (a cluster admin; the built-in
// admin, edit and view roles bound in one namespace; an authenticated user without a
// role; a ServiceAccount with edit; the catalog's own aggregate-to-edit role alone; the
// broker-admin role), every verb, in their namespace, in another and in all at once, as
// rbacMatrix expects. It adds the indirect paths SecretAccessCheck guards: naming, in
// parametersFrom, secretTransforms or a broker's authInfo, a Secret the user may not
// read. Each case is checked twice: `kubectl auth can-i` as the user, and the request
// itself as the user (with dryRun, so that nothing changes), which must succeed or be
// Forbidden as expected. The counts are printed; any unexpected allow or deny fails.
func TestRBACMatrix(t *testing.T) {
	requireStack(t)
	start := time.Now()
	ensureDemoBroker(t)
	env := newMatrixEnv(t)
	setup := time.Since(start)

	cases := env.tableCases(t)
	tableCount := len(cases)
	cases = append(cases, env.indirectCases()...)

	type result struct {
		canI, did string // "yes"/"no", "allowed"/"forbidden", or an error
	}
	results := make([]result, len(cases))
	work := make(chan int)
	var wg sync.WaitGroup
	// kubectl is the slow part: a few at a time, on two cores.
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				c := cases[i]
				results[i].canI = env.canI(c.user, c.canI)
				results[i].did = outcome(c.do(context.Background(), env))
			}
		}()
	}
	checked := time.Now()
	for i := range cases {
		work <- i
	}
	close(work)
	wg.Wait()

	want := map[bool][2]string{true: {"yes", "allowed"}, false: {"no", "forbidden"}}
	var canIAllowed, canIDenied, didAllowed, didDenied, unexpectedAllows, unexpectedDenies, errs int
	for i, c := range cases {
		r, w := results[i], want[c.allowed]
		for _, got := range []struct{ what, got, want string }{
			{"kubectl auth can-i " + strings.Join(c.canI, " "), r.canI, w[0]},
			{"the request", r.did, w[1]},
		} {
			switch got.got {
			case "yes":
				canIAllowed++
			case "no":
				canIDenied++
			case "allowed":
				didAllowed++
			case "forbidden":
				didDenied++
			}
			switch got.got {
			case got.want:
			case "yes", "allowed":
				unexpectedAllows++
				t.Errorf("%s: %s allowed it, want denied", c.name, got.what)
			case "no", "forbidden":
				unexpectedDenies++
				t.Errorf("%s: %s denied it, want allowed", c.name, got.what)
			default:
				errs++
				t.Errorf("%s: %s: %s", c.name, got.what, got.got)
			}
		}
	}
	t.Logf("RBAC matrix: %d cases (%d of the table, %d indirect), each checked twice", len(cases), tableCount, len(cases)-tableCount)
	t.Logf("  kubectl auth can-i: %d yes, %d no; requests: %d allowed, %d forbidden", canIAllowed, canIDenied, didAllowed, didDenied)
	t.Logf("  unexpected allows: %d, unexpected denies: %d, errors: %d (of %d checks)", unexpectedAllows, unexpectedDenies, errs, 2*len(cases))
	t.Logf("  time: %s setting up, %s checking", setup.Round(time.Millisecond), time.Since(checked).Round(time.Millisecond))
}

// outcome classifies the error of a request: allowed, forbidden, or what else happened.
func outcome(err error) string {
	switch {
	case err == nil:
		return "allowed"
	case apierrors.IsForbidden(err):
		return "forbidden"
	default:
		return "unexpected error: " + err.Error()
	}
}

// tableCases expands rbacMatrix into one case per user, resource, subresource, scope and
// verb, after checking that the table has exactly one row for each combination.
func (env *matrixEnv) tableCases(t *testing.T) []matrixCase {
	t.Helper()
	rows := map[[4]string]matrixRow{}
	for _, r := range rbacMatrix {
		key := [4]string{r.user, r.resource, r.subresource, r.scope}
		if _, dup := rows[key]; dup {
			t.Fatalf("rbacMatrix has two rows for %v", key)
		}
		rows[key] = r
	}
	var cases []matrixCase
	for _, user := range matrixUsers {
		for _, res := range matrixResources {
			for _, sub := range []string{"", "status"} {
				scopes := []string{clusterNS}
				if res.namespaced {
					scopes = []string{ownNS, otherNS}
					if sub == "" {
						scopes = append(scopes, allNS)
					}
				}
				for _, scope := range scopes {
					r, ok := rows[[4]string{user, res.resource, sub, scope}]
					if !ok {
						t.Fatalf("rbacMatrix has no row for %s %s/%s in scope %q", user, res.resource, sub, scope)
					}
					delete(rows, [4]string{user, res.resource, sub, scope})
					verbs := resourceVerbs
					switch {
					case sub == "status":
						verbs = statusVerbs
					case scope == allNS:
						verbs = allNSVerbs
					}
					allowed := strings.Fields(r.allowed)
					for _, v := range allowed {
						if !slices.Contains(verbs, v) {
							t.Fatalf("rbacMatrix row %+v allows %q, which is not a verb of it", r, v)
						}
					}
					for _, verb := range verbs {
						cases = append(cases, env.tableCase(res.resource, res.kind, sub, scope, user, verb, slices.Contains(allowed, verb)))
					}
				}
			}
		}
	}
	for key := range rows {
		t.Fatalf("rbacMatrix has a row for %v, which is not a resource and scope of the matrix", key)
	}
	return cases
}

// tableCase is the case of one verb of a row: can-i asks about the resource (and
// subresource) in the row's namespace, and the request is the one kubectl would send for
// that verb, on the target objects the test created, with dryRun for writes.
func (env *matrixEnv) tableCase(resource, kind, sub, scope, user, verb string, allowed bool) matrixCase {
	ns := env.namespace(scope)
	canI := []string{verb, resource + "." + catalogstack.Group}
	if sub != "" {
		canI = append(canI, "--subresource="+sub)
	}
	switch scope {
	case allNS:
		canI = append(canI, "--all-namespaces")
	case clusterNS:
	default:
		canI = append(canI, "-n", ns)
	}
	name := fmt.Sprintf("%s %s %s", user, verb, resource)
	if sub != "" {
		name += "/" + sub
	}
	if scope != clusterNS {
		name += " in " + scope + " namespace"
	}
	gvr := catalogGVR(resource)
	target := env.target(resource)
	do := func(ctx context.Context, env *matrixEnv) error {
		client := env.client(user, gvr, scope)
		dryRun := []string{metav1.DryRunAll}
		subresources := []string{}
		if sub != "" {
			subresources = []string{sub}
		}
		switch verb {
		case "get":
			_, err := client.Get(ctx, target, metav1.GetOptions{}, subresources...)
			return err
		case "list":
			_, err := client.List(ctx, metav1.ListOptions{Limit: 1})
			return err
		case "watch":
			w, err := client.Watch(ctx, metav1.ListOptions{TimeoutSeconds: ptr.To(int64(1))})
			if err == nil {
				w.Stop()
			}
			return err
		case "create":
			_, err := client.Create(ctx, env.newObject(resource, kind, ns), metav1.CreateOptions{DryRun: dryRun})
			return err
		case "update":
			current, err := env.client(clusterAdmin, gvr, scope).Get(ctx, target, metav1.GetOptions{})
			if err != nil {
				return fmt.Errorf("reading %s %s as the cluster admin: %w", resource, target, err)
			}
			// An unconditional update: the controller may write the object meanwhile.
			current.SetResourceVersion("")
			if sub == "status" {
				_, err = client.UpdateStatus(ctx, current, metav1.UpdateOptions{DryRun: dryRun})
			} else {
				_, err = client.Update(ctx, current, metav1.UpdateOptions{DryRun: dryRun})
			}
			return err
		case "patch":
			patch := []byte(`{"metadata":{"labels":{"rbac-matrix-patched":"yes"}}}`)
			if sub == "status" {
				patch = []byte(`{"status":{}}`)
			}
			_, err := client.Patch(ctx, target, types.MergePatchType, patch, metav1.PatchOptions{DryRun: dryRun}, subresources...)
			return err
		case "delete":
			return client.Delete(ctx, target, metav1.DeleteOptions{DryRun: dryRun})
		case "deletecollection":
			return client.DeleteCollection(ctx, metav1.DeleteOptions{DryRun: dryRun}, metav1.ListOptions{LabelSelector: matrixLabel + "=" + env.id})
		}
		return fmt.Errorf("unknown verb %q", verb)
	}
	return matrixCase{name: name, user: user, canI: canI, do: do, allowed: allowed}
}

// indirectCases are the paths where RBAC allows the write but the object would have the
// controller read a Secret for the user: SecretAccessCheck refuses them unless the user
// may get that Secret. can-i asks exactly that; each case also checks that RBAC alone
// would allow the write.
func (env *matrixEnv) indirectCases() []matrixCase {
	own, other := env.namespace(ownNS), env.namespace(otherNS)
	instance := func(secret string) func(string) *unstructured.Unstructured {
		return func(ns string) *unstructured.Unstructured {
			obj := env.newObject("serviceinstances", "ServiceInstance", ns)
			unstructured.RemoveNestedField(obj.Object, "spec", "parameters")
			_ = unstructured.SetNestedSlice(obj.Object, []any{map[string]any{"secretKeyRef": map[string]any{"name": secret, "key": "params"}}}, "spec", "parametersFrom")
			return obj
		}
	}
	bindingFrom := func(secret string) func(string) *unstructured.Unstructured {
		return func(ns string) *unstructured.Unstructured {
			obj := env.newObject("servicebindings", "ServiceBinding", ns)
			_ = unstructured.SetNestedSlice(obj.Object, []any{map[string]any{"secretKeyRef": map[string]any{"name": secret, "key": "binding"}}}, "spec", "parametersFrom")
			return obj
		}
	}
	bindingAddKeys := func(secret string) func(string) *unstructured.Unstructured {
		return func(ns string) *unstructured.Unstructured {
			obj := env.newObject("servicebindings", "ServiceBinding", ns)
			_ = unstructured.SetNestedSlice(obj.Object, []any{map[string]any{"addKeysFrom": map[string]any{"secretRef": map[string]any{"name": secret}}}}, "spec", "secretTransforms")
			return obj
		}
	}
	broker := func(ns string) func(string) *unstructured.Unstructured {
		return func(string) *unstructured.Unstructured {
			obj := env.newObject("clusterservicebrokers", "ClusterServiceBroker", "")
			_ = unstructured.SetNestedMap(obj.Object, map[string]any{"basic": map[string]any{"secretRef": map[string]any{"namespace": ns, "name": matrixSecret}}}, "spec", "authInfo")
			return obj
		}
	}
	// A namespace's broker names a Secret of its own namespace.
	localBroker := func(ns string) *unstructured.Unstructured {
		obj := env.newObject("servicebrokers", "ServiceBroker", ns)
		_ = unstructured.SetNestedMap(obj.Object, map[string]any{"basic": map[string]any{"secretRef": map[string]any{"name": matrixSecret}}}, "spec", "authInfo")
		return obj
	}
	create := func(what, user, resource, ns, secretNS string, obj func(string) *unstructured.Unstructured, allowed bool) matrixCase {
		return matrixCase{
			name:    fmt.Sprintf("%s creates %s naming Secret %s/%s", user, what, secretNS, matrixSecret),
			user:    user,
			canI:    env.secretCanI(secretNS),
			allowed: allowed,
			do: func(ctx context.Context, env *matrixEnv) error {
				if err := env.mayWrite(user, "create", resource, ns); err != nil {
					return err
				}
				scope := ownNS
				switch ns {
				case other:
					scope = otherNS
				case "":
					scope = clusterNS
				}
				_, err := env.client(user, catalogGVR(resource), scope).Create(ctx, obj(ns), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
				return err
			},
		}
	}
	patch := func(what, user, resource, ns, secretNS, patch string, allowed bool) matrixCase {
		return matrixCase{
			name:    fmt.Sprintf("%s changes %s to name Secret %s/%s", user, what, secretNS, matrixSecret),
			user:    user,
			canI:    env.secretCanI(secretNS),
			allowed: allowed,
			do: func(ctx context.Context, env *matrixEnv) error {
				if err := env.mayWrite(user, "patch", resource, ns); err != nil {
					return err
				}
				scope := ownNS
				if ns == "" {
					scope = clusterNS
				}
				_, err := env.client(user, catalogGVR(resource), scope).Patch(ctx, env.target(resource), types.MergePatchType, []byte(patch), metav1.PatchOptions{DryRun: []string{metav1.DryRunAll}})
				return err
			},
		}
	}
	params := fmt.Sprintf(`{"spec":{"parameters":null,"parametersFrom":[{"secretKeyRef":{"name":%q,"key":"params"}}]}}`, matrixSecret)
	auth := fmt.Sprintf(`{"spec":{"authInfo":{"basic":{"secretRef":{"namespace":%q,"name":%q}}}}}`, own, matrixSecret)
	cases := []matrixCase{
		create("an instance with parametersFrom", nsEditor, "serviceinstances", own, own, instance(matrixSecret), true),
		create("an instance with parametersFrom", nsAdmin, "serviceinstances", own, own, instance(matrixSecret), true),
		create("an instance with parametersFrom", editSA, "serviceinstances", own, own, instance(matrixSecret), true),
		create("an instance with parametersFrom", catalogUser, "serviceinstances", own, own, instance(matrixSecret), false),
		create("an instance with parametersFrom", clusterAdmin, "serviceinstances", other, other, instance(matrixSecret), true),
		create("a binding with parametersFrom", nsEditor, "servicebindings", own, own, bindingFrom(matrixSecret), true),
		create("a binding with parametersFrom", catalogUser, "servicebindings", own, own, bindingFrom(matrixSecret), false),
		create("a binding with secretTransforms.addKeysFrom", nsEditor, "servicebindings", own, own, bindingAddKeys(matrixSecret), true),
		create("a binding with secretTransforms.addKeysFrom", editSA, "servicebindings", own, own, bindingAddKeys(matrixSecret), true),
		create("a binding with secretTransforms.addKeysFrom", catalogUser, "servicebindings", own, own, bindingAddKeys(matrixSecret), false),
		create("a broker with basic auth", clusterAdmin, "clusterservicebrokers", "", own, broker(own), true),
		create("a broker with basic auth", brokerAdmin, "clusterservicebrokers", "", own, broker(own), false),
		create("a broker with basic auth", brokerAdmin, "clusterservicebrokers", "", other, broker(other), false),
		patch("a broker", clusterAdmin, "clusterservicebrokers", "", own, auth, true),
		patch("a broker", brokerAdmin, "clusterservicebrokers", "", own, auth, false),
		create("a namespaced broker with basic auth", nsAdmin, "servicebrokers", own, own, localBroker, true),
		create("a namespaced broker with basic auth", clusterAdmin, "servicebrokers", other, other, localBroker, true),
	}
	// Without the controller the admin's instance stays pending, and PendingChangeOwner
	// refuses other users' changes to it before SecretAccessCheck looks.
	if instanceLoop() {
		cases = append(cases,
			patch("an instance", nsEditor, "serviceinstances", own, own, params, true),
			patch("an instance", catalogUser, "serviceinstances", own, own, params, false))
	}
	return cases
}

// secretCanI asks whether the user may get the matrix Secret of ns, which is what
// SecretAccessCheck asks.
func (env *matrixEnv) secretCanI(ns string) []string {
	return []string{"get", "secrets/" + matrixSecret, "-n", ns}
}

// mayWrite checks that RBAC alone lets the user write the resource, so that an indirect
// case that is refused is refused for the Secret, and reports an error otherwise.
func (env *matrixEnv) mayWrite(user, verb, resource, ns string) error {
	args := []string{verb, resource + "." + catalogstack.Group}
	if ns != "" {
		args = append(args, "-n", ns)
	}
	if got := env.canI(user, args); got != "yes" {
		return fmt.Errorf("RBAC alone does not let %s %s %s (kubectl auth can-i: %s), so the Secret is not what is checked", user, verb, resource, got)
	}
	return nil
}

// matrixLabel marks the objects a run of the matrix creates, with the run's id.
const matrixLabel = "rbac-matrix"

// matrixSecret is the Secret the indirect cases name, in both namespaces.
const matrixSecret = "matrix-params"

// matrixEnv is what a run of the matrix set up: its namespaces, users and target objects.
type matrixEnv struct {
	id       string
	own      string
	other    string
	users    map[string]*identity
	cacheDir string
	kubectl  string

	mu      sync.Mutex
	clients map[string]*dynamic.DynamicClient
	serial  int
}

// newMatrixEnv creates the run's namespaces, users and bindings, waits until RBAC
// answers for them, and creates the objects the requests act on: an instance and a
// binding in each namespace, and a broker, class and plan.
func newMatrixEnv(t *testing.T) *matrixEnv {
	t.Helper()
	kubectlPath, err := kubecluster.FindKubectl()
	if err != nil {
		t.Fatal(err)
	}
	id := utilrand.String(5)
	env := &matrixEnv{
		id:       id,
		own:      "rbac-matrix-" + id,
		other:    "rbac-matrix-other-" + id,
		users:    map[string]*identity{},
		cacheDir: t.TempDir(),
		kubectl:  kubectlPath,
		clients:  map[string]*dynamic.DynamicClient{},
	}
	createNamespace(t, env.own)
	createNamespace(t, env.other)
	dir := t.TempDir()

	env.users[clusterAdmin] = &identity{name: stack.Cluster.UserInfo(admin).CommonName, kubeconfig: stack.Cluster.Kubeconfig(admin), config: stack.Cluster.Config(admin)}
	for _, u := range []string{nsAdmin, nsEditor, nsViewer, nobody, catalogUser, brokerAdmin} {
		env.users[u] = newCertificateUser(t, dir, "rbac-matrix-"+u+"-"+id)
	}
	env.users[editSA] = newServiceAccountUser(t, dir, env.own, "matrix-edit")

	ctx := context.Background()
	cs := stack.Cluster.Clientset(admin)
	bind := func(ns, user, kind, role string) {
		subject := rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: env.users[user].name}
		if user == editSA {
			subject = rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: env.own, Name: "matrix-edit"}
		}
		rb := rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "rbac-matrix-" + user, Namespace: ns},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: kind, Name: role},
			Subjects:   []rbacv1.Subject{subject},
		}
		if _, err := cs.RbacV1().RoleBindings(ns).Create(ctx, &rb, metav1.CreateOptions{}); err != nil {
			t.Fatalf("binding %s to %s in %s: %v", user, role, ns, err)
		}
	}
	bind(env.own, nsAdmin, "ClusterRole", "admin")
	bind(env.own, nsEditor, "ClusterRole", "edit")
	bind(env.own, nsViewer, "ClusterRole", "view")
	bind(env.own, editSA, "ClusterRole", "edit")
	bind(env.own, catalogUser, "ClusterRole", "service-catalog:aggregate-to-edit")
	crb := rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "rbac-matrix-broker-admin-" + id},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "service-catalog:broker-admin"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: env.users[brokerAdmin].name}},
	}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, &crb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.RbacV1().ClusterRoleBindings().Delete(context.Background(), crb.Name, metav1.DeleteOptions{})
	})
	// RBAC reaches kube-apiserver's authorizer through an informer.
	for user, probe := range map[string][]string{
		nsAdmin: {"create", "serviceinstances." + catalogstack.Group, "-n", env.own}, nsEditor: {"create", "serviceinstances." + catalogstack.Group, "-n", env.own},
		nsViewer: {"list", "serviceinstances." + catalogstack.Group, "-n", env.own}, editSA: {"create", "serviceinstances." + catalogstack.Group, "-n", env.own},
		catalogUser: {"create", "serviceinstances." + catalogstack.Group, "-n", env.own}, brokerAdmin: {"create", "clusterservicebrokers." + catalogstack.Group},
	} {
		eventually(t, pollTimeout, user+"'s role taking effect", func() (bool, string) {
			got := env.canI(user, probe)
			return got == "yes", got
		})
	}

	env.createTargets(t)
	return env
}

// createTargets creates, as the cluster admin, the objects the requests act on, all
// labelled with the run's id and named after env.target: a broker (whose URL resolves
// nowhere), a class and a plan of it, and in each namespace an instance of the demo plan,
// a binding to it, a namespaced broker, class and plan, and the Secret the indirect cases
// name.
func (env *matrixEnv) createTargets(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	cs := stack.Cluster.Clientset(admin)
	for _, ns := range []string{env.own, env.other} {
		secret := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: matrixSecret, Namespace: ns},
			StringData: map[string]string{
				"params":   `{"storageGB": 10}`,                     // an instance's
				"binding":  `{"role": "readonly"}`,                  // a binding's
				"username": "matrix", "password": "matrix-password", // a broker's
			},
		}
		if _, err := cs.CoreV1().Secrets(ns).Create(ctx, secret, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	broker := env.target("clusterservicebrokers")
	t.Cleanup(func() {
		for _, r := range []string{"clusterserviceplans", "clusterserviceclasses", "clusterservicebrokers"} {
			_, _, _ = runKubectl(t, admin, "", "delete", r+"."+catalogstack.Group, env.target(r), "--wait=false", "--ignore-not-found")
		}
		// Nothing was fetched from the brokers; no controller has to release them.
		_, _, _ = runKubectl(t, admin, "", "patch", "clusterservicebrokers."+catalogstack.Group, broker, "--type=merge", "-p", `{"metadata":{"finalizers":null}}`)
		for _, ns := range []string{env.own, env.other} {
			_, _, _ = runKubectl(t, admin, "", "delete", "servicebrokers."+catalogstack.Group, env.target("servicebrokers"), "-n", ns, "--wait=false", "--ignore-not-found")
			_, _, _ = runKubectl(t, admin, "", "patch", "servicebrokers."+catalogstack.Group, env.target("servicebrokers"), "-n", ns,
				"--type=merge", "-p", `{"metadata":{"finalizers":null}}`)
		}
	})
	for _, r := range []struct {
		resource, kind, ns string
	}{
		{"clusterservicebrokers", "ClusterServiceBroker", ""},
		{"clusterserviceclasses", "ClusterServiceClass", ""},
		{"clusterserviceplans", "ClusterServicePlan", ""},
		{"serviceinstances", "ServiceInstance", env.own},
		{"servicebindings", "ServiceBinding", env.own},
		{"serviceinstances", "ServiceInstance", env.other},
		{"servicebindings", "ServiceBinding", env.other},
		{"servicebrokers", "ServiceBroker", env.own},
		{"serviceclasses", "ServiceClass", env.own},
		{"serviceplans", "ServicePlan", env.own},
		{"servicebrokers", "ServiceBroker", env.other},
		{"serviceclasses", "ServiceClass", env.other},
		{"serviceplans", "ServicePlan", env.other},
	} {
		obj := env.newObject(r.resource, r.kind, r.ns)
		obj.SetName(env.target(r.resource))
		scope := clusterNS
		if r.ns != "" {
			scope = ownNS
			if r.ns == env.other {
				scope = otherNS
			}
		}
		if _, err := env.client(clusterAdmin, catalogGVR(r.resource), scope).Create(ctx, obj, metav1.CreateOptions{}); err != nil {
			t.Fatalf("creating %s %s/%s: %v", r.kind, r.ns, obj.GetName(), err)
		}
	}
	// Until the controller has sent the admin's instance to the broker, PendingChangeOwner
	// refuses anyone else's change of its spec, which the indirect cases make.
	if instanceLoop() {
		for _, scope := range []string{ownNS, otherNS} {
			eventually(t, pollTimeout, "the controller picking up instance "+env.namespace(scope)+"/"+env.target("serviceinstances"), func() (bool, string) {
				obj, err := env.client(clusterAdmin, catalogGVR("serviceinstances"), scope).Get(ctx, env.target("serviceinstances"), metav1.GetOptions{})
				if err != nil {
					return false, err.Error()
				}
				observed, _, _ := unstructured.NestedInt64(obj.Object, "status", "observedGeneration")
				return observed >= obj.GetGeneration(), fmt.Sprintf("observedGeneration %d, generation %d", observed, obj.GetGeneration())
			})
		}
	}
}

// namespace returns the namespace of a scope.
func (env *matrixEnv) namespace(scope string) string {
	switch scope {
	case ownNS:
		return env.own
	case otherNS:
		return env.other
	}
	return ""
}

// target names the object of a resource the requests act on: per run for the
// cluster-scoped ones, the same in both namespaces for the others.
func (env *matrixEnv) target(resource string) string {
	if strings.HasPrefix(resource, "cluster") {
		return "rbac-matrix-" + env.id
	}
	return "matrix-target"
}

// newObject returns a new, valid object of a resource in ns (empty for cluster-scoped
// ones), with a fresh name: an instance of the demo plan, a binding to the target
// instance, a broker whose URL resolves nowhere, a class and a plan of the target broker
// of the same scope.
func (env *matrixEnv) newObject(resource, kind, ns string) *unstructured.Unstructured {
	env.mu.Lock()
	env.serial++
	n := env.serial
	env.mu.Unlock()
	name := fmt.Sprintf("rbac-matrix-%s-%d", env.id, n)
	var spec map[string]any
	switch resource {
	case "serviceinstances":
		spec = map[string]any{
			"clusterServiceClassExternalName": demoClass,
			"clusterServicePlanExternalName":  demoPlan,
			"parameters":                      map[string]any{"storageGB": int64(10)},
		}
	case "servicebindings":
		spec = map[string]any{"instanceRef": map[string]any{"name": env.target("serviceinstances")}}
	case "clusterservicebrokers":
		spec = map[string]any{"url": "https://broker.invalid", "relistBehavior": "Manual"}
	case "clusterserviceclasses":
		spec = map[string]any{
			"clusterServiceBrokerName": env.target("clusterservicebrokers"),
			"externalName":             name,
			"externalID":               name,
			"description":              "an offering of the RBAC matrix",
		}
	case "clusterserviceplans":
		spec = map[string]any{
			"clusterServiceBrokerName": env.target("clusterservicebrokers"),
			"clusterServiceClassRef":   map[string]any{"name": env.target("clusterserviceclasses")},
			"externalName":             name,
			"externalID":               name,
			"description":              "a plan of the RBAC matrix",
		}
	case "servicebrokers", "serviceclasses", "serviceplans":
		// A namespace's broker, class and plan are written as their cluster twins are.
		obj := env.newObject("cluster"+resource, "Cluster"+kind, "")
		spec, _, _ = unstructured.NestedMap(obj.Object, "spec")
		for cluster, local := range map[string]string{"clusterServiceBrokerName": "serviceBrokerName", "clusterServiceClassRef": "serviceClassRef"} {
			if v, ok := spec[cluster]; ok {
				delete(spec, cluster)
				spec[local] = v
			}
		}
		if ref, ok := spec["serviceClassRef"].(map[string]any); ok {
			ref["name"] = env.target("serviceclasses")
		}
		if _, ok := spec["serviceBrokerName"]; ok {
			spec["serviceBrokerName"] = env.target("servicebrokers")
		}
	}
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": catalogstack.Group + "/" + catalogstack.Version,
		"kind":       kind,
		"metadata":   map[string]any{"name": name, "labels": map[string]any{matrixLabel: env.id}},
		"spec":       spec,
	}}
	if ns != "" {
		obj.SetNamespace(ns)
	}
	return obj
}

// client returns the dynamic client of a resource as the user, in the scope's namespace.
func (env *matrixEnv) client(user string, gvr schema.GroupVersionResource, scope string) dynamic.ResourceInterface {
	env.mu.Lock()
	c, ok := env.clients[user]
	if !ok {
		var err error
		c, err = dynamic.NewForConfig(env.users[user].config)
		if err != nil {
			panic(fmt.Sprintf("a client for %s: %v", user, err)) // only on an invalid config
		}
		env.clients[user] = c
	}
	env.mu.Unlock()
	if ns := env.namespace(scope); ns != "" {
		return c.Resource(gvr).Namespace(ns)
	}
	return c.Resource(gvr)
}

// canI runs `kubectl auth can-i` as the user and returns its answer, "yes" or "no", or
// what went wrong.
func (env *matrixEnv) canI(user string, args []string) string {
	ctx, cancel := context.WithTimeout(context.Background(), pollTimeout)
	defer cancel()
	full := append([]string{"--kubeconfig=" + env.users[user].kubeconfig, "--cache-dir=" + env.cacheDir, "auth", "can-i"}, args...)
	cmd := exec.CommandContext(ctx, env.kubectl, full...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	answer := strings.TrimSpace(out.String())
	switch {
	case answer == "yes" && err == nil:
		return "yes"
	case answer == "no" && exitCode(err) == 1:
		return "no"
	}
	return fmt.Sprintf("kubectl auth can-i %s: %q, exit %d: %s", strings.Join(args, " "), answer, exitCode(err), strings.TrimSpace(errOut.String()))
}

// catalogGVR returns the resource of the catalog's API.
func catalogGVR(resource string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: catalogstack.Group, Version: catalogstack.Version, Resource: resource}
}
